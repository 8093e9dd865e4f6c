// /notifications: webhook endpoints (owner only: URLs may carry credentials). List and create (the
// signing secret shown once), detail with settings, the delivery log, send test, redeliver, delete.
// Every action is a plain form post answered with a redirect, so it all works with JavaScript off.
import { route, type Ctx } from "../../context.js";
import {
  changeWebhookEndpoint, createWebhookEndpoint, endpointToWire, listDeliveries, listWebhookEndpointsWire, redeliver, removeWebhookEndpoint,
  requireWebhookEndpoint, sendTestNotification,
} from "../../domain/notifications/endpoints.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { CreateWebhookBody, UpdateWebhookBody, deliveryIdOf, endpointIdOf } from "../../schemas/webhooks.js";
import { setFlash } from "../../console/flash.js";
import { fieldErrors, readForm } from "../../console/forms.js";
import {
  FORM_CHOICES, blankEndpointForm, deliveryRowView, endpointBody, endpointFormOf, endpointHref, endpointRowView, endpointValues, type EndpointForm,
} from "../../console/notificationView.js";
import { page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });
const DELIVERIES_SHOWN = 50;

async function listPage(ctx: Ctx<unknown>, form: EndpointForm, status = 200): Promise<Reply> {
  const rows = (await listWebhookEndpointsWire(ctx.app)).map((e) => endpointRowView(ctx.app, e));
  return page(ctx, "notifications/index", { rows, form, choices: FORM_CHOICES, action: "/notifications" }, { title: "Notifications", nav: "notifications", status });
}

async function detailPage(ctx: Ctx<unknown>, id: string, form?: EndpointForm, status = 200): Promise<Reply> {
  const e = endpointToWire(await requireWebhookEndpoint(ctx.app, id));
  const deliveries = (await listDeliveries(ctx.app, id, DELIVERIES_SHOWN)).map((d) => deliveryRowView(ctx.app, d));
  return page(ctx, "notifications/show", {
    endpoint: endpointRowView(ctx.app, e), url: e.url, deliveries, form: form ?? endpointFormOf(e), choices: FORM_CHOICES, action: endpointHref(id),
  }, { title: `Notifications: ${e.name}`, nav: "notifications", status });
}

/** A write from the form: 422 shows the form again with messages; anything else goes to the error page. */
async function submit(values: EndpointForm["values"], write: () => Promise<Reply>, again: (f: EndpointForm) => Promise<Reply>): Promise<Reply> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof AppError && err.code === "WEBHOOK_URL_FORBIDDEN") return again({ values, errors: { url: err.message }, message: "The URL is not allowed." });
    const { errors, message } = fieldErrors(err);
    return again({ values, errors, message });
  }
}

export const notificationPages = [
  route({
    method: "GET", path: "/notifications", auth: "owner", page: true, name: "listNotificationsPage",
    handler: (ctx) => listPage(ctx, blankEndpointForm()),
  }),
  route({
    method: "POST", path: "/notifications", auth: "owner", page: true, name: "createNotificationPage",
    handler: async (ctx) => {
      const values = endpointValues(await readForm(ctx));
      return submit(values, async () => {
        const { endpoint, secret } = await createWebhookEndpoint(ctx.app, actorOf(ctx), CreateWebhookBody.parse(endpointBody(values)), ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, {
          kind: "success", message: `Endpoint "${endpoint.name}" created. Receivers verify the webhook-signature header with this secret.`,
          secret: { label: "Signing secret", value: secret },
        });
        return redirect(endpointHref(endpoint.id));
      }, (f) => listPage(ctx, f, 422));
    },
  }),
  route({
    method: "GET", path: "/notifications/:webhookId", auth: "owner", page: true, name: "showNotificationPage",
    handler: (ctx) => detailPage(ctx, endpointIdOf(ctx.params.webhookId)),
  }),
  route({
    method: "POST", path: "/notifications/:webhookId", auth: "owner", page: true, name: "updateNotificationPage",
    handler: async (ctx) => {
      const id = endpointIdOf(ctx.params.webhookId);
      const values = endpointValues(await readForm(ctx));
      return submit(values, async () => {
        const e = await changeWebhookEndpoint(ctx.app, actorOf(ctx), id, UpdateWebhookBody.parse(endpointBody(values)), ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Endpoint "${e.name}" saved (${e.enabled ? "enabled" : "disabled"}).` });
        return redirect(endpointHref(id));
      }, (f) => detailPage(ctx, id, f, 422));
    },
  }),
  route({
    method: "POST", path: "/notifications/:webhookId/test", auth: "owner", page: true, name: "testNotificationPage",
    handler: async (ctx) => {
      const id = endpointIdOf(ctx.params.webhookId);
      try {
        await sendTestNotification(ctx.app, actorOf(ctx), id, ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: "Test notification queued; its delivery shows in the log below." });
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== "CONFLICT") throw err;
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "error", message: `${err.message}.` });
      }
      return redirect(endpointHref(id));
    },
  }),
  route({
    method: "POST", path: "/notifications/:webhookId/delete", auth: "owner", page: true, name: "deleteNotificationPage",
    handler: async (ctx) => {
      const id = endpointIdOf(ctx.params.webhookId);
      const name = (await requireWebhookEndpoint(ctx.app, id)).name;
      await removeWebhookEndpoint(ctx.app, actorOf(ctx), id, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Endpoint "${name}" deleted.` });
      return redirect("/notifications");
    },
  }),
  route({
    method: "POST", path: "/notifications/deliveries/:deliveryId/redeliver", auth: "owner", page: true, name: "redeliverNotificationPage",
    handler: async (ctx) => {
      const d = await redeliver(ctx.app, actorOf(ctx), deliveryIdOf(ctx.params.deliveryId), ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Message ${d.messageId} queued again.` });
      return redirect(endpointHref(d.endpointId));
    },
  }),
];
