// Payload templates: JSON in which a string that is exactly "{{event.<ref>}}" becomes that value of
// the event. Deliberately not a template language: no expressions, no string interpolation, so a
// route can only pass data along, never compute or execute anything.
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

function render(node: unknown, event: TemplateEvent): unknown {
  if (typeof node === "string") {
    const ref = placeholderOf(node);
    return ref !== null && REFERENCE.test(ref) ? resolve(ref, event) : node;
  }
  if (Array.isArray(node)) return node.map((v) => render(v, event)).map((v) => (v === MISSING ? null : v));
  if (node && typeof node === "object") {
    // fromEntries defines own properties, so a "__proto__" key stays a key instead of setting a prototype
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, render(v, event)] as const).filter(([, v]) => v !== MISSING),
    );
  }
  return node;
}

/**
 * The command payload for an event. A placeholder whose value the event lacks leaves its key out
 * (null inside arrays), so the action's inputSchema decides whether that is acceptable.
 */
export function renderPayload(template: Record<string, unknown> | null, event: TemplateEvent): Record<string, unknown> {
  if (!template) return {};
  return render(template, event) as Record<string, unknown>;
}
