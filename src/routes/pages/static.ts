// GET /static/*: the console's CSS, JS and vendored htmx, from memory, by exact name only.
import { route, type Ctx } from "../../context.js";
import { AppError } from "../../errors.js";
import type { Reply } from "../../http/reply.js";
import { findAsset } from "../../console/static.js";

// one path segment of ordinary characters: "..", "%2F" or a leading dot can never name a file
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;

function serveAsset(ctx: Ctx<unknown>, name: string): Reply {
  const file = name.split("/").pop()!;
  const asset = SAFE_NAME.test(file) ? findAsset(name) : undefined;
  if (!asset) throw new AppError("NOT_FOUND", "no such static file");
  // a version in the file name or a matching ?v= makes the URL content-addressed: cache forever
  const versioned = asset.versionedName || ctx.query.get("v") === asset.etag.slice(1, 9);
  const headers = {
    ETag: asset.etag,
    "Cache-Control": versioned ? "public, max-age=31536000, immutable" : "no-cache",
    "X-Content-Type-Options": "nosniff",
  };
  if (ctx.req.headers["if-none-match"] === asset.etag) return { kind: "empty", status: 304, headers };
  return { kind: "text", status: 200, body: asset.body.toString("utf8"), contentType: asset.type, headers };
}

export const staticPages = [
  route({ method: "GET", path: "/static/:file", auth: "public", name: "getStaticFile", query: true, handler: (ctx) => serveAsset(ctx, ctx.params.file) }),
  // browsers ask for /favicon.ico on their own (feeds, bookmarks, pages without our layout)
  route({
    method: "GET", path: "/favicon.ico", auth: "public", page: true, name: "getFavicon", query: true,
    handler: () => ({ kind: "redirect", status: 302, location: "/static/favicon.svg", headers: { "Cache-Control": "public, max-age=86400" } }),
  }),
  route({ method: "GET", path: "/static/vendor/:file", auth: "public", name: "getVendorFile", query: true, handler: (ctx) => serveAsset(ctx, `vendor/${ctx.params.file}`) }),
];
