// /tokens: registration tokens — list, create (raw value shown once with an env snippet), revoke.
import { route, type Ctx } from "../../context.js";
import { createRegistrationToken, listRegistrationTokensPage, revokeRegistrationTokenById } from "../../domain/registrationTokens.js";
import { AppError } from "../../errors.js";
import { redirect, type Reply } from "../../http/reply.js";
import { idOf, parseQuery } from "../../schemas/common.js";
import { CreateRegistrationTokenBody, LIST_REGISTRATION_TOKENS_ARRAYS, ListRegistrationTokensQuery } from "../../schemas/registrationTokens.js";
import { setFlash } from "../../console/flash.js";
import { badge, when } from "../../console/format.js";
import { fieldErrors, pick, readForm, type FieldErrors } from "../../console/forms.js";
import { cleanQuery, filterValues, pager } from "../../console/lists.js";
import { page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

/** Where agents reach this server: the configured public URL, else what the browser used. */
export function baseUrl(ctx: Ctx<unknown>): string {
  if (ctx.app.config.publicUrl) return ctx.app.config.publicUrl;
  const proto = ctx.app.config.trustProxy && ctx.req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  return `${proto}://${ctx.req.headers.host ?? "localhost"}`;
}

export const envSnippet = (ctx: Ctx<unknown>, raw: string, agentCode?: string | null): string =>
  [`CAPSTAN_URL=${baseUrl(ctx)}`, `CAPSTAN_REGISTRATION_TOKEN=${raw}`, ...(agentCode ? [`# re-enrols agent code ${agentCode}`] : [])].join("\n");

/** Form strings to the shared body schema's types (numbers stay strings when not numeric, so zod says why). */
export function tokenInput(values: Record<string, string>) {
  const num = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v);
  return { ...values, expiresInSeconds: num(values.expiresInSeconds), maxUses: num(values.maxUses) };
}

function tokensPage(ctx: Ctx<unknown>, form: { values: Record<string, string>; errors: FieldErrors; message: string | null }, status = 200): Reply {
  const query = cleanQuery(ctx.query);
  const qy = parseQuery(query, ListRegistrationTokensQuery, LIST_REGISTRATION_TOKENS_ARRAYS);
  const { rows, pagination } = listRegistrationTokensPage(ctx.app, qy, qy.sort, qy.page, qy.pageSize);
  const now = ctx.app.now();
  return page(ctx, "tokens/index", {
    tokens: rows.map((t) => ({
      id: t.id, name: t.name, status: badge(t.status), revocable: t.status === "ACTIVE", uses: `${t.useCount} / ${t.maxUses}`,
      agentCode: t.agentCode ?? "", created: when(t.createdAt, now), expires: when(t.expiresAt, now), used: when(t.usedAt, now),
    })),
    pager: pager("/tokens", query, qy.page, pagination.pageSize, pagination.total),
    filters: filterValues(query, ["status"]),
    form,
  }, { title: "Registration tokens", nav: "tokens", status, fragment: "tokens/_rows" });
}

export const tokenPages = [
  route({
    method: "GET", path: "/tokens", auth: "viewer", page: true, name: "listTokensPage", query: true,
    handler: (ctx) => tokensPage(ctx, { values: {}, errors: {}, message: null }),
  }),
  route({
    method: "POST", path: "/tokens", auth: "operator", page: true, name: "createTokenPage",
    handler: async (ctx) => {
      const values = pick(await readForm(ctx), ["name", "expiresInSeconds", "maxUses", "agentCode"]);
      try {
        const t = createRegistrationToken(ctx.app, actorOf(ctx), CreateRegistrationTokenBody.parse(tokenInput(values)), ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, {
          kind: "success", message: `Registration token "${t.name}" created. Start the service with these settings; its agent appears under Agents.`,
          secret: { label: "Registration token", value: t.rawToken, snippet: envSnippet(ctx, t.rawToken, t.agentCode) },
        });
        return redirect("/tokens");
      } catch (err) {
        const { errors, message } = fieldErrors(err);
        return tokensPage(ctx, { values, errors, message }, 422);
      }
    },
  }),
  route({
    method: "POST", path: "/tokens/:tokenId/revoke", auth: "operator", page: true, name: "revokeTokenPage",
    handler: (ctx) => {
      const id = idOf("tok").safeParse(ctx.params.tokenId);
      if (!id.success) throw new AppError("REGISTRATION_TOKEN_NOT_FOUND", "no such registration token");
      const t = revokeRegistrationTokenById(ctx.app, actorOf(ctx), id.data, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: `Registration token "${t.name}" revoked.` });
      return redirect("/tokens");
    },
  }),
];
