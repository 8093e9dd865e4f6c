// Shared input pieces: list queries (page, pageSize, sort), ids, and the query-string parser.
import { z } from "zod";
import { AppError } from "../errors.js";
import type { SortKey } from "../db/query.js";

export const page = z.coerce.number().int().min(1).max(1_000_000).default(1);
export const pageSize = z.coerce.number().int().min(1).max(100).default(20);
export const q = z.string().min(1).max(160);
export const isoTime = z.iso.datetime({ offset: true });
/** Ours are `<prefix>_<ULID>`; rows imported from Opstage CE keep theirs, `<prefix>_` + 16 base64url characters. */
export const idOf = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_(?:[0-9A-HJKMNP-TV-Z]{26}|[A-Za-z0-9_-]{16})$`), `must be a ${prefix}_ id`);

/** `sort` = comma list of field / -field from the allowed set; default -createdAt. */
export function sortParam(allowed: readonly string[], fallback = "-createdAt") {
  return z
    .string()
    .max(200)
    .default(fallback)
    .transform((value, ctx): SortKey[] => {
      const keys: SortKey[] = [];
      for (const raw of value.split(",")) {
        const part = raw.trim();
        const desc = part.startsWith("-");
        const field = desc ? part.slice(1) : part;
        if (!allowed.includes(field)) {
          ctx.addIssue({ code: "custom", message: `sort field must be one of ${allowed.join(", ")}` });
          return z.NEVER;
        }
        keys.push({ field, desc });
      }
      return keys;
    });
}

/**
 * The strict schema of each query shape, built once: zod compiles an object schema on its first parse,
 * so a schema built per request cost every poll a construction and a compile (~5 % of a server's CPU
 * while a fleet connects). Shapes are module constants; an inline `{}` shares one empty schema.
 */
const strictQueries = new WeakMap<z.ZodRawShape, z.ZodObject>();
const noQuery = z.strictObject({});

function strictQuery(shape: z.ZodRawShape): z.ZodObject {
  if (Object.keys(shape).length === 0) return noQuery;
  let schema = strictQueries.get(shape);
  if (!schema) strictQueries.set(shape, (schema = z.strictObject(shape)));
  return schema;
}

/**
 * Parses a query string against a strict zod shape: unknown keys are refused (422), keys listed in
 * `arrays` may repeat (values OR), any other repeated key is refused.
 */
export function parseQuery<S extends z.ZodRawShape>(
  query: URLSearchParams,
  shape: S,
  arrays: readonly (keyof S & string)[] = [],
): z.output<z.ZodObject<S>> {
  // null prototype: "?__proto__=x" is an unknown key (refused), not a silent prototype write
  const raw: Record<string, string | string[]> = Object.create(null);
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    if (arrays.includes(key)) raw[key] = values.flatMap((v) => v.split(",")).filter((v) => v !== "");
    else if (values.length > 1) {
      throw new AppError("VALIDATION_FAILED", `query parameter ${key} given more than once`, {
        issues: [{ path: key, message: "given more than once" }],
      });
    } else raw[key] = values[0]!;
  }
  return strictQuery(shape).parse(raw) as z.output<z.ZodObject<S>>;
}

/** Parses a body with a schema; zod errors become 422 VALIDATION_FAILED in app.ts. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  return schema.parse(body ?? {});
}
