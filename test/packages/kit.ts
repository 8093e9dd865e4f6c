// Shared setup of the package tests: a server, an operator who publishes, an owner who approves,
// and descriptors.
import { createRegistrationToken, reportedService } from "../fixtures.js";
import { startTestServer, type Client, type Tap, type TestServer } from "../helpers.js";

export const descriptor = (extra: Record<string, unknown> = {}) => ({
  name: "acme/invoice-ocr", version: "1.4.2", description: "Reads invoices", runtime: "nodejs", tags: ["ocr", "documents"],
  capabilities: [{ name: "invoice.read", label: "Read invoices" }], actions: [{ name: "reprocess", label: "Reprocess", dangerLevel: "MEDIUM" }],
  configs: [{ key: "OCR_ENDPOINT", type: "string", sensitive: false }], events: [{ name: "invoice.parsed", direction: "publish" }],
  ...extra,
});

export interface PackageKit {
  s: TestServer;
  operator: Client;
  owner: Client;
  viewer: Client;
  /** Publishes as the operator and approves as the owner; returns the version's wire shape. */
  publishApproved(d: Record<string, unknown>): Promise<Record<string, any>>;
  /** The approval request of a published version. */
  approvalOf(versionId: string): Promise<string>;
}

export async function packageKit(t: Tap, env: Record<string, string> = {}, now?: () => Date): Promise<PackageKit> {
  const s = await startTestServer(t, { env, ...(now ? { now } : {}) });
  const operator = await s.loginAs("operator");
  const owner = await s.loginAs("owner");
  const viewer = await s.loginAs("viewer");
  const approvalOf = async (versionId: string): Promise<string> => {
    const list = await owner.get("/api/admin/approvals?subjectType=PACKAGE_VERSION&status=PENDING&pageSize=100");
    const a = (list.body.data as { id: string; subjectId: string }[]).find((x) => x.subjectId === versionId);
    if (!a) throw new Error(`no pending approval for ${versionId}: ${list.text}`);
    return a.id;
  };
  const publishApproved = async (d: Record<string, unknown>) => {
    const pub = await operator.post("/api/admin/packages", d);
    if (pub.status !== 201) throw new Error(`publish failed: ${pub.status} ${pub.text}`);
    const ok = await owner.post(`/api/admin/approvals/${await approvalOf(pub.body.data.id)}/approve`, {});
    if (ok.status !== 200) throw new Error(`approve failed: ${ok.status} ${ok.text}`);
    return pub.body.data;
  };
  return { s, operator, owner, viewer, publishApproved, approvalOf };
}

/** Registers an agent whose one service reports manifest.package = pkg. */
export async function serviceRunning(s: TestServer, operator: Client, code: string, pkg: Record<string, unknown>): Promise<string> {
  const registrationToken = await createRegistrationToken(operator);
  const res = await s.anon.post("/api/agents/register", {
    registrationToken,
    agent: { code: `${code}-agent`, name: code, mode: "embedded", runtime: "nodejs", version: "0.1.0", hostname: "h", os: "linux", arch: "x64" },
    service: reportedService(code, { manifest: { package: pkg } }),
  });
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${res.text}`);
  return res.body.data.services[0].serviceId as string;
}
