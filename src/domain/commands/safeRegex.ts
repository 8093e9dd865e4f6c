// Regular expressions from untrusted schemas run on RE2 (re2js: linear time in the input, no
// backtracking), so a pattern like ^(a+)+$ cannot stall the event loop. Used by ajv for `pattern` and
// `patternProperties`, by the report-time schema check, and for ajv-formats' own regexes.
import { createRequire } from "node:module";
import type { Ajv2020 } from "ajv/dist/2020.js";
import type { RegExpEngine } from "ajv/dist/types/index.js";
import type * as Re2Module from "re2js";

/** Longest `pattern` / `patternProperties` key a service may declare. */
export const MAX_PATTERN_LENGTH = 512;

// Loaded on first use, like ajv: most processes never see a pattern.
const load = createRequire(import.meta.url);
let re2js: typeof Re2Module | undefined;
const engine = (): typeof Re2Module => (re2js ??= load("re2js") as typeof Re2Module);

/** Loads RE2 now (the validator's warm-up), so the first pattern does not pay for it. */
export const loadRegexEngine = (): void => void engine();

/**
 * Linear time per test is not enough when one payload runs many patterns over many strings: the
 * regex work of one validation is metered (characters scanned plus a per-call cost) and stops at
 * the budget. Outside withRegexBudget there is no meter.
 */
let budgetLeft = Infinity;
const PER_CALL_COST = 32;

export class RegexBudgetExceeded extends Error {}

export function withRegexBudget<T>(units: number, fn: () => T): T {
  const outer = budgetLeft;
  budgetLeft = units;
  try {
    return fn();
  } finally {
    budgetLeft = outer;
  }
}

function charge(s: string): void {
  budgetLeft -= s.length + PER_CALL_COST;
  if (budgetLeft < 0) throw new RegexBudgetExceeded("regex budget exceeded");
}

export interface SafeRegExp {
  test(s: string): boolean;
  /** ajv keys compiled patterns by toString(): it must be the pattern itself. */
  toString(): string;
}

/** Compiles an ECMAScript pattern on RE2; throws (with RE2's reason) for what RE2 cannot run in linear time. */
export function safeRegExp(pattern: string, caseInsensitive = false): SafeRegExp {
  const { RE2JS } = engine();
  const re = RE2JS.compile(RE2JS.translateRegExp(pattern), caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  return {
    test: (s) => {
      charge(s);
      return re.test(s);
    },
    toString: () => pattern,
  };
}

/** Why a declared pattern is refused, or null when it is fine. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is ${pattern.length} characters; the limit is ${MAX_PATTERN_LENGTH}`;
  try {
    safeRegExp(pattern);
    return null;
  } catch (err) {
    // backreferences and lookaround have no linear-time implementation
    return `pattern ${JSON.stringify(pattern.slice(0, 80))} is not supported (backreferences and lookaround are not allowed): ${String((err as Error).message).slice(0, 160)}`;
  }
}

/** ajv's code.regExp option. `code` only matters for standalone code generation, which Capstan does not use. */
export const re2Engine: RegExpEngine = Object.assign((pattern: string) => safeRegExp(pattern), { code: 'require("re2js").RE2JS.compile' });

/** Formats whose regexes RE2 cannot compile (lookaround): checked by JS regexes on short input only. */
const LOOKAROUND_FORMAT_MAX: Record<string, number> = { url: 2083, hostname: 253, duration: 64 };

/**
 * Replaces ajv-formats' regex formats by RE2 versions. Its `url` regex alone needs seconds on a
 * 50 KB string; the function formats (date, time, uri, byte, regex) were measured linear.
 */
export function useSafeFormats(ajv: Ajv2020, formats: Record<string, unknown>): void {
  for (const [name, def] of Object.entries(formats)) {
    const rx = def instanceof RegExp ? def : def && typeof def === "object" && (def as { validate?: unknown }).validate instanceof RegExp ? (def as { validate: RegExp }).validate : null;
    if (!rx) continue;
    const compare = def && typeof def === "object" && !(def instanceof RegExp) ? (def as { compare?: unknown }).compare : undefined;
    // compiled on the format's first use: compiling all ~20 on RE2 up front was the largest part of
    // loading the validator (~75-110 ms of CPU), and most schemas use one or two formats
    let safe: SafeRegExp | null | undefined;
    const max = LOOKAROUND_FORMAT_MAX[name] ?? 256;
    const validate = (s: string): boolean => {
      if (safe === undefined) {
        try {
          safe = safeRegExp(rx.source, rx.flags.includes("i"));
        } catch {
          safe = null;
        }
      }
      return safe ? safe.test(s) : s.length <= max && rx.test(s);
    };
    ajv.addFormat(name, { type: "string", validate, ...(typeof compare === "function" ? { compare: compare as (a: string, b: string) => number } : {}) });
  }
}
