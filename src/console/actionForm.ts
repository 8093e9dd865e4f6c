// The action run form, generated from an action's inputSchema (top-level properties), and the way
// back: form fields -> payload with the schema's types. Field names carry a "p." prefix so they can
// never collide with _csrf or the confirmation flag.
import { cell, prettyJson } from "./format.js";
import type { FieldErrors, Form } from "./forms.js";
import { field } from "./forms.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

export type FieldKind = "text" | "textarea" | "password" | "number" | "integer" | "checkbox" | "select" | "json";

export interface FormField {
  name: string;
  input: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  description: string;
  options: string[];
  value: string;
  checked: boolean;
  min: string;
  max: string;
  minLength: string;
  maxLength: string;
  pattern: string;
  placeholder: string;
  error: string;
}

const typeOf = (s: Obj): string => {
  const t = s.type;
  if (Array.isArray(t)) return cell(t.find((x) => x !== "null") ?? "string");
  return typeof t === "string" ? t : Array.isArray(s.enum) ? "string" : "string";
};

function kindOf(s: Obj): FieldKind {
  if (Array.isArray(s.enum)) return "select";
  const t = typeOf(s);
  if (t === "boolean") return "checkbox";
  if (t === "integer") return "integer";
  if (t === "number") return "number";
  if (t === "object" || t === "array") return "json";
  if (s.format === "password" || s.writeOnly === true) return "password";
  if (s.format === "textarea") return "textarea";
  return "text";
}

const properties = (schema: Obj | null): [string, Obj][] =>
  isObj(schema?.properties) ? Object.entries(schema.properties as Obj).filter((e): e is [string, Obj] => isObj(e[1])).slice(0, 100) : [];

const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));

/** Form fields with values from (in order of precedence) what was typed, the prepare answer, schema defaults. */
export function formFields(schema: Obj | null, values: Obj, errors: FieldErrors): FormField[] {
  const required = new Set(Array.isArray(schema?.required) ? schema.required.map(String) : []);
  return properties(schema).map(([name, s]) => {
    const kind = kindOf(s);
    const raw = Object.hasOwn(values, name) ? values[name] : s.default;
    return {
      name, input: `p.${name}`, label: cell(s.title ?? name), kind, required: required.has(name), description: cell(s.description),
      options: Array.isArray(s.enum) ? s.enum.map(cell) : [],
      value: kind === "json" ? (raw === undefined ? "" : typeof raw === "string" ? raw : prettyJson(raw)) : kind === "password" ? "" : str(raw),
      checked: raw === true || raw === "true",
      min: str(s.minimum), max: str(s.maximum), minLength: str(s.minLength), maxLength: str(s.maxLength),
      pattern: typeof s.pattern === "string" ? s.pattern : "", placeholder: cell(s.examples && Array.isArray(s.examples) ? s.examples[0] : ""),
      error: Object.hasOwn(errors, name) ? errors[name]! : "",
    };
  });
}

/** Form -> payload typed by the schema. Type errors the browser cannot catch come back per field. */
export function payloadFromForm(schema: Obj | null, form: Form): { payload: Obj; errors: FieldErrors; typed: Obj } {
  // field names come from the agent's schema: null prototypes keep "__proto__" an ordinary field
  const payload: Obj = Object.create(null);
  const typed: Obj = Object.create(null);
  const errors: FieldErrors = Object.create(null);
  for (const [name, s] of properties(schema)) {
    const kind = kindOf(s);
    const v = field(form, `p.${name}`);
    if (kind === "checkbox") {
      payload[name] = v === "true";
      typed[name] = v;
      continue;
    }
    typed[name] = v;
    if (v === "") continue; // empty = not given; a required field is reported by the schema check
    if (kind === "integer" || kind === "number") {
      const n = Number(v);
      if (!Number.isFinite(n) || (kind === "integer" && !Number.isInteger(n))) errors[name] = kind === "integer" ? "must be a whole number" : "must be a number";
      else payload[name] = n;
    } else if (kind === "json") {
      try {
        payload[name] = JSON.parse(v);
      } catch {
        errors[name] = "must be valid JSON";
      }
    } else payload[name] = v;
  }
  return { payload: { ...payload }, errors: { ...errors }, typed: { ...typed } };
}

/** The submitted fields again, as hidden inputs of the confirmation step (same names, so one parser). */
export function hiddenFields(form: Form): { name: string; value: string }[] {
  return Object.entries(form)
    .filter(([k]) => k.startsWith("p."))
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ name: k, value })));
}
