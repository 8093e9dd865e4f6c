// Outbound HTTP that is safe by default: http(s) only; the host is resolved once and every address
// checked (private, loopback, link-local, unique-local, CGNAT and other special ranges refused unless
// configuration allows them; unspecified, multicast and broadcast always); the connection goes to
// the address that was checked (no second lookup, so no DNS-rebinding window); redirects are never
// followed; the response is read to a byte bound and the whole exchange is time-limited.
import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";

export interface EgressPolicy {
  /** CAPSTAN_WEBHOOK_ALLOW_PRIVATE: special-purpose unicast ranges allowed (never unspecified/multicast). */
  allowPrivate: boolean;
  /** CAPSTAN_WEBHOOK_ALLOWED_CIDRS: these ranges allowed even though special-purpose. */
  allowedCidrs: string[];
}

/** kind "policy": the target is not allowed; "resolve": its name did not resolve (may be temporary). */
export class EgressRefused extends Error {
  constructor(message: string, readonly kind: "policy" | "resolve" = "policy") {
    super(message);
  }
}

// [address, prefix] per family: refused unless allowed by the policy
const SPECIAL_V4: [string, number][] = [
  ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12], ["192.0.0.0", 24],
  ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24], ["203.0.113.0", 24], ["240.0.0.0", 4],
];
const NEVER_V4: [string, number][] = [["0.0.0.0", 8], ["224.0.0.0", 4], ["255.255.255.255", 32]];
const SPECIAL_V6: [string, number][] = [["::1", 128], ["fc00::", 7], ["fe80::", 10], ["fec0::", 10], ["2001:db8::", 32]];
const NEVER_V6: [string, number][] = [["::", 128], ["ff00::", 8]];

function blockList(v4: [string, number][], v6: [string, number][]): BlockList {
  const b = new BlockList();
  for (const [a, p] of v4) b.addSubnet(a, p, "ipv4");
  for (const [a, p] of v6) b.addSubnet(a, p, "ipv6");
  return b;
}

/** The 8 16-bit groups of an IPv6 address (already validated by isIP). */
function groupsOf(address: string): number[] {
  let text = address.toLowerCase().split("%")[0]!;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? (text.split("::") as [string, string]) : [text, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill("0");
  return [...h, ...zeros, ...t].map((g) => parseInt(g, 16));
}

/** An IPv4 address carried inside an IPv6 one (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16). */
function embeddedV4(address: string): string | null {
  const g = groupsOf(address);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return v4(g[6]!, g[7]!);
  if (zero(0, 6) && (g[6]! !== 0 || g[7]! > 1)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!);
  return null;
}

/** Why this address may not be a webhook target under the policy, or null when it may. */
export function refusalReason(address: string, policy: EgressPolicy): string | null {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  if (family === 6) {
    const inner = embeddedV4(address);
    if (inner) {
      const r = refusalReason(inner, policy);
      return r && `${address} embeds ${inner}: ${r}`;
    }
  }
  const type = family === 4 ? "ipv4" : "ipv6";
  if (blockList(NEVER_V4, NEVER_V6).check(address, type)) return `${address} is an unspecified, multicast or broadcast address`;
  if (!blockList(SPECIAL_V4, SPECIAL_V6).check(address, type)) return null;
  if (policy.allowPrivate) return null;
  const allowed = new BlockList();
  for (const c of policy.allowedCidrs) {
    const [a, p] = c.split("/") as [string, string];
    allowed.addSubnet(a, Number(p), isIP(a) === 4 ? "ipv4" : "ipv6");
  }
  if (allowed.check(address, type)) return null;
  return `${address} is a private, loopback, link-local or reserved address (allow it with CAPSTAN_WEBHOOK_ALLOW_PRIVATE or CAPSTAN_WEBHOOK_ALLOWED_CIDRS)`;
}

/** Resolves the URL's host and checks every address; the first is the one to connect to. Throws EgressRefused. */
export async function resolveTarget(url: URL, policy: EgressPolicy): Promise<{ address: string; family: 4 | 6 }> {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new EgressRefused(`only http and https URLs (got ${url.protocol})`);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch (err) {
      throw new EgressRefused(`cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? "lookup failed"}`, "resolve");
    }
  }
  if (addresses.length === 0) throw new EgressRefused(`${host} has no addresses`, "resolve");
  // one refused address refuses the host: an attacker's name must not mix a public and a private answer
  for (const a of addresses) {
    const why = refusalReason(a.address, policy);
    if (why) throw new EgressRefused(why);
  }
  return { address: addresses[0]!.address, family: addresses[0]!.family === 6 ? 6 : 4 };
}

export interface PostResult {
  status: number;
  /** The first bytes of the response body (at most maxBytes), as text. */
  body: string;
}

/**
 * POSTs to a target already resolved by resolveTarget, connecting to that address only. Rejects on
 * network errors, the time limit and the signal; never follows a redirect (a 3xx is just a status).
 */
export function postPinned(url: URL, target: { address: string; family: 4 | 6 }, headers: Record<string, string>, body: string,
  opts: { timeoutMs: number; maxBytes: number; signal: AbortSignal }): Promise<PostResult> {
  // the pinned lookup answers both call shapes (autoSelectFamily asks with all: true)
  const pinned = ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (options.all) cb(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  }) as unknown as LookupFunction;
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  const client = url.protocol === "https:" ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const req = client.request(url, {
      method: "POST", lookup: pinned, agent: false, signal,
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)), connection: "close" },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).subarray(0, opts.maxBytes).toString("utf8") });
      };
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= opts.maxBytes) done(); // bounded read: the rest is never buffered
      });
      res.on("end", done);
      res.on("error", reject);
    });
    req.on("error", (err) => reject(signal.aborted && !opts.signal.aborted ? new Error(`no answer within ${opts.timeoutMs / 1000} s`) : err));
    req.end(body);
  });
}
