// An action's inputSchema comes from an agent: untrusted input that Capstan later compiles and runs
// on operators' and bus payloads. These limits are checked when the service reports it (refused
// with 422) and again before compiling, so no schema can make validation slow or unbounded.
import { patternProblem } from "./safeRegex.js";

export const SCHEMA_LIMITS = {
  /** Serialized size of one inputSchema. */
  maxBytes: 16 * 1024,
  /** `properties` + `patternProperties` entries, summed over the whole schema. */
  maxProperties: 200,
  /** Subschema nesting (root = 0). */
  maxDepth: 8,
  /** Subschemas of any kind, counted with every $ref expanded (each one is validation work). */
  maxSubschemas: 256,
  /** `pattern` keywords + `patternProperties` keys (each is compiled; each key is tested against all of an object's). */
  maxPatterns: 32,
} as const;

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

/** Keywords whose value is one subschema, a list of subschemas, or a map name -> subschema. */
const SINGLE = ["additionalProperties", "items", "additionalItems", "contains", "propertyNames", "not", "if", "then", "else",
  "unevaluatedProperties", "unevaluatedItems", "contentSchema"];
const LIST = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
const MAP = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"];

export interface Sub {
  keyword: string;
  /** "keyword", "keyword/3" or "keyword/name" (a JSON pointer step from the parent). */
  step: string;
  schema: unknown;
}

const esc = (k: string) => k.replace(/~/g, "~0").replace(/\//g, "~1");

/** The direct subschemas of a schema object. */
export function subschemas(s: Obj): Sub[] {
  const out: Sub[] = [];
  for (const kw of SINGLE) if (isObj(s[kw]) || typeof s[kw] === "boolean") out.push({ keyword: kw, step: kw, schema: s[kw] });
  for (const kw of LIST) {
    const list = s[kw];
    if (Array.isArray(list)) list.forEach((v, i) => out.push({ keyword: kw, step: `${kw}/${i}`, schema: v }));
  }
  for (const kw of MAP) {
    const map = s[kw];
    if (!isObj(map)) continue;
    // dependencies may map a name to a list of names (not a schema)
    for (const [k, v] of Object.entries(map)) if (isObj(v) || typeof v === "boolean") out.push({ keyword: kw, step: `${kw}/${esc(k)}`, schema: v });
  }
  return out;
}

const unescape = (s: string) => s.replace(/~1/g, "/").replace(/~0/g, "~");

/** Resolves a local JSON-pointer $ref ("#" or "#/a/b") inside the root; undefined when it does not resolve. */
export function resolveRef(root: Obj, ref: string): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    let seg: string;
    try {
      seg = unescape(decodeURIComponent(raw));
    } catch {
      return undefined;
    }
    if (Array.isArray(node) && /^\d+$/.test(seg)) node = node[Number(seg)];
    else if (isObj(node) && Object.hasOwn(node, seg)) node = node[seg];
    else return undefined;
  }
  return isObj(node) || typeof node === "boolean" ? node : undefined;
}

function refProblem(root: Obj, s: Obj, at: string): string | null {
  for (const kw of ["$dynamicRef", "$recursiveRef"]) {
    if (kw in s) return `${at}: ${kw} is not supported; use a local $ref ("#/$defs/...")`;
  }
  if (!("$ref" in s)) return null;
  const ref = s.$ref;
  if (typeof ref !== "string") return `${at}: $ref must be a string`;
  if (!ref.startsWith("#")) return `${at}: $ref ${JSON.stringify(ref.slice(0, 100))} is remote; only local refs ("#/$defs/...") are allowed`;
  if (resolveRef(root, ref) === undefined) return `${at}: $ref ${JSON.stringify(ref.slice(0, 100))} does not resolve to a subschema of this schema (only JSON-pointer refs are supported)`;
  return null;
}

/** Problems of a schema against SCHEMA_LIMITS and the supported regex/$ref subset; empty when it is acceptable. */
export function schemaLimitProblems(schema: Obj): string[] {
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > SCHEMA_LIMITS.maxBytes) return [`inputSchema is ${bytes} bytes; the limit is ${SCHEMA_LIMITS.maxBytes}`];
  const problems: string[] = [];
  let properties = 0;
  let subschemaCount = 0;
  let patterns = 0;
  const visit = (s: unknown, depth: number, at: string): void => {
    if (!isObj(s) || problems.length >= 5) return;
    subschemaCount++;
    if (depth > SCHEMA_LIMITS.maxDepth) {
      problems.push(`${at}: subschemas nest deeper than ${SCHEMA_LIMITS.maxDepth} levels`);
      return;
    }
    if (depth > 0 && "$id" in s) problems.push(`${at}: $id is only allowed at the root of an inputSchema`);
    const ref = refProblem(schema, s, at);
    if (ref) problems.push(ref);
    if ("pattern" in s) {
      const p = typeof s.pattern === "string" ? patternProblem(s.pattern) : "pattern must be a string";
      if (p) problems.push(`${at}: ${p}`);
    }
    for (const kw of ["properties", "patternProperties"]) if (isObj(s[kw])) properties += Object.keys(s[kw] as Obj).length;
    if (s.uniqueItems === true && !scalarItems(s)) {
      // ajv compares items pairwise unless they are scalars: quadratic in the payload
      problems.push(`${at}: uniqueItems needs "items" with a scalar type (string, number, integer, boolean)`);
    }
    if (typeof s.pattern === "string") patterns++;
    if (isObj(s.patternProperties)) {
      patterns += Object.keys(s.patternProperties).length;
      for (const key of Object.keys(s.patternProperties)) {
        const p = patternProblem(key);
        if (p) problems.push(`${at}/patternProperties: ${p}`);
      }
    }
    for (const sub of subschemas(s)) visit(sub.schema, depth + 1, `${at}/${sub.step}`);
  };
  visit(schema, 0, "#");
  if (properties > SCHEMA_LIMITS.maxProperties) problems.push(`inputSchema declares ${properties} properties; the limit is ${SCHEMA_LIMITS.maxProperties}`);
  if (subschemaCount > SCHEMA_LIMITS.maxSubschemas) problems.push(`inputSchema has ${subschemaCount} subschemas; the limit is ${SCHEMA_LIMITS.maxSubschemas}`);
  if (patterns > SCHEMA_LIMITS.maxPatterns) problems.push(`inputSchema declares ${patterns} patterns; the limit is ${SCHEMA_LIMITS.maxPatterns}`);
  if (problems.length) return problems;
  const expanded = expandedSize(schema);
  return typeof expanded === "string" ? [expanded] : [];
}

const SCALARS = new Set(["string", "number", "integer", "boolean", "null"]);
function scalarItems(s: Obj): boolean {
  const t = isObj(s.items) ? s.items.type : undefined;
  return typeof t === "string" ? SCALARS.has(t) : Array.isArray(t) && t.length > 0 && t.every((x) => SCALARS.has(x as string));
}

/**
 * $refs make a small schema describe a large (or infinite) one: a ref cycle is refused, and the
 * schema with every ref expanded must stay within maxSubschemas. The walk stops at the limit.
 * Returns the expanded subschema count (a bound on the work per payload value) or the problem.
 */
export function expandedSize(root: Obj): number | string {
  let size = 0;
  const expanding = new Set<unknown>();
  const visit = (s: unknown): string | null => {
    if (!isObj(s)) return null;
    if (++size > SCHEMA_LIMITS.maxSubschemas) return `inputSchema expands (following $ref) to more than ${SCHEMA_LIMITS.maxSubschemas} subschemas`;
    if (typeof s.$ref === "string") {
      const target = resolveRef(root, s.$ref);
      if (expanding.has(target)) return `$ref ${JSON.stringify(s.$ref.slice(0, 100))} refers back to itself: recursive schemas are not supported`;
      expanding.add(target);
      const p = visit(target);
      expanding.delete(target);
      if (p) return p;
    }
    for (const sub of subschemas(s)) {
      if (sub.keyword === "$defs" || sub.keyword === "definitions") continue;
      const p = visit(sub.schema);
      if (p) return p;
    }
    return null;
  };
  expanding.add(root);
  return visit(root) ?? size;
}
