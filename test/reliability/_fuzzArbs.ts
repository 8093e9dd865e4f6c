// fast-check generators for hostile requests: a route of the live table, its path params, query
// string, body bytes, content type and credentials, each drawn from valid values and from the
// usual attacks (wrong types, missing/extra fields, huge strings, deep nesting, invalid UTF-8, bad
// ids, path traversal, SQL metacharacters).
import fc from "fast-check";

export const SQL_META = [
  "' OR '1'='1", "'; DROP TABLE users; --", "\" OR \"\"=\"", "%", "_", "%_%", "\\", "\\'", "1; SELECT sqlite_version()", "' UNION SELECT password_hash FROM users --",
  "\u0000", "NULL", "null", "-1", "0", "1e309", "NaN", "Infinity", "[]", "{}", "true",
];
export const TRAVERSAL = [
  "..", "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2f", "....//....//", "/etc/passwd", "..\\..\\windows",
  "%00", "x%00.js", "%ZZ", "%", "%E0%A4%A", "%C0%AF", "\u00ff\u00fe", "con", "htmx-2.0.0.min.js/../../package.json",
];
const BAD_IDS = ["agt_", "cmd_01ARZ3NDEKTSV4RRFFQ69G5FAV", "svc_zzzzzzzzzzzzzzzzzzzzzzzzzz", "usr_" + "9".repeat(26), "aud_01ARZ3NDEKTSV4RRFFQ69G5FA", "x".repeat(300), "0", "-1", "null"];

/** A string that attacks: SQL, traversal, unicode, control characters, sometimes long. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SQL_META, ...TRAVERSAL) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 300_000 }).map((n) => "A".repeat(n)) },
);

/** Any JSON-ish value of a wrong type for most fields. */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** A valid body mutated: fields dropped, retyped or added. */
export function mutated(template: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(template);
  return fc
    .record({
      drop: fc.subarray(keys),
      retype: fc.dictionary(keys.length ? fc.constantFrom(...keys) : fc.constant("x"), wrongValue, { maxKeys: 2 }),
      extra: fc.dictionary(fc.oneof(hostileString, fc.constantFrom("__proto__", "constructor", "prototype", "id", "role", "status")), wrongValue, { maxKeys: 3 }),
      mutate: fc.nat(3),
    })
    .map(({ drop, retype, extra, mutate }) => {
      if (mutate === 0) return { ...template }; // the valid body itself, so handlers run to the end
      const out: Record<string, unknown> = { ...template };
      for (const k of drop) delete out[k];
      if (mutate >= 2) Object.assign(out, retype);
      if (mutate === 3) Object.assign(out, extra);
      return out;
    });
}

export type BodySpec =
  | { kind: "json"; value: unknown }
  | { kind: "raw"; bytes: Buffer }
  | { kind: "form"; bytes: Buffer }
  | { kind: "none" };

const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);

export function bodyArb(template: Record<string, unknown>): fc.Arbitrary<BodySpec> {
  return fc.oneof(
    { weight: 8, arbitrary: mutated(template).map((value): BodySpec => ({ kind: "json", value })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value): BodySpec => ({ kind: "json", value })) },
    { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: "none" }) },
    {
      weight: 2, // what a browser form sends: every value a string, keys possibly repeated
      arbitrary: mutated(template).map((value): BodySpec => {
        const form = new URLSearchParams();
        if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) form.append(k, typeof v === "string" ? v : JSON.stringify(v) ?? "");
        return { kind: "form", bytes: Buffer.from(form.toString()) };
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.boolean()).map(([d, arr]): BodySpec => ({
        kind: "raw", bytes: Buffer.from(arr ? nested(d, "[", "]") : `${'{"a":'.repeat(d)}1${"}".repeat(d)}`),
      })),
    },
    {
      weight: 1, // invalid UTF-8 inside an otherwise valid JSON string
      arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes): BodySpec => ({
        kind: "raw", bytes: Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28, 0xff, ...bytes]), Buffer.from('"}')]),
      })),
    },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }).map((s): BodySpec => ({ kind: "raw", bytes: Buffer.from(s) })) },
    {
      weight: 1, // repeated form fields: one key many times, many keys, empty parts; up to ~250,000 fields
      // (under the body limit), so any per-field work that is not linear shows up as a hang
      arbitrary: fc.record({
        count: fc.oneof(fc.integer({ min: 2, max: 2_000 }), fc.constantFrom(999, 1_000, 1_001, 50_000, 250_000)),
        key: fc.oneof(fc.constantFrom("b", "next", "password", "_csrf", "p.message", "__proto__", "constructor"), hostileString.filter((k) => k.length < 20)),
        shape: fc.constantFrom("sameKey", "distinctKeys", "emptyParts", "mixed"),
      }).map(({ count, key, shape }): BodySpec => {
        // built with String#repeat: generating 250,000 parts one by one costs the shared test process seconds
        // and every shape stays under the 1 MiB body limit, so the parser (not the byte limit) meets it
        const k = encodeURIComponent(key);
        const fit = (unit: string, n: number) => unit.repeat(Math.max(1, Math.min(n, Math.floor(1_000_000 / unit.length))));
        const text =
          shape === "sameKey" ? fit(`${k}=&`, count)
          : shape === "emptyParts" ? fit(`${k}=x&&`, Math.ceil(count / 2))
          : shape === "mixed" ? fit(`${k}=1&k=&${k}=2&`, Math.ceil(count / 3))
          : Array.from({ length: Math.min(count, 3_000) }, (_, i) => `${k}${i}=${i}`).join("&");
        return { kind: "form", bytes: Buffer.from(text) };
      }),
    },
    {
      weight: 1, // around the 1 MiB body limit (and the 4 MiB limit of results)
      arbitrary: fc.constantFrom(900_000, 1_048_000, 1_100_000, 4_300_000).map((n): BodySpec => ({
        kind: "json", value: { ...template, message: "x".repeat(n), name: "y".repeat(Math.min(n, 2000)) },
      })),
    },
  );
}

export const CONTENT_TYPES = [
  "application/json", "application/json", "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
  "text/plain", "application/vnd.api+json", "multipart/form-data; boundary=x", "", "application/json; charset=latin1",
];

const QUERY_KEYS = [
  "page", "pageSize", "sort", "q", "status", "type", "from", "to", "limit", "waitSeconds", "format", "agentId", "serviceId", "actionName",
  "action", "actorType", "result", "role", "next", "tab", "targetId", "definitelyNotAParam",
];
const QUERY_VALUES = ["1", "0", "-1", "100", "101", "1e3", "abc", "-createdAt", "createdAt,-createdAt", "nope", "2020-01-01T00:00:00Z", "csv", "json", "ndjson", "PENDING", "5", "30", "31"];

/** Query strings: a route's own valid parameters with hostile values, or any keys at all. */
export function queryArb(own: Record<string, string>): fc.Arbitrary<[string, string][]> {
  const ownKeys = Object.keys(own);
  // huge values are rare here: past 16 KiB every request is refused before routing (431)
  const value = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...QUERY_VALUES) }, { weight: 4, arbitrary: hostileString.filter((v) => v.length < 20_000) });
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), hostileString), value), { maxLength: 4 }) },
    {
      weight: ownKeys.length ? 4 : 0,
      arbitrary: fc.tuple(fc.subarray(ownKeys.length ? ownKeys : ["x"]), fc.dictionary(fc.constantFrom(...(ownKeys.length ? ownKeys : ["x"])), value, { maxKeys: 2 }))
        .map(([keep, hostile]) => keep.map((k): [string, string] => [k, hostile[k] ?? own[k]!])),
    },
  );
}

/** A path parameter: usually a known real value, otherwise a bad id, traversal or garbage. */
export function paramArb(real: string[]): fc.Arbitrary<{ value: string; encode: boolean }> {
  return fc.record({
    value: fc.oneof(
      { weight: real.length ? 6 : 0, arbitrary: real.length ? fc.constantFrom(...real) : fc.constant("x") },
      { weight: 2, arbitrary: fc.constantFrom(...BAD_IDS, ...TRAVERSAL) },
      { weight: 2, arbitrary: hostileString.filter((s) => s.length < 5000) },
    ),
    encode: fc.boolean(),
  });
}

export type CredKind = "right" | "none" | "garbage" | "wrongKind" | "adminForAgent";
export const credArb: fc.Arbitrary<CredKind> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<CredKind>("right") },
  { weight: 1, arbitrary: fc.constantFrom<CredKind>("none", "garbage", "wrongKind", "adminForAgent") },
);

/** Patterns that backtracking engines take exponential or polynomial time on, and ones RE2 refuses. */
export const EVIL_PATTERNS = [
  "^(a+)+$", "^(a|a)*$", "^(a|aa)+$", "(x+x+)+y", "^(([a-z])+.)+[A-Z]([a-z])+$", "^(\\w+\\s?)*$", "(.*a){12}", "^(a?){30}a{30}$",
  "(a)\\1", "(?=a)a", "(?<!b)a", "a{1001}", "(", "[", "\\", "x".repeat(600),
];

const nestedSchema = (depth: number): Record<string, unknown> => (depth === 0 ? { type: "string" } : { type: "object", properties: { n: nestedSchema(depth - 1) } });

/** inputSchemas an agent might report to stall or crash the server: each is refused or safe to run. */
export const hostileSchemaArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constantFrom(...EVIL_PATTERNS).map((pattern) => ({ type: "object", properties: { v: { type: "string", pattern, default: "a".repeat(40) + "!" } } })),
  fc.constantFrom(...EVIL_PATTERNS).map((p) => ({ type: "object", patternProperties: { [p]: { type: "string" } }, additionalProperties: false })),
  fc.integer({ min: 150, max: 3000 }).map((n) => ({ type: "object", properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: "string", pattern: "^(a+)+$" }])) })),
  fc.integer({ min: 5, max: 12 }).map(nestedSchema),
  fc.integer({ min: 100, max: 2000 }).map((n) => ({ allOf: Array.from({ length: n }, () => ({ type: "object" })) })),
  fc.integer({ min: 4, max: 20 }).map((levels) => {
    const $defs: Record<string, unknown> = { l0: { type: "string", pattern: "^(a+)+$" } };
    for (let i = 1; i <= levels; i++) $defs[`l${i}`] = { anyOf: [{ $ref: `#/$defs/l${i - 1}` }, { $ref: `#/$defs/l${i - 1}` }] };
    return { type: "object", properties: { v: { $ref: `#/$defs/l${levels}` } } };
  }),
  fc.constantFrom<Record<string, unknown>>(
    { anyOf: [{ $ref: "#" }] },
    { $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" },
    { $defs: { node: { type: "object", properties: { next: { $ref: "#/$defs/node" } } } }, $ref: "#/$defs/node" },
    { type: "object", properties: { x: { $ref: "https://attacker.example/s.json" } } },
    { type: "object", properties: { x: { $ref: "#/nowhere" } } },
    { type: "object", properties: { x: { $dynamicRef: "#meta" } } },
    { type: "object", properties: { list: { type: "array", uniqueItems: true } } },
    { type: "object", properties: { x: { not: { type: "string", format: "password" } } } },
    { type: "object", properties: { link: { type: "string", format: "url" } } },
    { type: "object", properties: { v: { type: "string", pattern: 5 } } },
  ),
);

/** Strings that trigger catastrophic backtracking in the patterns above. */
export const evilInputArb: fc.Arbitrary<string> = fc.tuple(fc.constantFrom("a", "x", "ab", "::", "a "), fc.integer({ min: 20, max: 20_000 }), fc.constantFrom("!", "", "\u0000", "y"))
  .map(([unit, n, end]) => (unit === "::" ? "http://" : "") + unit.repeat(n) + end);
