// What a package version's signature covers. The signed digest is the descriptor's artifact.digest
// when it has one (the artifact is what runs), else "sha256:" + the SHA-256 of the canonical
// descriptor: JSON with object keys sorted (UTF-16 code unit order, as Array.prototype.sort), no
// whitespace, arrays in their order. Also SemVer 2 precedence, for "latest" and version lists.
import { createHash } from "node:crypto";
import type { PackageDescriptor } from "../../schemas/packageDescriptor.js";
import { SEMVER } from "../../schemas/packageDescriptor.js";
import type { PackageDigestSource } from "../../vocabulary.js";

/** JSON with sorted object keys and no whitespace: the same descriptor always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export const sha256Digest = (text: string): string => `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`;

export function versionDigest(d: PackageDescriptor): { digest: string; source: PackageDigestSource } {
  return d.artifact?.digest ? { digest: d.artifact.digest, source: "artifact" } : { digest: sha256Digest(canonicalJson(d)), source: "descriptor" };
}

/** The exact bytes a registry signature covers. */
export const signedPayload = (name: string, version: string, digest: string): string => `${name}@${version}:${digest}`;

const identifiers = (pre: string | undefined): string[] => (pre ? pre.split(".") : []);

/** SemVer 2 precedence (build metadata ignored): negative, zero or positive like a sort comparator. */
export function compareSemver(a: string, b: string): number {
  const x = SEMVER.exec(a);
  const y = SEMVER.exec(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0; // stored versions were validated; never reached
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  const [pa, pb] = [identifiers(x[4]), identifiers(y[4])];
  if (!pa.length || !pb.length) return pb.length - pa.length; // a release ranks above its pre-releases
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [s, t] = [pa[i]!, pb[i]!];
    if (s === t) continue;
    const [ns, nt] = [/^\d+$/.test(s), /^\d+$/.test(t)];
    if (ns && nt) return Number(s) - Number(t);
    if (ns !== nt) return ns ? -1 : 1; // numeric identifiers rank below alphanumeric ones
    return s < t ? -1 : 1;
  }
  return pa.length - pb.length;
}
