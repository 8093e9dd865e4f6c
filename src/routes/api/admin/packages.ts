// /api/admin/packages*: the catalog's admin API (list, detail with versions and "where it runs"),
// publishing a version (operators and CI with an API token; an owner other than the submitter
// approves it through /api/admin/approvals) and owners' yank / deprecate marks. A scoped name's
// "/" travels as %2F ("acme%2Finvoice-ocr"); detail also answers the unencoded form.
import { route, type Ctx } from "../../../context.js";
import { deprecateVersion, yankVersion } from "../../../domain/packages/marks.js";
import { publishPackage } from "../../../domain/packages/publish.js";
import { listPackagesPage, packageDetail } from "../../../domain/packages/queries.js";
import { versionToWire } from "../../../domain/packages/wire.js";
import { ok, okList } from "../../../http/reply.js";
import { parseBody, parseQuery } from "../../../schemas/common.js";
import { DeprecateBody, LIST_PACKAGES_ARRAYS, ListPackagesQuery, PublishQuery, YankBody } from "../../../schemas/packages.js";

const BASE = "/api/admin/packages";
const VERSION = `${BASE}/:name/versions/:version`;
const actorOf = (ctx: Ctx<unknown>) => ({ type: "USER" as const, id: ctx.admin!.userId });

export const packageRoutes = [
  route({
    method: "GET", path: BASE, auth: "viewer", name: "listPackages", query: true,
    handler: async ({ app, query }) => {
      const { page, pageSize, sort, ...filter } = parseQuery(query, ListPackagesQuery, LIST_PACKAGES_ARRAYS);
      const { rows, pagination } = await listPackagesPage(app, filter, sort, page, pageSize);
      return okList(rows, pagination);
    },
  }),
  route({
    method: "POST", path: BASE, auth: "operator", name: "publishPackage", query: true,
    handler: async (ctx) => {
      const { digest } = parseQuery(ctx.query, PublishQuery);
      const v = await publishPackage(ctx.app, { userId: ctx.admin!.userId, username: ctx.admin!.username }, await ctx.body(), digest, ctx.requestId);
      return { kind: "json", status: 201, body: { success: true, data: versionToWire(v) } };
    },
  }),
  route({
    method: "GET", path: `${BASE}/:name`, auth: "viewer", name: "showPackage",
    handler: async ({ app, params }) => ok(await packageDetail(app, params.name)),
  }),
  route({
    method: "GET", path: `${BASE}/:scope/:pkg`, auth: "viewer", name: "showScopedPackage",
    handler: async ({ app, params }) => ok(await packageDetail(app, `${params.scope}/${params.pkg}`)),
  }),
  route({
    method: "POST", path: `${VERSION}/yank`, auth: "owner", name: "yankPackageVersion",
    handler: async (ctx) => {
      const body = parseBody(YankBody, await ctx.body());
      return ok(await yankVersion(ctx.app, actorOf(ctx), ctx.params.name, ctx.params.version, true, body.reason, ctx.requestId));
    },
  }),
  route({
    method: "POST", path: `${VERSION}/unyank`, auth: "owner", name: "unyankPackageVersion",
    handler: async (ctx) => ok(await yankVersion(ctx.app, actorOf(ctx), ctx.params.name, ctx.params.version, false, null, ctx.requestId)),
  }),
  route({
    method: "POST", path: `${VERSION}/deprecate`, auth: "owner", name: "deprecatePackageVersion",
    handler: async (ctx) => {
      const body = parseBody(DeprecateBody, await ctx.body());
      return ok(await deprecateVersion(ctx.app, actorOf(ctx), ctx.params.name, ctx.params.version, body.message, ctx.requestId));
    },
  }),
];
