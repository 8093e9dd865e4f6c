// The action run flow: GET prepares (the agent's initial payload and current state) and shows the
// generated form; POST validates, asks for confirmation when the action needs it, then executes and
// redirects to the live command. Same domain operations as GET/POST /api/admin/.../actions/:name.
import { route, type Ctx } from "../../context.js";
import { executeAction, needsConfirmation } from "../../domain/commands/execute.js";
import { prepareAction } from "../../domain/commands/prepare.js";
import { requireActionDefinition, serviceWire, type ActionRow, type ServiceWire } from "../../domain/services.js";
import { requiredApprovals } from "../../domain/approvals/policy.js";
import { AppError } from "../../errors.js";
import { html, redirect, type Reply } from "../../http/reply.js";
import { idOf } from "../../schemas/common.js";
import { payloadFromForm } from "../../console/actionForm.js";
import { confirmView, prefill, runView, type RunModel } from "../../console/actionView.js";
import { field, readForm, submitForm } from "../../console/forms.js";
import { isHtmx, page, VARY } from "../../console/view.js";

type Obj = Record<string, unknown>;
const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

async function target(ctx: Ctx<{ serviceId: string; actionName: string }>): Promise<{ service: ServiceWire; action: ActionRow }> {
  const id = idOf("svc").safeParse(ctx.params.serviceId);
  if (!id.success) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", "no such capsule service");
  const service = await serviceWire(ctx.app, id.data);
  return { service, action: await requireActionDefinition(ctx.app, service.id, ctx.params.actionName) };
}

function runPage(ctx: Ctx<unknown>, service: ServiceWire, action: ActionRow, m: RunModel, status = 200): Reply {
  return page(ctx, "actions/run", runView(service, action, m), { title: `Run ${action.label}`, nav: "services", fragment: "actions/_form", status });
}

export const actionPages = [
  route({
    method: "GET", path: "/services/:serviceId/actions/:actionName", auth: "operator", page: true, name: "prepareActionPage", query: true, sameOrigin: true,
    handler: async (ctx) => {
      const { service, action } = await target(ctx);
      const approvals = await requiredApprovals(ctx.app, service, action);
      try {
        const p = await prepareAction(ctx.app, { serviceId: service.id, actionName: action.name, actor: actorOf(ctx), signal: ctx.signal, requestId: ctx.requestId });
        return runPage(ctx, service, action, {
          schema: (p.inputSchema as Obj | undefined) ?? action.inputSchema, values: { ...p.initialPayload, ...prefill(ctx.query) },
          errors: {}, message: null, currentState: p.currentState, approvals,
        });
      } catch (err) {
        // without the agent's answer the declared form still works; execute checks everything again
        if (!(err instanceof AppError) || (err.code !== "ACTION_PREPARE_TIMEOUT" && err.code !== "ACTION_PREPARE_FAILED")) throw err;
        return runPage(ctx, service, action, {
          schema: action.inputSchema, values: prefill(ctx.query), errors: {}, message: null, approvals,
          notice: `The agent did not prepare this action (${err.message}). The form below uses the action's declared inputs.`,
        });
      }
    },
  }),
  route({
    method: "POST", path: "/services/:serviceId/actions/:actionName", auth: "operator", page: true, name: "runActionPage",
    handler: async (ctx) => {
      const { service, action } = await target(ctx);
      const approvals = await requiredApprovals(ctx.app, service, action);
      const form = await readForm(ctx);
      const { payload, errors, typed } = payloadFromForm(action.inputSchema, form);
      const again = (f: { errors: Record<string, string>; message: string | null }, status: number) =>
        runPage(ctx, service, action, { schema: action.inputSchema, values: typed, errors: f.errors, message: f.message, approvals }, status);
      // type errors the browser could not catch, before anything reaches the domain
      if (Object.keys(errors).length) return again({ errors, message: "Please correct the highlighted fields." }, 422);
      const confirmed = field(form, "confirmed") === "yes";
      if (needsConfirmation(action) && !confirmed) {
        return page(ctx, "actions/confirm", confirmView(service, action, payload, form), { title: `Confirm ${action.label}`, nav: "services", fragment: "actions/_confirm" });
      }
      return submitForm({}, async () => {
        const c = await executeAction(ctx.app, {
          serviceId: service.id, actionName: action.name, payload, confirmation: confirmed, actor: actorOf(ctx), requestId: ctx.requestId,
        });
        const to = `/commands/${encodeURIComponent(c.id)}`;
        // an htmx form post leaves the page for the live command view
        return isHtmx(ctx) ? html("", 200, { ...VARY, "HX-Redirect": to }) : redirect(to);
      }, again, { accepts: (err) => err instanceof AppError && err.code === "ACTION_PAYLOAD_INVALID" });
    },
  }),
];
