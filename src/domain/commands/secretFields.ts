// Secret payload fields (format "password" or writeOnly: true) wherever the schema puts them: nested
// properties, patternProperties, additionalProperties, items/prefixItems, allOf/anyOf/oneOf,
// if/then/else, dependentSchemas and local $refs. For branches (anyOf, oneOf, if/then/else) every
// branch that could apply counts: redacting a field one branch calls secret is never a leak.
// Constructs where "which values" has no sound answer (contains, not, propertyNames,
// unevaluated*) may not hold a secret: such a schema is refused when the service reports it.
import { isObj, resolveRef, subschemas } from "./schemaRules.js";
import { safeRegExp, type SafeRegExp } from "./safeRegex.js";

type Obj = Record<string, unknown>;

/** A small numeric identity per schema object, for the cycle guards below. */
function identities(): (o: object) => number {
  const ids = new Map<object, number>();
  return (o) => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = ids.size));
    return id;
  };
}

export const isSecretSchema = (s: unknown): boolean => isObj(s) && (s.format === "password" || s.writeOnly === true);

/** Keywords the payload walk below follows; a secret reached through any other one is refused. */
const FOLLOWED = new Set(["properties", "patternProperties", "additionalProperties", "items", "prefixItems", "additionalItems",
  "allOf", "anyOf", "oneOf", "if", "then", "else", "dependentSchemas", "dependencies"]);
/** Only reached through a $ref, never applied to the payload by themselves. */
const DEFINITIONS = new Set(["$defs", "definitions"]);

/** Why the schema's secret fields cannot be located soundly; empty when they can (or there are none). */
export function secretPlacementProblems(root: Obj): string[] {
  if (!mayHaveSecrets(root)) return [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const idOf = identities();
  const visit = (s: unknown, via: string | null, at: string): void => {
    if (!isObj(s) || problems.length >= 5) return;
    const key = `${idOf(s)}:${via ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (isSecretSchema(s)) {
      if (s === root) problems.push("the payload itself cannot be secret: mark its properties format: password or writeOnly instead");
      else if (via) problems.push(`${at}: a secret field (format: password / writeOnly) under "${via}" is not supported: Capstan could not tell which values to keep out of the database`);
      return;
    }
    if (typeof s.$ref === "string") {
      const target = resolveRef(root, s.$ref);
      if (target !== undefined) visit(target, via, `${s.$ref}`);
    }
    for (const sub of subschemas(s)) {
      if (DEFINITIONS.has(sub.keyword)) continue;
      visit(sub.schema, via ?? (FOLLOWED.has(sub.keyword) ? null : sub.keyword), `${at}/${sub.step}`);
    }
  };
  visit(root, null, "#");
  return problems;
}

const esc = (k: string) => k.replace(/~/g, "~0").replace(/\//g, "~1");

// patternProperties keys compiled once (RE2, like ajv): bounded, the oldest dropped first
const patterns = new Map<string, SafeRegExp | null>();
function pattern(p: string): SafeRegExp | null {
  let rx = patterns.get(p);
  if (rx === undefined) {
    try {
      rx = safeRegExp(p);
    } catch {
      rx = null;
    }
    if (patterns.size >= 512) patterns.delete(patterns.keys().next().value!);
    patterns.set(p, rx);
  }
  return rx;
}

/**
 * JSON pointers of the payload's values that the schema marks secret (parents before children).
 * Walks the payload and the schema together, so array elements and map entries are found too.
 */
export function secretPointersIn(root: Obj, payload: unknown): string[] {
  const out = new Set<string>();
  const idOf = identities();
  const seen = new Set<string>();
  const apply = (s: unknown, data: unknown, ptr: string): void => {
    if (!isObj(s)) return;
    // $ref/allOf cycles that consume no data end here
    const key = `${idOf(s)} ${ptr}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (ptr !== "" && isSecretSchema(s)) {
      out.add(ptr);
      return;
    }
    if (typeof s.$ref === "string") apply(resolveRef(root, s.$ref), data, ptr);
    for (const kw of ["allOf", "anyOf", "oneOf"]) if (Array.isArray(s[kw])) for (const sub of s[kw] as unknown[]) apply(sub, data, ptr);
    for (const kw of ["if", "then", "else"]) apply(s[kw], data, ptr);
    for (const kw of ["dependentSchemas", "dependencies"]) if (isObj(s[kw])) for (const sub of Object.values(s[kw] as Obj)) apply(sub, data, ptr);
    if (isObj(data)) {
      const props = isObj(s.properties) ? s.properties : {};
      const pats = isObj(s.patternProperties) ? Object.entries(s.patternProperties) : [];
      for (const [k, v] of Object.entries(data)) {
        const child = `${ptr}/${esc(k)}`;
        let matched = Object.hasOwn(props, k);
        if (matched) apply(props[k], v, child);
        for (const [p, sub] of pats) {
          if (pattern(p)?.test(k)) {
            matched = true;
            apply(sub, v, child);
          }
        }
        if (!matched) apply(s.additionalProperties, v, child);
      }
    } else if (Array.isArray(data)) {
      const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : [];
      const rest = Array.isArray(s.items) ? s.additionalItems : s.items;
      data.forEach((v, i) => apply(i < prefix.length ? prefix[i] : rest, v, `${ptr}/${i}`));
    }
  };
  apply(root, payload, "");
  // parents first, so a secret object is taken whole before any field inside it
  return [...out].sort((a, b) => a.split("/").length - b.split("/").length);
}

/** Whether a schema could mark anything secret at all (skips the payload walk for most actions). */
export const mayHaveSecrets = (schema: Obj): boolean => /"(?:format|writeOnly)"/.test(JSON.stringify(schema));
