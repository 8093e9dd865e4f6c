// The action run pages as the console shows them: the header (service, action, danger), the run form
// built from the inputSchema (actionForm.ts), and the confirmation step with the redacted input.
import { needsConfirmation } from "../domain/commands/execute.js";
import { redact } from "../domain/redact.js";
import type { ActionRow, ServiceWire } from "../domain/services.js";
import { formFields, hiddenFields } from "./actionForm.js";
import { badge, prettyJson } from "./format.js";
import type { FieldErrors, Form } from "./forms.js";

type Obj = Record<string, unknown>;

export interface RunModel {
  schema: Obj | null;
  values: Obj;
  errors: FieldErrors;
  message: string | null;
  notice?: string | null;
  currentState?: unknown;
  /** Distinct reviewers a run of this action needs (0: none). */
  approvals?: number;
}

function actionHeader(service: ServiceWire, action: ActionRow) {
  return {
    service: { id: service.id, code: service.code, name: service.name, href: `/services/${encodeURIComponent(service.id)}` },
    action: { name: action.name, label: action.label, description: action.description ?? "", danger: badge(action.dangerLevel), confirm: needsConfirmation(action) },
    postHref: `/services/${encodeURIComponent(service.id)}/actions/${encodeURIComponent(action.name)}`,
  };
}

export function runView(service: ServiceWire, action: ActionRow, m: RunModel) {
  return {
    ...actionHeader(service, action),
    fields: formFields(m.schema, m.values, m.errors),
    message: m.message, notice: m.notice ?? null,
    approvalNotice: m.approvals ? `This action runs only after ${m.approvals === 1 ? "another person approves" : `${m.approvals} other people approve`} it (four-eyes); you will find the request under Approvals.` : null,
    currentState: m.currentState === undefined ? null : prettyJson(m.currentState),
  };
}

/** The confirmation step: what will run, with password fields masked and secrets redacted. */
export function confirmView(service: ServiceWire, action: ActionRow, payload: Obj, form: Form) {
  const passwords = new Set(formFields(action.inputSchema, {}, {}).filter((f) => f.kind === "password").map((f) => f.name));
  const shown = Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, passwords.has(k) ? "••••••" : v]));
  return { ...actionHeader(service, action), payload: prettyJson(redact(shown)), hidden: hiddenFields(form) };
}

/** Prefill from the URL (row actions of a result table link here with ?p.field=value). */
export function prefill(query: URLSearchParams): Obj {
  const out: Obj = Object.create(null); // "?p.__proto__=" stays an ordinary (ignored) field
  for (const [k, v] of query) if (k.startsWith("p.") && k.length > 2) out[k.slice(2)] = v;
  return { ...out };
}
