// Bus routes skip a QUARANTINED target (CAPSTAN_PACKAGE_POLICY=enforce): the match fails with
// PACKAGE_NOT_APPROVED (audited as bus.route.failed) and no command is created; once an owner approves
// the install request the same route creates the command again.
import t from "tap";
import { reportedService } from "../fixtures.js";
import { busKit, echoRoute, TARGET_ACTIONS } from "./_kit.js";

t.setTimeout(120_000);

t.test("a quarantined target is skipped by bus routes until its package is approved", async (t) => {
  const k = await busKit(t, { CAPSTAN_PACKAGE_POLICY: "enforce" });
  t.equal((await k.target.agent.post(`/api/agents/${k.target.agentId}/services/report`, {
    services: [reportedService(k.target.serviceCode, { actions: TARGET_ACTIONS, manifest: { package: { name: "acme/mailer", version: "3.0.0" } } })],
  })).status, 200);
  t.equal((await k.createRoute(echoRoute(k))).status, 200);
  const before = await k.commandCount();
  const skipped = await k.publish({ eventType: "shop.item.created", data: { name: "lamp" } });
  t.equal(skipped.status, 200);
  t.match(skipped.body.data.matchedRoutes, [{ outcome: "FAILED", errorCode: "PACKAGE_NOT_APPROVED" }]);
  t.equal(await k.commandCount(), before, "no command for a quarantined service");
  t.match((await k.audit("bus.route.failed")).at(-1)!.metadata, { errorCode: "PACKAGE_NOT_APPROVED" });

  const asked = await k.operator.post("/api/admin/package-installs", { packageName: "acme/mailer", version: "3.0.0", agentId: k.target.agentId });
  const owner = await k.s.loginAs("owner");
  t.equal((await owner.post(`/api/admin/approvals/${asked.body.data.approvalId}/approve`, {})).status, 200);
  const fired = await k.publish({ eventType: "shop.item.created", data: { name: "desk" } });
  t.match(fired.body.data.matchedRoutes, [{ outcome: "COMMAND_CREATED" }]);
  t.equal(await k.commandCount(), before + 1);
});
