// Cross-site requests cannot cause side effects on routes declared `sameOrigin` (GETs that create a
// command or rotate the CSRF token, and the login forms). Browsers say where a request comes from:
// Sec-Fetch-Site (cross-site / same-site are refused; same-origin, none = typed URL or bookmark, and no
// header = a non-browser client pass) and Origin (if present, it must be this server's own origin:
// the configured public URL, else the Host the request was sent to). The CSRF token covers the rest.
import type { IncomingMessage } from "node:http";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

function ownOrigin(origin: string, req: IncomingMessage, config: Config): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed or privacy-sensitive contexts) or garbage
  }
  if (config.publicUrl) return url.origin === new URL(config.publicUrl).origin;
  // without a configured public URL the scheme may be hidden by a TLS proxy: compare host and port
  const host = one(req.headers.host);
  if (!host) return false;
  try {
    return new URL(`${url.protocol}//${host}`).host === url.host; // same default-port rules on both sides
  } catch {
    return false;
  }
}

export function refuseCrossSite(req: IncomingMessage, config: Config): void {
  const site = one(req.headers["sec-fetch-site"]);
  const origin = one(req.headers.origin);
  if (site === "cross-site" || site === "same-site" || (origin !== undefined && !ownOrigin(origin, req, config))) {
    throw new AppError("FORBIDDEN", "this request changes something and was sent from another site; open it from Capstan's own pages", {
      reason: "cross-site request",
    });
  }
}
