// View models of the catalog pages: package rows, and the package page (versions with status, the
// sanitised readme, capabilities / actions / configs / events of the shown version, where it runs).
import type { App } from "../context.js";
import type { PackageDetail } from "../domain/packages/queries.js";
import type { PackageWire } from "../domain/packages/wire.js";
import type { PackageDescriptor } from "../schemas/packageDescriptor.js";
import { badge, when } from "./format.js";
import { renderReadme } from "./markdown.js";

/** The console path of a package: names are [a-z0-9._-] with one optional "/", safe in a path as they are. */
export const packageHref = (name: string): string => `/packages/${name.split("/").map(encodeURIComponent).join("/")}`;

export function packageRowView(p: PackageWire) {
  return {
    name: p.name, href: packageHref(p.name), description: p.description ?? "", runtime: p.runtime ?? "", tags: p.tags.join(", "),
    capabilities: p.capabilities.join(", "), latest: p.latestVersion ?? "none approved",
  };
}

export function packagePageView(app: App, p: PackageDetail, shown?: string) {
  const now = app.now();
  const version = p.versions.find((v) => v.version === (shown ?? p.latestVersion)) ?? p.versions[0];
  const d = (version?.descriptor ?? {}) as Partial<PackageDescriptor>;
  return {
    ...packageRowView(p),
    shownVersion: version?.version ?? "",
    license: d.license ?? "", homepage: d.homepage ?? "",
    readme: d.readme ? renderReadme(d.readme) : "",
    versions: p.versions.map((v) => ({
      version: v.version, href: `${packageHref(p.name)}?version=${encodeURIComponent(v.version)}`, current: v.version === version?.version,
      status: badge(v.status), digest: v.digest, publisher: v.publisher, created: when(v.createdAt, now),
      approvalHref: v.approvalId ? `/approvals/${encodeURIComponent(v.approvalId)}` : "",
      notes: [v.yanked ? `yanked${v.yankedReason ? `: ${v.yankedReason}` : ""}` : "", v.deprecated ? `deprecated: ${v.deprecated}` : "", v.decisionReason ?? ""].filter(Boolean).join("; "),
    })),
    capabilityRows: (d.capabilities ?? []).map((c) => ({ name: c.name, label: c.label ?? "" })),
    actionRows: (d.actions ?? []).map((a) => ({ name: a.name, label: a.label ?? "", danger: badge(a.dangerLevel ?? "LOW") })),
    configRows: (d.configs ?? []).map((c) => ({ key: c.key, type: c.type, sensitive: c.sensitive ? "yes" : "no" })),
    eventRows: (d.events ?? []).map((e) => ({ name: e.name, direction: e.direction })),
    services: p.services.map((s) => ({
      code: s.code, href: `/services/${encodeURIComponent(s.id)}`, version: s.packageVersion ?? "?", status: badge(s.status), agent: s.agentCode ?? "",
    })),
  };
}
