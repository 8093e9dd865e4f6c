// /tokens: registration tokens — list, create (raw value shown once with an env snippet), revoke.
import { route, type Ctx } from "../../context.js";
import { createRegistrationToken, listRegistrationTokensPage, revokeRegistrationTokenById } from "../../domain/registrationTokens.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { CreateRegistrationTokenBody, LIST_REGISTRATION_TOKENS_ARRAYS, ListRegistrationTokensQuery } from "../../schemas/registrationTokens.js";
import { setFlash } from "../../console/flash.js";
import { blankForm, pick, readForm, submitForm, type FormState } from "../../console/forms.js";
import { listPage } from "../../console/lists.js";
import { envSnippet, tokenInput, tokenRowView } from "../../console/tokenView.js";
import { page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

async function tokensPage(ctx: Ctx<unknown>, form: FormState, status = 200): Promise<Reply> {
  const l = await listPage(ctx.query, {
    path: "/tokens", filterKeys: ["status"],
    parse: (q) => parseQuery(q, ListRegistrationTokensQuery, LIST_REGISTRATION_TOKENS_ARRAYS),
    list: (qy) => listRegistrationTokensPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize),
  });
  return page(ctx, "tokens/index", {
    tokens: l.rows.map((t) => tokenRowView(ctx.app, t)), pager: l.pager, filters: l.filters, form,
  }, { title: "Registration tokens", nav: "tokens", status, fragment: "tokens/_rows" });
}

export const tokenPages = [
  route({
    method: "GET", path: "/tokens", auth: "viewer", page: true, name: "listTokensPage", query: true,
    handler: (ctx) => tokensPage(ctx, blankForm()),
  }),
  route({
    method: "POST", path: "/tokens", auth: "operator", page: true, name: "createTokenPage",
    handler: async (ctx) => {
      const values = pick(await readForm(ctx), ["name", "expiresInSeconds", "maxUses", "agentCode"]);
      return submitForm(values, async () => {
        const t = await createRegistrationToken(ctx.app, actorOf(ctx), CreateRegistrationTokenBody.parse(tokenInput(values)), ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, {
          kind: "success", message: `Registration token "${t.name}" created. Start the service with these settings; its agent appears under Agents.`,
          secret: { label: "Registration token", value: t.rawToken, snippet: envSnippet(ctx, t.rawToken, t.agentCode) },
        });
        return redirect("/tokens");
      }, (form, status) => tokensPage(ctx, form, status));
    },
  }),
  route({
    method: "POST", path: "/tokens/:tokenId/revoke", auth: "operator", page: true, name: "revokeTokenPage",
    handler: async (ctx) => {
      const id = idOf("tok").safeParse(ctx.params.tokenId);
      if (!id.success) throw new AppError("REGISTRATION_TOKEN_NOT_FOUND", "no such registration token");
      const t = await revokeRegistrationTokenById(ctx.app, actorOf(ctx), id.data, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Registration token "${t.name}" revoked.` });
      return redirect("/tokens");
    },
  }),
];
