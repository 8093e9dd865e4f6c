// The Capsule Bus as the console shows it: route and event view models, and the route form (flat,
// dotted field names matching the API body paths, so validation messages land on the right field).
import type { App } from "../context.js";
import type { BusEventWire, causedCommands } from "../domain/bus/events.js";
import { isTerminal } from "../domain/commands/queries.js";
import type { Preview } from "../domain/bus/match.js";
import { BUS_ROUTE_STATUSES, type BusRouteWire } from "../domain/bus/routes.js";
import { AppError } from "../errors.js";
import { badge, prettyJson, when, type Badge } from "./format.js";
import type { FieldErrors, Form, FormState } from "./forms.js";
import { field } from "./forms.js";

const tone = (text: string, t: Badge["tone"]): Badge => ({ text, tone: t });
const ROUTE_STATUS: Record<string, Badge> = {
  ENABLED: tone("ENABLED", "positive"), DRY_RUN: tone("DRY RUN", "info"), DISABLED: tone("DISABLED", "neutral"),
};
const OUTCOME: Record<string, Badge["tone"]> = {
  DISPATCHED: "positive", COMMAND_CREATED: "positive", DRY_RUN: "info", UNMATCHED: "neutral", PARTIAL: "warning", FAILED: "negative", REFUSED: "negative",
};
/** The status changes a route offers, labelled; the current status is left out. */
const STATUS_ACTIONS: Record<string, string> = { ENABLED: "Enable", DRY_RUN: "Dry run", DISABLED: "Disable" };
const statusButtons = (current: string): [string, string][] =>
  Object.entries(STATUS_ACTIONS).filter(([v]) => v !== current);

export const outcomeBadge = (o: string): Badge => tone(o.replace("_", " "), Object.hasOwn(OUTCOME, o) ? OUTCOME[o]! : "neutral");

export const ROUTE_FIELDS = [
  "name", "description", "status", "trigger.eventType", "trigger.sourceServiceCode", "action.targetServiceCode", "action.actionName",
  "action.payloadTemplate", "confirmed", "sampleEvent.eventType", "sampleEvent.sourceServiceCode", "sampleEvent.data",
] as const;

/** Text inputs of the route form: name (the API body path), label, hint, required. */
const FORM_FIELDS: [string, string, string, boolean][] = [
  ["name", "Name", "", true], ["description", "Description", "optional", false],
  ["trigger.eventType", "Event type", "e.g. demo.item.created", true],
  ["trigger.sourceServiceCode", "Only from service", "optional service code; empty: any service", false],
  ["action.targetServiceCode", "Run on service", "service code", true], ["action.actionName", "Action", "an action that service declares", true],
];
export const routeHref = (id: string) => `/bus/routes/${encodeURIComponent(id)}`;

/** The route form's state: typed values and messages, and optionally a preview's answer. */
export interface RouteFormState extends FormState {
  preview?: ReturnType<typeof previewView> | null;
  previewError?: string | null;
}

export function routeRowView(app: App, r: BusRouteWire) {
  return {
    id: r.id, href: `/bus/routes/${encodeURIComponent(r.id)}`, name: r.name, status: ROUTE_STATUS[r.status]!, statusValue: r.status, statusButtons: statusButtons(r.status),
    trigger: r.trigger.sourceServiceCode ? `${r.trigger.eventType} from ${r.trigger.sourceServiceCode}` : r.trigger.eventType,
    action: `${r.action.actionName} on ${r.action.targetServiceCode}`,
    danger: r.target.dangerLevel ? badge(r.target.dangerLevel) : null, targetKnown: r.target.actionFound,
    confirmed: r.confirmed, needsConfirmation: r.target.needsConfirmation === true,
    lastMatched: when(r.lastMatchedAt, app.now()),
  };
}

export function routeDetailView(app: App, r: BusRouteWire) {
  return {
    ...routeRowView(app, r), description: r.description ?? "",
    targetHref: r.target.serviceId ? `/services/${encodeURIComponent(r.target.serviceId)}` : null,
    confirmedAt: when(r.confirmedAt, app.now()), created: when(r.createdAt, app.now()),
    eventsHref: `/bus/events?eventType=${encodeURIComponent(r.trigger.eventType)}`,
  };
}

/** The edit form starts from the route as saved; the confirmation box always starts unticked. */
export function routeFormValues(r: BusRouteWire): Record<string, string> {
  return {
    name: r.name, description: r.description ?? "", status: r.status, "trigger.eventType": r.trigger.eventType,
    "trigger.sourceServiceCode": r.trigger.sourceServiceCode ?? "", "action.targetServiceCode": r.action.targetServiceCode,
    "action.actionName": r.action.actionName, "action.payloadTemplate": r.action.payloadTemplate ? prettyJson(r.action.payloadTemplate) : "",
    "sampleEvent.eventType": r.trigger.eventType, "sampleEvent.sourceServiceCode": r.trigger.sourceServiceCode ?? "",
  };
}

export const formValues = (form: Form): Record<string, string> =>
  Object.fromEntries(ROUTE_FIELDS.map((k) => [k, field(form, k).trim()]));

function json(values: Record<string, string>, key: string): unknown {
  const text = values[key];
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError("VALIDATION_FAILED", "the JSON does not parse", { issues: [{ path: key, message: `not valid JSON: ${(err as Error).message}` }] });
  }
}

const opt = (v: string | undefined) => (v ? v : undefined);

/** Body for POST /api/admin/bus/routes from the form (the same schema then validates it). */
export function createBody(v: Record<string, string>) {
  return {
    name: v.name, description: opt(v.description), status: v.status || "DISABLED",
    trigger: { eventType: v["trigger.eventType"], sourceServiceCode: opt(v["trigger.sourceServiceCode"]) },
    action: { targetServiceCode: v["action.targetServiceCode"], actionName: v["action.actionName"], payloadTemplate: json(v, "action.payloadTemplate") },
    confirmed: v.confirmed === "on",
  };
}

/** Body for PATCH: empty fields clear; an unticked confirmation leaves the saved one alone (changing the target clears it anyway). */
export function patchBody(v: Record<string, string>) {
  const c = createBody(v);
  return {
    name: c.name, description: v.description || null, status: c.status,
    trigger: { eventType: c.trigger.eventType, sourceServiceCode: v["trigger.sourceServiceCode"] || null },
    action: { ...c.action, payloadTemplate: c.action.payloadTemplate ?? null },
    ...(c.confirmed ? { confirmed: true } : {}),
  };
}

export function previewBody(v: Record<string, string>) {
  const c = createBody(v);
  return {
    trigger: c.trigger, action: c.action, confirmed: c.confirmed,
    sampleEvent: {
      eventType: v["sampleEvent.eventType"] || c.trigger.eventType,
      // a route without a source condition matches any service, so any name will do for the sample
      sourceServiceCode: v["sampleEvent.sourceServiceCode"] || c.trigger.sourceServiceCode || "sample-service",
      data: json(v, "sampleEvent.data") ?? {},
    },
  };
}

/** Template issues point inside the template ("action.payloadTemplate.message"): show them on the textarea. */
export const formErrors = (errors: FieldErrors): FieldErrors =>
  Object.fromEntries(Object.entries(errors).map(([k, m]) => [k.startsWith("action.payloadTemplate.") ? "action.payloadTemplate" : k, m]));

export const previewView = (p: Preview) => ({
  matches: p.matches, reasons: p.reasons, payload: prettyJson(p.payload), problems: p.problems, wouldCreateCommand: p.wouldCreateCommand,
});

/** The form page: new (no route) or edit, optionally with errors or a preview to show. */
export function routeFormView(app: App, r: BusRouteWire | null, form: RouteFormState) {
  return {
    route: r ? routeDetailView(app, r) : null,
    action: r ? routeHref(r.id) : "/bus/routes",
    statuses: BUS_ROUTE_STATUSES, fields: FORM_FIELDS,
    form: { preview: null, previewError: null, ...form, values: form.values, errors: formErrors(form.errors) },
  };
}

/** The events list: rows with the commands they caused; it refreshes itself while one can still change. */
export function eventRowsView(app: App, rows: readonly BusEventWire[], commands: Awaited<ReturnType<typeof causedCommands>>[]) {
  return { rows: rows.map((e, i) => eventRowView(app, e, commands[i]!)), live: anyCommandLive(commands.flat()) };
}

/** The events list refreshes itself while a command it shows can still change. */
export const anyCommandLive = (commands: Awaited<ReturnType<typeof causedCommands>>): boolean => commands.some((c) => !isTerminal(c.status));

export function eventRowView(app: App, e: BusEventWire, commands: Awaited<ReturnType<typeof causedCommands>>) {
  const byId = new Map(commands.map((c) => [c.id, c]));
  return {
    id: e.id, href: `/bus/events/${encodeURIComponent(e.id)}`, eventType: e.eventType, source: e.sourceServiceCode,
    sourceHref: e.sourceServiceId ? `/services/${encodeURIComponent(e.sourceServiceId)}` : null,
    outcome: outcomeBadge(e.outcome), errorCode: e.errorCode ?? "", received: when(e.createdAt, app.now())!,
    matches: e.matchedRoutes.map((m) => {
      const c = m.commandId ? byId.get(m.commandId) : undefined;
      return {
        routeName: m.routeName, routeHref: `/bus/routes/${encodeURIComponent(m.routeId)}`, outcome: outcomeBadge(m.outcome), errorCode: m.errorCode ?? "",
        message: m.message ?? "", command: c ? { href: `/commands/${encodeURIComponent(c.id)}`, action: c.actionName, status: badge(c.status) } : null,
      };
    }),
  };
}

export function eventDetailView(app: App, e: BusEventWire, commands: Awaited<ReturnType<typeof causedCommands>>) {
  return {
    ...eventRowView(app, e, commands), clientEventId: e.clientEventId ?? "", timestamp: e.timestamp ?? "",
    data: prettyJson(e.data), metadata: prettyJson(e.metadata),
    agentHref: e.agentId ? `/agents/${encodeURIComponent(e.agentId)}` : null, agentId: e.agentId ?? "",
  };
}
