// POST /services/:serviceId/package-install: the service page's install-request form (works without
// JavaScript): asks for the service's package version (and its reported digest) to be allowed on its
// agent or on all agents; an owner decides on the Approvals page. Same domain operation as
// POST /api/admin/package-installs.
import { route } from "../../context.js";
import { requestInstall } from "../../domain/packages/installs.js";
import { serviceDetail } from "../../domain/services.js";
import { AppError } from "../../errors.js";
import { redirect } from "../../http/reply.js";
import { idOf } from "../../schemas/common.js";
import { setFlash } from "../../console/flash.js";
import { pick, readForm } from "../../console/forms.js";

export const servicePackagePages = [
  route({
    method: "POST", path: "/services/:serviceId/package-install", auth: "operator", page: true, name: "requestPackageInstallPage",
    handler: async (ctx) => {
      const id = idOf("svc").safeParse(ctx.params.serviceId);
      if (!id.success) throw new AppError("CAPSULE_SERVICE_NOT_FOUND", "no such capsule service");
      const d = await serviceDetail(ctx.app, id.data);
      const form = pick(await readForm(ctx), ["scope"]);
      const back = `/services/${encodeURIComponent(d.id)}`;
      const flash = (kind: "success" | "error", message: string) => setFlash(ctx.app, ctx.admin!.sessionId, { kind, message });
      if (!d.package?.version) {
        flash("error", "This service reports no package version.");
        return redirect(back);
      }
      if (form.scope !== "agent" && form.scope !== "all") {
        flash("error", "scope: choose this agent or all agents.");
        return redirect(back);
      }
      const r = await requestInstall(ctx.app, { type: "USER", id: ctx.admin!.userId }, {
        packageName: d.package.name, version: d.package.version, digest: d.package.digest, agentId: form.scope === "agent" ? d.agentId : null,
      }, ctx.requestId);
      flash("success", `Install request for ${r.packageName}@${r.version} sent; an owner approves it on the Approvals page.`);
      return redirect(back);
    },
  }),
];
