// The package section of a service page (catalog.md): the link to the catalog, approval under the
// package policy, drift as a diff, compatibility checks, flags, and the install-request form.
import type { App } from "../context.js";
import type { serviceDetail } from "../domain/services.js";
import type { DriftList } from "../domain/packages/serviceLink.js";
import { badge } from "./format.js";

type Detail = Awaited<ReturnType<typeof serviceDetail>>;

const driftLines = (what: string, l: DriftList | null): string[] => !l ? [] : [
  ...l.missing.map((n) => `${what} ${n}: declared by the package, not reported by the service`),
  ...l.unexpected.map((n) => `${what} ${n}: reported by the service, not declared by the package`),
  ...l.changed.map((c) => `${what} ${c.name}: ${c.field} is ${String(c.actual)}, the package says ${String(c.expected)}`),
];

export function servicePackageView(app: App, d: Detail, canOperate: boolean) {
  const p = d.package;
  if (!p) return null;
  const href = `/packages/${p.name.split("/").map(encodeURIComponent).join("/")}`;
  return {
    name: p.name, version: p.version ?? "", digest: p.digest ?? "", href, inCatalog: p.catalog !== null,
    approved: p.approved, policy: p.policy, flags: p.flags.map(badge),
    drift: p.drift ? [...driftLines("action", p.drift.actions), ...driftLines("config", p.drift.configs)] : [],
    compatibility: p.compatibility.map((c) => ({
      against: c.against, range: c.range, version: c.version ?? "unknown", verdict: badge(c.ok === null ? "UNKNOWN" : c.ok ? "SUCCESS" : "FAILURE"), note: c.note ?? "",
    })),
    // operators ask for this version to be allowed (an owner decides on the Approvals page)
    installAction: canOperate && !p.approved ? `/services/${encodeURIComponent(d.id)}/package-install` : null,
    agentCode: d.agentCode ?? "", hasAgent: d.agentId !== null,
    now: app.now().toISOString(),
  };
}
