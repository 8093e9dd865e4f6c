// Reads a request body with a byte limit and an idle timeout, then parses JSON or urlencoded forms.
import type { IncomingMessage } from "node:http";
import { AppError } from "../errors.js";

const MAX_JSON_DEPTH = 32;
/** Decodes whole bodies only (no streaming), so one decoder serves every request. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

export async function readRawBody(req: IncomingMessage, limitBytes: number, timeoutMs = 30_000): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume(); // drain so the socket can still carry the error response
    throw new AppError("PAYLOAD_TOO_LARGE", `request body exceeds ${limitBytes} bytes`, { limitBytes });
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, value?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off("data", onData).off("end", onEnd).off("error", onError).off("aborted", onAborted);
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      // answer 408 (and close the connection after it) instead of cutting the socket without a word
      req.pause();
      finish(new AppError("REQUEST_TIMEOUT", "request body was not received in time", undefined, { Connection: "close" }));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        finish(new AppError("PAYLOAD_TOO_LARGE", `request body exceeds ${limitBytes} bytes`, { limitBytes }));
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks));
    const onError = (err: Error) => finish(new AppError("REQUEST_ERROR", `request body could not be read: ${err.message}`));
    const onAborted = () => finish(new AppError("REQUEST_ERROR", "request aborted"));
    req.on("data", onData).on("end", onEnd).on("error", onError).on("aborted", onAborted);
  });
}

/** At least this many "{" or "[" in the text, found without parsing: fewer cannot nest deeper than the limit. */
function hasBrackets(text: string, atLeast: number): boolean {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 123 || c === 91) && ++n >= atLeast) return true;
  }
  return false;
}

function jsonDepth(value: unknown): number {
  // iterative, so a hostile nesting depth cannot overflow the stack
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d > max) max = d;
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * More fields than any console form has by far. A cap keeps the work per request bounded whatever the
 * byte limit allows (250,000 fields fit in 750 KB).
 */
export const MAX_FORM_FIELDS = 1_000;

/** Fields in a urlencoded body (non-empty `&`-separated parts), counted without building them. */
function countFormFields(text: string, stopAfter: number): number {
  let n = 0;
  let start = 0;
  while (start <= text.length && n <= stopAfter) {
    const amp = text.indexOf("&", start);
    const end = amp < 0 ? text.length : amp;
    if (end > start) n++;
    if (amp < 0) break;
    start = amp + 1;
  }
  return n;
}

/**
 * Form fields: a key given once is a string, a repeated key an array of strings. Linear in the body:
 * a repeated key appends in place (copying the array on each repeat was quadratic and froze the
 * server for minutes on `b=&b=&...`), and more than `maxFields` fields are refused before parsing.
 */
export function parseForm(text: string, maxFields = MAX_FORM_FIELDS): Record<string, string | string[]> {
  if (countFormFields(text, maxFields) > maxFields) {
    throw new AppError("PAYLOAD_TOO_LARGE", `a form may hold at most ${maxFields} fields`, { limitFields: maxFields });
  }
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  }
  return { ...out };
}

/** Decodes a raw body by its Content-Type: JSON (depth-checked) or urlencoded form fields. */
export function decodeBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const type = (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    throw new AppError("REQUEST_ERROR", "request body is not valid UTF-8");
  }
  if (type === "application/x-www-form-urlencoded") return parseForm(text);
  if (type !== "application/json" && !type.endsWith("+json")) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `unsupported content type ${type}; send application/json`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError("REQUEST_ERROR", "malformed JSON body");
  }
  if (hasBrackets(text, MAX_JSON_DEPTH + 1) && jsonDepth(value) > MAX_JSON_DEPTH) {
    throw new AppError("VALIDATION_FAILED", `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`, {
      issues: [{ path: "", message: `nesting deeper than ${MAX_JSON_DEPTH}` }],
    });
  }
  return value;
}
