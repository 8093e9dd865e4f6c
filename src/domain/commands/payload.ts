// Action payloads: validation against the action's inputSchema (JSON Schema 2020-12 via ajv), defaults,
// and secret fields (format "password" / writeOnly) that must never reach the database.
import { createRequire } from "node:module";
import type { Ajv2020, ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import type ajvFormats from "ajv-formats";
import { AppError } from "../../errors.js";
import { REDACTED } from "../redact.js";

// ajv and its formats are loaded when the first payload is validated, not at start-up: they are
// CommonJS, so a synchronous require keeps validation synchronous (~4 MB of idle RSS saved).
const load = createRequire(import.meta.url);
let ajv: Ajv2020 | undefined;
function validator(): Ajv2020 {
  if (ajv) return ajv;
  const { Ajv2020: Ajv } = load("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  // ajv-formats' module.exports is the plugin with itself as .default: `.default` is the callable
  // under every loader (Node ESM, tsx, esbuild).
  const addFormats = (load("ajv-formats") as typeof ajvFormats).default;
  // strict: false and logger: false because schemas come from services and carry UI hints ("textarea",
  // "password") and vocabulary ajv does not know; those are tolerated, not errors. addUsedSchema: false
  // so two services declaring the same $id do not collide inside the shared instance.
  ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, logger: false, addUsedSchema: false });
  addFormats(ajv);
  return ajv;
}

const CACHE_LIMIT = 256;
const cache = new Map<string, ValidateFunction | Error>();

function compiled(schema: Record<string, unknown>): ValidateFunction | Error {
  const key = JSON.stringify(schema);
  let entry = cache.get(key);
  if (!entry) {
    // a service may declare another draft; we validate the shared subset as 2020-12 either way
    const { $schema: _ignored, ...rest } = schema;
    try {
      entry = validator().compile(rest);
    } catch (err) {
      entry = err instanceof Error ? err : new Error(String(err));
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, entry);
  }
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

/** JSON pointers of properties declared secret, walking nested object properties. */
export function secretPointers(schema: Record<string, unknown> | null, prefix = ""): string[] {
  const props = schema?.properties;
  if (!props || typeof props !== "object" || Array.isArray(props)) return [];
  const out: string[] = [];
  for (const [key, sub] of Object.entries(props as Record<string, unknown>)) {
    if (!sub || typeof sub !== "object") continue;
    const s = sub as Record<string, unknown>;
    const pointer = `${prefix}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
    if (s.format === "password" || s.writeOnly === true) out.push(pointer);
    else out.push(...secretPointers(s, pointer));
  }
  return out;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

function locate(root: Obj, pointer: string): { parent: Obj; key: string } | undefined {
  const segs = pointerToPath(pointer);
  let node: unknown = root;
  for (const s of segs.slice(0, -1)) {
    if (!isObj(node)) return undefined;
    node = node[s];
  }
  const key = segs[segs.length - 1];
  return isObj(node) && key !== undefined && Object.hasOwn(node, key) ? { parent: node, key } : undefined;
}

export interface CheckedPayload {
  /** What the agent receives: the operator's payload with schema defaults applied. */
  payload: Obj;
  /** What the database keeps: secret fields replaced by "[REDACTED]". */
  stored: Obj;
  /** Secret values by JSON pointer, held in memory until the agent claims the command. */
  secrets: Obj;
}

/** Validates and splits a payload; throws 422 ACTION_PAYLOAD_INVALID with the failing paths. */
export function checkPayload(schema: Obj | null, input: Obj): CheckedPayload {
  const payload = structuredClone(input);
  if (schema) {
    const validate = compiled(schema);
    if (validate instanceof Error) {
      throw new AppError("ACTION_PAYLOAD_INVALID", "the action's inputSchema is not a valid JSON Schema; the service must report a valid one", {
        issues: [{ path: "", message: `inputSchema: ${validate.message.slice(0, 300)}` }],
      });
    }
    if (!validate(payload)) {
      const issues = (validate.errors ?? []).slice(0, 50).map(toIssue);
      throw new AppError("ACTION_PAYLOAD_INVALID", issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ").slice(0, 500), { issues });
    }
  }
  const stored = structuredClone(payload);
  const secrets: Obj = {};
  for (const pointer of secretPointers(schema)) {
    const at = locate(stored, pointer);
    if (!at || at.parent[at.key] === undefined) continue;
    secrets[pointer] = at.parent[at.key];
    at.parent[at.key] = REDACTED;
  }
  return { payload, stored, secrets };
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
