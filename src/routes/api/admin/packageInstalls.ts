// /api/admin/package-installs: install requests (catalog.md v0.7). Operators ask; owners decide through
// /api/admin/approvals (subject PACKAGE_INSTALL; never the requester). Viewers read.
import { route } from "../../../context.js";
import { installWire, installsOfPackageVersion, requestInstall } from "../../../domain/packages/installs.js";
import { ok } from "../../../http/reply.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";
import { InstallRequestBody, ListInstallsQuery } from "../../../schemas/servicePackage.js";

const BASE = "/api/admin/package-installs";

export const packageInstallRoutes = [
  route({
    method: "POST", path: BASE, auth: "operator", name: "requestPackageInstall",
    handler: async (ctx) => {
      const body = parseBody(InstallRequestBody, await ctx.body());
      return ok(await requestInstall(ctx.app, { type: "USER", id: ctx.admin!.userId }, body, ctx.requestId));
    },
  }),
  route({
    method: "GET", path: BASE, auth: "viewer", name: "listPackageInstalls", query: true,
    handler: async (ctx) => {
      const q = parseQuery(ctx.query, ListInstallsQuery, []);
      return ok(await installsOfPackageVersion(ctx.app, q.packageName, q.version));
    },
  }),
  route({
    method: "GET", path: `${BASE}/:installId`, auth: "viewer", name: "showPackageInstall",
    handler: async (ctx) => ok(await installWire(ctx.app, ctx.params.installId)),
  }),
];
