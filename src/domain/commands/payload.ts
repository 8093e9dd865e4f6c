// Action payloads: validation against the action's inputSchema (JSON Schema 2020-12 via ajv), defaults,
// and secret fields (format "password" / writeOnly) that must never reach the database.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { Ajv2020, ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import type ajvFormats from "ajv-formats";
import { AppError } from "../../errors.js";
import { REDACTED } from "../redact.js";
import { loadRegexEngine, re2Engine, RegexBudgetExceeded, useSafeFormats, withRegexBudget } from "./safeRegex.js";
import { expandedSize, schemaLimitProblems } from "./schemaRules.js";
import { mayHaveSecrets, secretPlacementProblems, secretPointersIn } from "./secretFields.js";

type Obj = Record<string, unknown>;

// ajv and its formats are CommonJS, loaded with a synchronous require so validation stays synchronous.
// The server loads them in the background just after it listens (warmUpValidation), in slices, so
// neither start-up nor the first request that validates a payload pays for them all at once (loaded
// by that request, the first validation of a process stalled every request for 0.4-1 s).
const load = createRequire(import.meta.url);
let ajvModule: typeof import("ajv/dist/2020.js") | undefined;
const ajvLib = () => (ajvModule ??= load("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js"));
let ajv: Ajv2020 | undefined;
function validator(): Ajv2020 {
  if (ajv) return ajv;
  const { Ajv2020: Ajv } = ajvLib();
  // ajv-formats' module.exports is the plugin with itself as .default: `.default` is the callable
  // under every loader (Node ESM, tsx, esbuild).
  const addFormats = (load("ajv-formats") as typeof ajvFormats).default;
  // strict: false and logger: false because schemas come from services and carry UI hints ("textarea",
  // "password") and vocabulary ajv does not know; those are tolerated, not errors. addUsedSchema: false
  // so two services declaring the same $id do not collide inside the shared instance. Patterns run on
  // RE2 (linear time): a service's `pattern` must not be able to stall the event loop.
  // optimize: false: ajv's code optimisation passes cost 2-3x the compile time and buy little here.
  ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, logger: false, addUsedSchema: false, code: { regExp: re2Engine, optimize: false } });
  addFormats(ajv);
  useSafeFormats(ajv, (load("ajv-formats/dist/formats.js") as { fullFormats: Record<string, unknown> }).fullFormats);
  return ajv;
}

const META_SCHEMA = "https://json-schema.org/draft/2020-12/schema";

/**
 * The validator's one-time costs, each a slice of main-thread work of tens of ms: loading ajv (its core,
 * then its 2020-12 vocabularies: ajv's own modules, required ahead so no slice loads them all), building
 * the instance (formats), loading RE2, compiling the 2020-12 meta-schema that checks every inputSchema,
 * then a first schema over the common keywords (ajv's code generator is slow on its first schemas).
 */
const WARM_UP: (() => void)[] = [
  () => load("ajv/dist/core.js"),
  () => load("ajv/dist/vocabularies/draft2020.js"),
  ajvLib,
  validator,
  loadRegexEngine,
  () => validator().getSchema(META_SCHEMA),
  () => validator().compile({ type: "object", properties: { s: { type: "string", pattern: "^w", format: "email" }, n: { type: "integer", minimum: 0 }, a: { type: "array", items: { enum: ["x"] } } }, required: ["s"], additionalProperties: false }),
];

/**
 * Warms the validator up in the background (server start-up, once it listens): one slice per turn of
 * the event loop, so a request arriving meanwhile waits for one slice at most, never the whole
 * ~0.2 s. A validation that comes first does what is left itself. Returns a stop for shutdown.
 */
export function warmUpValidation(): () => void {
  let next = 0;
  let pending: NodeJS.Immediate | undefined;
  const step = () => {
    pending = undefined;
    try {
      WARM_UP[next++]!();
    } catch {
      return; // only a warm-up: the first validation loads the validator again and reports what fails
    }
    if (next < WARM_UP.length) pending = setImmediate(step);
  };
  pending = setImmediate(step);
  return () => {
    if (pending) clearImmediate(pending);
    pending = undefined;
  };
}

/** Every reason to refuse an inputSchema before compiling it: size/shape limits, regexes, refs, secret placement. */
export function inputSchemaProblems(schema: Obj): string[] {
  const limits = schemaLimitProblems(schema);
  return limits.length ? limits : secretPlacementProblems(schema);
}

interface Compiled {
  validate: ValidateFunction;
  secrets: boolean;
  /** Subschemas with $refs expanded: each payload value is checked against at most this many. */
  width: number;
}

// Compiled validators by schema hash (identical schemas share one), least recently used dropped first:
// compiling is the expensive step, and the limits above bound what one compile can cost.
const CACHE_LIMIT = 256;
const cache = new Map<string, Compiled | Error>();

function compiled(schema: Obj): Compiled | Error {
  const key = createHash("sha256").update(JSON.stringify(schema)).digest("base64url");
  let entry = cache.get(key);
  if (entry) {
    cache.delete(key);
    cache.set(key, entry);
    return entry;
  }
  const problems = inputSchemaProblems(schema);
  if (problems.length) entry = new Error(problems.join("; "));
  else {
    // a service may declare another draft; we validate the shared subset as 2020-12 either way
    const { $schema: _ignored, ...rest } = schema;
    try {
      const width = expandedSize(schema);
      entry = { validate: validator().compile(rest), secrets: mayHaveSecrets(schema), width: typeof width === "number" ? width : SCHEMA_WORK_BUDGET };
    } catch (err) {
      entry = err instanceof Error ? err : new Error(String(err));
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, entry);
  return entry;
}

export interface Issue {
  path: string;
  message: string;
}

const pointerToPath = (pointer: string): string[] =>
  pointer === "" ? [] : pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));

function toIssue(e: ErrorObject): Issue {
  const segments = pointerToPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  if (e.keyword === "required" && typeof p.missingProperty === "string") segments.push(p.missingProperty);
  if (e.keyword === "additionalProperties" && typeof p.additionalProperty === "string") segments.push(p.additionalProperty);
  return { path: segments.join("."), message: e.message ?? "is invalid" };
}

const isContainer = (v: unknown): v is Obj => !!v && typeof v === "object";

/** The object or array holding the value at a pointer (own properties only, never a prototype). */
function locate(root: Obj, pointer: string): { parent: Obj; key: string } | undefined {
  const segs = pointerToPath(pointer);
  let node: unknown = root;
  for (const s of segs.slice(0, -1)) {
    if (!isContainer(node) || !Object.hasOwn(node, s)) return undefined;
    node = node[s];
  }
  const key = segs[segs.length - 1];
  return isContainer(node) && key !== undefined && Object.hasOwn(node, key) ? { parent: node, key } : undefined;
}

export interface CheckedPayload {
  /** What the agent receives: the operator's payload with schema defaults applied. */
  payload: Obj;
  /** What the database keeps: secret fields replaced by "[REDACTED]". */
  stored: Obj;
  /** Secret values by JSON pointer, stored sealed (command_secrets) until the agent claims the command. */
  secrets: Obj;
}

/**
 * Payload values x schema width: a bound on the keyword checks of one validation (~20 ms). A wide
 * schema takes smaller payloads; the usual form-sized payload is far below it.
 */
export const SCHEMA_WORK_BUDGET = 2_000_000;

/** Objects, arrays and scalars in a payload (iterative: no recursion on hostile nesting). */
function valueCount(root: unknown): number {
  let n = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    n++;
    if (v && typeof v === "object") for (const child of Object.values(v)) stack.push(child);
  }
  return n;
}

/** Characters all the patterns of one validation may scan together: ~30 ms of RE2 work at most. */
export const REGEX_BUDGET = 2_000_000;

/** Runs pattern-matching work under REGEX_BUDGET; over it, the payload is refused (422), not the server stalled. */
function metered<T>(fn: () => T): T {
  try {
    return withRegexBudget(REGEX_BUDGET, fn);
  } catch (err) {
    if (!(err instanceof RegexBudgetExceeded)) throw err;
    throw new AppError("ACTION_PAYLOAD_INVALID", `checking this payload against the action's patterns needs more than ${REGEX_BUDGET} characters of matching; send less text`, {
      issues: [{ path: "", message: `pattern matching over ${REGEX_BUDGET} characters` }],
    });
  }
}

/** Validates and splits a payload; throws 422 ACTION_PAYLOAD_INVALID with the failing paths. */
export function checkPayload(schema: Obj | null, input: Obj): CheckedPayload {
  const payload = structuredClone(input);
  const secrets: Obj = {};
  if (!schema) return { payload, stored: structuredClone(payload), secrets };
  const entry = compiled(schema);
  if (entry instanceof Error) {
    throw new AppError("ACTION_PAYLOAD_INVALID", "the action's inputSchema is not a valid JSON Schema; the service must report a valid one", {
      issues: [{ path: "", message: `inputSchema: ${entry.message.slice(0, 300)}` }],
    });
  }
  const values = valueCount(payload);
  if (values * entry.width > SCHEMA_WORK_BUDGET) {
    const max = Math.floor(SCHEMA_WORK_BUDGET / entry.width);
    throw new AppError("ACTION_PAYLOAD_INVALID", `the payload has ${values} values; against this action's schema (${entry.width} subschemas) at most ${max} can be checked`, {
      issues: [{ path: "", message: `at most ${max} values for this action` }],
    });
  }
  if (!metered(() => entry.validate(payload))) {
    const issues = (entry.validate.errors ?? []).slice(0, 50).map(toIssue);
    throw new AppError("ACTION_PAYLOAD_INVALID", issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ").slice(0, 500), { issues });
  }
  const stored = structuredClone(payload);
  if (!entry.secrets) return { payload, stored, secrets };
  // parents come first: a secret object is taken whole, then nothing inside it is found again
  for (const pointer of metered(() => secretPointersIn(schema, payload))) {
    const at = locate(stored, pointer);
    if (!at || at.parent[at.key] === undefined || at.parent[at.key] === REDACTED) continue;
    secrets[pointer] = at.parent[at.key];
    at.parent[at.key] = REDACTED;
  }
  return { payload, stored, secrets };
}

/** A copy of a payload with every field the schema marks secret replaced, without validating (audit of bus dry runs and failures). */
export function withoutSecrets(schema: Obj | null, payload: Obj): Obj {
  const out = structuredClone(payload);
  if (!schema || !mayHaveSecrets(schema)) return out;
  let pointers: string[];
  try {
    pointers = withRegexBudget(REGEX_BUDGET, () => secretPointersIn(schema, payload));
  } catch (err) {
    // too costly to tell which fields are secret: show none of them
    if (err instanceof RegexBudgetExceeded) return { payload: REDACTED };
    throw err;
  }
  for (const pointer of pointers) {
    const at = locate(out, pointer);
    if (at) at.parent[at.key] = REDACTED;
  }
  return out;
}

/** The stored payload with the in-memory secret values put back (what the agent receives). */
export function mergeSecrets(stored: Obj, secrets: Obj): Obj {
  const out = structuredClone(stored);
  for (const [pointer, value] of Object.entries(secrets)) {
    const at = locate(out, pointer);
    if (at) at.parent[at.key] = value;
  }
  return out;
}
