// Payload templates: JSON in which a string that is exactly "{{event.<ref>}}" becomes that value of
// the event. Deliberately not a template language: no expressions, no string interpolation, so a
// route can only pass data along, never compute or execute anything.
import { AppError } from "../../errors.js";

export interface TemplateEvent {
  eventId: string;
  eventType: string;
  sourceServiceCode: string;
  data: unknown;
}

export interface TemplateIssue {
  path: string;
  message: string;
}

const PLACEHOLDER = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const REFERENCE = /^event\.(?:eventId|eventType|sourceServiceCode|data(?:\.[A-Za-z0-9_$-]+)*)$/;
const MISSING = Symbol("missing");

/** The reference inside a placeholder string, or null for an ordinary (literal) string. */
const placeholderOf = (s: string): string | null => PLACEHOLDER.exec(s)?.[1] ?? null;

/** Every placeholder must name something an event has: a typo is refused when the route is saved, not when it fires. */
export function templateIssues(template: unknown, path = "action.payloadTemplate"): TemplateIssue[] {
  if (typeof template === "string") {
    const ref = placeholderOf(template);
    return ref !== null && !REFERENCE.test(ref)
      ? [{ path, message: `unknown placeholder {{${ref}}}: use event.data.<path>, event.eventType, event.sourceServiceCode or event.eventId` }]
      : [];
  }
  if (Array.isArray(template)) return template.flatMap((v, i) => templateIssues(v, `${path}.${i}`));
  if (template && typeof template === "object") return Object.entries(template).flatMap(([k, v]) => templateIssues(v, `${path}.${k}`));
  return [];
}

function resolve(ref: string, event: TemplateEvent): unknown {
  const [, head, ...rest] = ref.split(".");
  if (head === "eventId") return event.eventId;
  if (head === "eventType") return event.eventType;
  if (head === "sourceServiceCode") return event.sourceServiceCode;
  let value: unknown = event.data;
  for (const key of rest) {
    // own properties only: a path must never reach into prototypes
    if (value !== null && typeof value === "object" && Object.hasOwn(value, key)) value = (value as Record<string, unknown>)[key];
    else return MISSING;
  }
  return value === undefined ? MISSING : value;
}

/**
 * The rendered size is counted while rendering (JSON bytes, each referenced value measured once), so a
 * template repeating a large field cannot build megabytes before being refused: it stops as soon as
 * the running total passes the limit.
 */
class Budget {
  private left: number;
  private readonly sizes = new Map<string, number>();
  constructor(private readonly limit: number) {
    this.left = limit;
  }
  spend(bytes: number): void {
    this.left -= bytes;
    if (this.left < 0) {
      throw new AppError("BUS_PAYLOAD_TOO_LARGE", `the rendered payload would exceed ${this.limit} bytes (the body limit); the route's template repeats or passes along too much of the event`, {
        limit: this.limit,
      });
    }
  }
  spendValue(ref: string, value: unknown): void {
    let size = this.sizes.get(ref);
    if (size === undefined) this.sizes.set(ref, (size = value === MISSING ? 0 : Buffer.byteLength(JSON.stringify(value) ?? "null")));
    this.spend(size);
  }
}

function render(node: unknown, event: TemplateEvent, budget: Budget): unknown {
  if (typeof node === "string") {
    const ref = placeholderOf(node);
    if (ref !== null && REFERENCE.test(ref)) {
      const value = resolve(ref, event);
      budget.spendValue(ref, value);
      return value;
    }
    budget.spend(Buffer.byteLength(node) + 2);
    return node;
  }
  if (Array.isArray(node)) {
    budget.spend(2 + node.length);
    return node.map((v) => render(v, event, budget)).map((v) => (v === MISSING ? null : v));
  }
  if (node && typeof node === "object") {
    budget.spend(2);
    // fromEntries defines own properties, so a "__proto__" key stays a key instead of setting a prototype
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => {
        budget.spend(Buffer.byteLength(k) + 4);
        return [k, render(v, event, budget)] as const;
      }).filter(([, v]) => v !== MISSING),
    );
  }
  budget.spend(JSON.stringify(node ?? null).length);
  return node;
}

/**
 * The command payload for an event. A placeholder whose value the event lacks leaves its key out
 * (null inside arrays), so the action's inputSchema decides whether that is acceptable. Throws 422
 * BUS_PAYLOAD_TOO_LARGE once the payload grows past maxBytes (the body limit: what an operator could send).
 */
export function renderPayload(template: Record<string, unknown> | null, event: TemplateEvent, maxBytes: number): Record<string, unknown> {
  if (!template) return {};
  return render(template, event, new Budget(maxBytes)) as Record<string, unknown>;
}
