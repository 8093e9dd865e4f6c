// The Node SDK declares requiresApproval; its long-polling agent runs the handler only after another
// person approved, and gets the approved command at once (no wait for a poll interval).
import t from "tap";
import { createRegistrationToken } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { captureLogger, loadSdk, tokenFileIn, waitFor, waitTerminal } from "./sdkKit.js";

t.setTimeout(120_000);

t.test("an SDK action with requiresApproval waits for a reviewer, then runs", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const owner = await s.loginAs("owner");
  const { CapsuleAgent } = await loadSdk();
  let runs = 0;
  const agent = new CapsuleAgent({
    agent: { code: "approval-sdk-agent" }, service: { code: "approval-sdk", name: "Approval SDK" },
    backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir),
    logger: captureLogger().logger, backoff: { baseMs: 50, maxMs: 500 },
  });
  agent.action({ name: "drop", label: "Drop table", requiresApproval: true, handler: () => { runs++; return { success: true, message: "dropped" }; } });
  await agent.start();
  t.teardown(() => agent.stop());
  const sid = agent.serviceId!;
  const declared = await op.get(`/api/admin/capsule-services/${sid}/actions`);
  t.equal(declared.body.data[0].requiresApproval, true, "the SDK reported requiresApproval");

  const created = await op.post(`/api/admin/capsule-services/${sid}/actions/drop`, {});
  t.equal(created.body.data.status, "AWAITING_APPROVAL");
  await new Promise((r) => setTimeout(r, 500));
  t.equal(runs, 0, "the handler did not run while the request waits");
  const approval = (await op.get(`/api/admin/commands/${created.body.data.id}`)).body.data.approval.id as string;
  t.equal((await owner.post(`/api/admin/approvals/${approval}/approve`, {})).status, 200);
  const done = await waitTerminal(op, created.body.data.id, 10_000);
  t.equal(done.status, "SUCCEEDED");
  t.equal(done.result.message, "dropped");
  await waitFor(() => runs === 1, 2000, "one run");
  t.equal(runs, 1, "ran exactly once, after approval");
});
