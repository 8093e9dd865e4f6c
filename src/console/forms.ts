// Form posts: read the urlencoded body as a plain record and turn validation failures into
// per-field messages for the form template (re-rendered with 422 by submitForm).
import { ZodError } from "zod";
import type { Ctx } from "../context.js";
import { AppError } from "../errors.js";
import type { Reply } from "../http/reply.js";

export type Form = Record<string, string | string[]>;

export async function readForm(ctx: Ctx<unknown>): Promise<Form> {
  const body = await ctx.body();
  if (body === undefined) return {};
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new AppError("REQUEST_ERROR", "expected a form submission");
  return asForm(body as Record<string, unknown>);
}

/**
 * A urlencoded body is already strings; a JSON body posted to a form route may hold anything, so
 * scalars become their text and nested values are refused (found by fuzzing: `.trim` of a number).
 */
function asForm(body: Record<string, unknown>): Form {
  const out: Form = Object.create(null);
  const text = (v: unknown): string | undefined =>
    typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
  const bad: string[] = [];
  for (const [k, v] of Object.entries(body)) {
    const scalar = text(v);
    if (scalar !== undefined) out[k] = scalar;
    else if (Array.isArray(v) && v.every((x) => text(x) !== undefined)) out[k] = v.map((x) => text(x)!);
    else bad.push(k);
  }
  if (bad.length) {
    throw new AppError("VALIDATION_FAILED", "form fields must be text", { issues: bad.slice(0, 20).map((path) => ({ path, message: "expected text" })) });
  }
  return { ...out };
}

/** One field as a string ("" when missing; the last value when repeated). */
export const field = (form: Form, key: string): string => {
  const v = form[key];
  return Array.isArray(v) ? (v[v.length - 1] ?? "") : (v ?? "");
};

/** Only the given fields, with empty strings dropped, ready for a shared zod body schema. */
export function pick(form: Form, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = field(form, k).trim();
    if (v !== "") out[k] = v;
  }
  return out;
}

export type FieldErrors = Record<string, string>;

/** Field messages from a zod or AppError (details.issues); other errors are rethrown to the error page. */
export function fieldErrors(err: unknown): { errors: FieldErrors; message: string } {
  if (err instanceof ZodError) {
    const errors: FieldErrors = {};
    for (const i of err.issues) errors[i.path.map(String).join(".") || "_"] ??= i.message;
    return { errors, message: "Please correct the highlighted fields." };
  }
  if (err instanceof AppError && err.status === 422) {
    const errors: FieldErrors = {};
    const issues = (err.details?.issues ?? []) as { path?: string; message?: string }[];
    for (const i of Array.isArray(issues) ? issues : []) errors[normalisePath(i.path ?? "")] ??= i.message ?? "invalid";
    return { errors, message: err.message };
  }
  throw err;
}

/** What a form template shows: the typed values, a message per field, and one for the whole form. */
export interface FormState {
  values: Record<string, string>;
  errors: FieldErrors;
  message: string | null;
}

export const blankForm = (values: Record<string, string> = {}): FormState => ({ values, errors: {}, message: null });

export interface SubmitOptions {
  /** Errors this form shows at its fields (default: every validation failure); others go to the error page. */
  accepts?: (err: unknown) => boolean;
  /** Answers some errors another way (a flash and a redirect); undefined leaves them to the form. */
  handle?: (err: unknown) => Reply | undefined;
  /** Adds or moves messages before the form is shown again. */
  adjust?: (err: unknown, form: FormState) => FormState;
}

/**
 * The one form-submit flow: run the write (it answers, usually with a redirect); a validation failure
 * (zod, or a 422 AppError with details.issues) shows the form again with the typed values, a message
 * per field and HTTP 422. Anything else goes on to the error page.
 */
export async function submitForm(
  values: Record<string, string>, write: () => Reply | Promise<Reply>, rerender: (form: FormState, status: number) => Reply | Promise<Reply>, opts: SubmitOptions = {},
): Promise<Reply> {
  try {
    return await write();
  } catch (err) {
    const handled = opts.handle?.(err);
    if (handled) return handled;
    if (opts.accepts && !opts.accepts(err)) throw err;
    const form: FormState = { values, ...fieldErrors(err) };
    return await rerender(opts.adjust ? opts.adjust(err, form) : form, 422);
  }
}

/** "/payload/count", "payload.count" and "count" all name the form field "count". */
const normalisePath = (p: string): string => p.replace(/^\/+/, "").replace(/\//g, ".").replace(/^payload\./, "") || "_";

const NEXT_BASE = "http://capstan.invalid";

/**
 * A safe same-origin path for ?next=, else "/". The WHATWG URL parser (what a browser applies to the
 * Location header) decides, not string prefixes: control characters, tabs and backslashes are refused
 * outright (browsers drop them or read them as "/": "/\evil", "/\t/evil"), the result must keep our origin,
 * and the normalised path must not start with "//" ("/.//evil" becomes "//evil").
 */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 2000 || !next.startsWith("/") || /[\u0000-\u001f\u007f\\]/.test(next)) return "/";
  let url: URL;
  try {
    url = new URL(next, NEXT_BASE);
  } catch {
    return "/";
  }
  if (url.origin !== NEXT_BASE) return "/";
  const path = url.pathname + url.search + url.hash;
  return path.startsWith("//") ? "/" : path;
}
