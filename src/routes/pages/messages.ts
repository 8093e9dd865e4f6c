// /messages: the Messages console (works without JavaScript: plain forms, post/redirect/get). The
// message list with route, service, reply and latency; message routes with create, enable/disable,
// delete and the "which route would match this text" preview. Hidden (404) while messages are off.
import { route, type Ctx } from "../../context.js";
import { listMessagesPage } from "../../domain/messages/queries.js";
import {
  changeMessageRoute, createMessageRoute, listMessageRoutesPage, previewMessageRoute, removeMessageRoute, requireMessageRoute,
} from "../../domain/messages/routes.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { CreateMessageRouteBody, LIST_MESSAGES_ARRAYS, ListMessagesQuery, PreviewMessageRouteBody } from "../../schemas/messages.js";
import { MESSAGE_ROUTE_STATUSES } from "../../vocabulary.js";
import { messageRowView, ROUTE_FIELDS, routeBodyOf, routeRowView } from "../../console/messageView.js";
import { setFlash } from "../../console/flash.js";
import { blankForm, fieldErrors, pick, readForm, submitForm, type FormState } from "../../console/forms.js";
import { listPage } from "../../console/lists.js";
import { page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });
const FORM_KEYS = [...ROUTE_FIELDS.map(([k]) => k), "channel", "type", "status"];

function routeIdOf(raw: string): string {
  const id = idOf("mrt").safeParse(raw);
  if (!id.success) throw new AppError("MESSAGE_ROUTE_NOT_FOUND", "no such message route");
  return id.data;
}

interface PreviewState { values: Record<string, string>; result: Awaited<ReturnType<typeof previewMessageRoute>> | null; error: string | null }

async function routesPage(ctx: Ctx<unknown>, form: FormState, preview: PreviewState, status = 200): Promise<Reply> {
  const { rows } = await listMessageRoutesPage(ctx.app, {}, 1, 100);
  return page(ctx, "messages/routes", { rows: rows.map((r) => routeRowView(ctx.app, r)), form, preview, fields: ROUTE_FIELDS }, {
    title: "Message routes", nav: "messages", status,
  });
}
const noPreview = (): PreviewState => ({ values: {}, result: null, error: null });

export const messagePages = [
  route({
    method: "GET", path: "/messages", auth: "viewer", feature: "messages", page: true, name: "listMessagesPage", query: true,
    handler: async (ctx) => {
      const l = await listPage(ctx.query, {
        path: "/messages", filterKeys: ["channel", "status", "conversationId"],
        parse: (q) => parseQuery(q, ListMessagesQuery, LIST_MESSAGES_ARRAYS),
        list: (qy) => listMessagesPage(ctx.app, qy, qy.page, qy.pageSize),
      });
      return page(ctx, "messages/index", { rows: l.rows.map((m) => messageRowView(ctx.app, m)), pager: l.pager, filters: l.filters, filtered: l.filtered }, {
        title: "Messages", nav: "messages",
      });
    },
  }),
  route({
    method: "GET", path: "/messages/routes", auth: "viewer", feature: "messages", page: true, name: "listMessageRoutesPage",
    handler: (ctx) => routesPage(ctx, blankForm(), noPreview()),
  }),
  route({
    method: "POST", path: "/messages/routes", auth: "operator", feature: "messages", page: true, name: "createMessageRoutePage",
    handler: async (ctx) => {
      const values = pick(await readForm(ctx), FORM_KEYS);
      return submitForm(values, async () => {
        const r = await createMessageRoute(ctx.app, actorOf(ctx), CreateMessageRouteBody.parse(routeBodyOf(values)), ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Route "${r.name}" created.` });
        return redirect("/messages/routes");
      }, (form, status) => routesPage(ctx, form, noPreview(), status));
    },
  }),
  route({
    method: "POST", path: "/messages/routes/preview", auth: "viewer", feature: "messages", page: true, name: "previewMessageRoutePage",
    handler: async (ctx) => {
      const values = pick(await readForm(ctx), ["text", "channel", "type", "senderId"]);
      const parsed = PreviewMessageRouteBody.safeParse({ text: values.text, channel: values.channel || undefined, type: values.type || undefined, senderId: values.senderId || undefined });
      if (!parsed.success) return routesPage(ctx, blankForm(), { values, result: null, error: fieldErrors(parsed.error).message }, 422);
      return routesPage(ctx, blankForm(), { values, result: await previewMessageRoute(ctx.app, parsed.data), error: null });
    },
  }),
  route({
    method: "POST", path: "/messages/routes/:routeId/status", auth: "operator", feature: "messages", page: true, name: "setMessageRouteStatusPage",
    handler: async (ctx) => {
      const routeId = (await requireMessageRoute(ctx.app, routeIdOf(ctx.params.routeId))).id;
      const status = pick(await readForm(ctx), ["status"]).status;
      const to = MESSAGE_ROUTE_STATUSES.find((s) => s === status);
      if (!to) throw new AppError("VALIDATION_FAILED", "status must be ENABLED or DISABLED", { issues: [{ path: "status", message: "ENABLED or DISABLED" }] });
      const r = await changeMessageRoute(ctx.app, actorOf(ctx), routeId, { status: to }, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Route "${r.name}" is ${r.status}.` });
      return redirect("/messages/routes");
    },
  }),
  route({
    method: "POST", path: "/messages/routes/:routeId/delete", auth: "operator", feature: "messages", page: true, name: "deleteMessageRoutePage",
    handler: async (ctx) => {
      await removeMessageRoute(ctx.app, actorOf(ctx), routeIdOf(ctx.params.routeId), ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: "Route deleted." });
      return redirect("/messages/routes");
    },
  }),
];
