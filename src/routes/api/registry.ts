// /registry/v1: the package registry for tools and other Capstans (catalog.md v0.6). Readable with
// any session or API token; CAPSTAN_REGISTRY_PUBLIC=true opens it to anyone (so the route table says
// "public" and the handler asks for a caller otherwise). ETag on every document, 304 on a match.
import { requireAdmin } from "../../auth/identify.js";
import { route, type Ctx } from "../../context.js";
import { etagMatches, registryIndex, registryKeys, registryPackage, type RegistryDocument } from "../../domain/packages/registry.js";
import type { Reply } from "../../http/reply.js";

async function serve(ctx: Ctx<unknown>, load: () => Promise<RegistryDocument>): Promise<Reply> {
  if (!ctx.app.config.registryPublic) ctx.admin = await requireAdmin(ctx, "viewer");
  const { body, etag } = await load();
  // private unless public: a shared cache must not hand a token holder's copy to anyone else
  const headers = { ETag: etag, "Cache-Control": ctx.app.config.registryPublic ? "public, no-cache" : "private, no-cache" };
  if (etagMatches(ctx.req.headers["if-none-match"], etag)) return { kind: "empty", status: 304, headers };
  return { kind: "text", status: 200, body, contentType: "application/json; charset=utf-8", headers };
}

export const registryRoutes = [
  route({
    method: "GET", path: "/registry/v1/index.json", auth: "public", name: "registryIndex",
    handler: (ctx) => serve(ctx, () => registryIndex(ctx.app)),
  }),
  route({
    method: "GET", path: "/registry/v1/keys", auth: "public", name: "registryKeys",
    handler: (ctx) => serve(ctx, () => registryKeys(ctx.app)),
  }),
  route({
    method: "GET", path: "/registry/v1/packages/:name", auth: "public", name: "registryPackage",
    handler: (ctx) => serve(ctx, () => registryPackage(ctx.app, ctx.params.name)),
  }),
  route({
    method: "GET", path: "/registry/v1/packages/:scope/:pkg", auth: "public", name: "registryScopedPackage",
    handler: (ctx) => serve(ctx, () => registryPackage(ctx.app, `${ctx.params.scope}/${ctx.params.pkg}`)),
  }),
];
