// The action run flow: GET prepares (the agent's initial payload and current state) and shows the
// generated form; POST validates, asks for confirmation when the action needs it, then executes and
// redirects to the live command. Same domain operations as GET/POST /api/admin/.../actions/:name.
import { route, type Ctx } from "../../context.js";
import { getActionDefinition, type ActionRow } from "../../db/services.js";
import { executeAction, needsConfirmation } from "../../domain/commands/execute.js";
import { prepareAction } from "../../domain/commands/prepare.js";
import { redact } from "../../domain/redact.js";
import { serviceWire, type ServiceWire } from "../../domain/services.js";
import { AppError } from "../../errors.js";
import { html, redirect, type Reply } from "../../http/reply.js";
import { idOf } from "../../schemas/common.js";
import { formFields, hiddenFields, payloadFromForm } from "../../console/actionForm.js";
import { badge, prettyJson } from "../../console/format.js";
import { field, fieldErrors, readForm, type FieldErrors } from "../../console/forms.js";
import { isHtmx, page, VARY } from "../../console/view.js";

type Obj = Record<string, unknown>;
const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

function target(ctx: Ctx<{ serviceId: string; actionName: string }>): { service: ServiceWire; action: ActionRow } {
  const id = idOf("svc").safeParse(ctx.params.serviceId);
  if (!id.success) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", "no such capsule service");
  const service = serviceWire(ctx.app, id.data);
  const action = getActionDefinition(ctx.app.db, service.id, ctx.params.actionName);
  if (!action) throw new AppError("ACTION_NOT_FOUND", `the service declares no action named ${ctx.params.actionName}`);
  return { service, action };
}

interface RunModel {
  schema: Obj | null;
  values: Obj;
  errors: FieldErrors;
  message: string | null;
  notice?: string | null;
  currentState?: unknown;
}

function actionHeader(service: ServiceWire, action: ActionRow) {
  return {
    service: { id: service.id, code: service.code, name: service.name, href: `/services/${encodeURIComponent(service.id)}` },
    action: { name: action.name, label: action.label, description: action.description ?? "", danger: badge(action.dangerLevel), confirm: needsConfirmation(action) },
    postHref: `/services/${encodeURIComponent(service.id)}/actions/${encodeURIComponent(action.name)}`,
  };
}

function runPage(ctx: Ctx<unknown>, service: ServiceWire, action: ActionRow, m: RunModel, status = 200): Reply {
  return page(ctx, "actions/run", {
    ...actionHeader(service, action),
    fields: formFields(m.schema, m.values, m.errors),
    message: m.message, notice: m.notice ?? null,
    currentState: m.currentState === undefined ? null : prettyJson(m.currentState),
  }, { title: `Run ${action.label}`, nav: "services", fragment: "actions/_form", status });
}

/** Prefill from the URL (row actions of a result table link here with ?p.field=value). */
function prefill(query: URLSearchParams): Obj {
  const out: Obj = Object.create(null); // "?p.__proto__=" stays an ordinary (ignored) field
  for (const [k, v] of query) if (k.startsWith("p.") && k.length > 2) out[k.slice(2)] = v;
  return { ...out };
}

export const actionPages = [
  route({
    method: "GET", path: "/services/:serviceId/actions/:actionName", auth: "operator", page: true, name: "prepareActionPage", query: true, sameOrigin: true,
    handler: async (ctx) => {
      const { service, action } = target(ctx);
      try {
        const p = await prepareAction(ctx.app, { serviceId: service.id, actionName: action.name, actor: actorOf(ctx), signal: ctx.signal, requestId: ctx.requestId });
        return runPage(ctx, service, action, {
          schema: (p.inputSchema as Obj | undefined) ?? action.inputSchema, values: { ...p.initialPayload, ...prefill(ctx.query) },
          errors: {}, message: null, currentState: p.currentState,
        });
      } catch (err) {
        // without the agent's answer the declared form still works; execute checks everything again
        if (!(err instanceof AppError) || (err.code !== "ACTION_PREPARE_TIMEOUT" && err.code !== "ACTION_PREPARE_FAILED")) throw err;
        return runPage(ctx, service, action, {
          schema: action.inputSchema, values: prefill(ctx.query), errors: {}, message: null,
          notice: `The agent did not prepare this action (${err.message}). The form below uses the action's declared inputs.`,
        });
      }
    },
  }),
  route({
    method: "POST", path: "/services/:serviceId/actions/:actionName", auth: "operator", page: true, name: "runActionPage",
    handler: async (ctx) => {
      const { service, action } = target(ctx);
      const form = await readForm(ctx);
      const { payload, errors, typed } = payloadFromForm(action.inputSchema, form);
      if (Object.keys(errors).length) {
        return runPage(ctx, service, action, { schema: action.inputSchema, values: typed, errors, message: "Please correct the highlighted fields." }, 422);
      }
      const confirmed = field(form, "confirmed") === "yes";
      if (needsConfirmation(action) && !confirmed) {
        const shown = Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, formFields(action.inputSchema, {}, {}).find((f) => f.name === k)?.kind === "password" ? "••••••" : v]));
        return page(ctx, "actions/confirm", {
          ...actionHeader(service, action), payload: prettyJson(redact(shown)), hidden: hiddenFields(form),
        }, { title: `Confirm ${action.label}`, nav: "services", fragment: "actions/_confirm" });
      }
      try {
        const c = executeAction(ctx.app, {
          serviceId: service.id, actionName: action.name, payload, confirmation: confirmed, actor: actorOf(ctx), requestId: ctx.requestId,
        });
        const to = `/commands/${encodeURIComponent(c.id)}`;
        // an htmx form post leaves the page for the live command view
        return isHtmx(ctx) ? html("", 200, { ...VARY, "HX-Redirect": to }) : redirect(to);
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== "ACTION_PAYLOAD_INVALID") throw err;
        const f = fieldErrors(err);
        return runPage(ctx, service, action, { schema: action.inputSchema, values: typed, errors: f.errors, message: f.message }, 422);
      }
    },
  }),
];
