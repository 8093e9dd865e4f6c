// /settings: system facts, maintenance, backup download and personal API tokens — the same domain
// operations as /api/admin/{diagnostics,maintenance/run,backup,api-tokens}.
import { route, type Ctx } from "../../context.js";
import { snapshotDownload } from "../../domain/backup.js";
import { createApiToken, revokeVisibleApiToken } from "../../domain/apiTokens.js";
import { triggerMaintenance } from "../../domain/maintenance.js";
import { AppError } from "../../errors.js";
import { redirect, stream, type Reply } from "../../http/reply.js";
import { CreateApiTokenBody } from "../../schemas/apiTokens.js";
import { idOf } from "../../schemas/common.js";
import { setFlash } from "../../console/flash.js";
import { blankForm, pick, readForm, submitForm, type FormState } from "../../console/forms.js";
import { settingsView } from "../../console/settingsView.js";
import { page } from "../../console/view.js";

const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

async function settingsPage(ctx: Ctx<unknown>, tokenForm: FormState, status = 200): Promise<Reply> {
  return page(ctx, "settings/index", await settingsView(ctx, tokenForm), { title: "Settings", nav: "settings", status });
}

export const settingsPages = [
  route({
    method: "GET", path: "/settings", auth: "viewer", page: true, name: "showSettings",
    handler: (ctx) => settingsPage(ctx, blankForm()),
  }),
  route({
    method: "POST", path: "/settings/maintenance", auth: "operator", page: true, name: "runMaintenancePage",
    handler: async (ctx) => {
      const r = await triggerMaintenance(ctx.app, actorOf(ctx), ctx.requestId);
      const changed = Object.values(r.changes).reduce((a, b) => a + b, 0);
      setFlash(ctx.app, ctx.admin!.sessionId, {
        kind: r.errors.length ? "error" : "success",
        message: `Maintenance ran in ${r.durationMs} ms: ${changed} change${changed === 1 ? "" : "s"}${r.errors.length ? `, ${r.errors.length} task(s) failed` : ""}.`,
      });
      return redirect("/settings");
    },
  }),
  route({
    // a plain form POST that answers with the file: the browser downloads it and stays on the page
    method: "POST", path: "/settings/backup", auth: "owner", page: true, name: "downloadBackupPage",
    handler: async (ctx) => {
      const snap = await snapshotDownload(ctx.app, actorOf(ctx), ctx.signal, ctx.requestId);
      return stream(snap.stream, "application/vnd.sqlite3", { "Content-Disposition": `attachment; filename="${snap.fileName}"`, "Content-Length": String(snap.bytes) });
    },
  }),
  route({
    method: "POST", path: "/settings/api-tokens", auth: "viewer", page: true, name: "createApiTokenPage",
    handler: async (ctx) => {
      const values = pick(await readForm(ctx), ["name", "expiresInSeconds"]);
      return submitForm(values, async () => {
        const body = CreateApiTokenBody.omit({ userId: true }).parse(values);
        const t = await createApiToken(ctx.app, actorOf(ctx), ctx.admin!.userId, body, ctx.requestId);
        setFlash(ctx.app, ctx.admin!.sessionId, {
          kind: "success", message: `API token "${t.name}" created. It acts with your role (${ctx.admin!.role}).`,
          secret: { label: "API token", value: t.rawToken, snippet: `curl -H "Authorization: Bearer ${t.rawToken}" ${ctx.app.config.publicUrl ?? ""}/api/admin/auth/me` },
        });
        return redirect("/settings");
      }, (form, status) => settingsPage(ctx, form, status));
    },
  }),
  route({
    method: "POST", path: "/settings/api-tokens/:tokenId/revoke", auth: "viewer", page: true, name: "revokeApiTokenPage",
    handler: async (ctx) => {
      const id = idOf("apt").safeParse(ctx.params.tokenId);
      if (!id.success) throw new AppError("API_TOKEN_NOT_FOUND", "no such API token");
      await revokeVisibleApiToken(ctx.app, ctx.admin!, id.data, ctx.requestId);
      setFlash(ctx.app, ctx.admin!.sessionId, { kind: "success", message: "API token revoked." });
      return redirect("/settings");
    },
  }),
];
