// Issue #16 point 4 through the real SDK bundle: the server delivers the same command twice (its lease
// lapsed before the SDK confirmed: progress is slowed down here), and the SDK runs the handler once;
// its result then confirms the delivery and the command succeeds.
import t from "tap";
import { createRegistrationToken } from "../fixtures.js";
import { startTestServer } from "../helpers.js";
import { runMaintenance } from "../../src/domain/maintenance.js";
import { captureLogger, loadSdk, tokenFileIn, waitFor, waitTerminal } from "./sdkKit.js";

t.setTimeout(120_000);

t.test("the SDK runs a command delivered twice once", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_DELIVERY_LEASE_SECONDS: "1", CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0" } });
  const op = await s.loginAs("operator");
  const { CapsuleAgent } = await loadSdk();
  const log = captureLogger();
  let runs = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const agent = new CapsuleAgent({
    agent: { code: "redelivery-sdk-agent" }, service: { code: "redelivery-sdk", name: "Redelivery SDK" },
    backendUrl: s.url, registrationToken: await createRegistrationToken(op), tokenFile: tokenFileIn(s.config.dataDir),
    logger: log.logger, backoff: { baseMs: 50, maxMs: 500 },
    // two slots: the SDK keeps a poll parked while the handler runs; no progress call inside the 1 s lease
    concurrency: 2, progressIntervalMs: 60_000,
  });
  agent.action({ name: "hold", label: "Hold", handler: async () => { runs++; await released; return { success: true, message: "done once" }; } });
  await agent.start();
  t.teardown(() => agent.stop());
  const sid = agent.serviceId!;

  const id = (await op.post(`/api/admin/capsule-services/${sid}/actions/hold`, {})).body.data.id as string;
  await waitFor(() => runs === 1, 10_000, "the first delivery");
  const dispatched = async () => (await s.db.all("SELECT id FROM audit_events WHERE action = 'command.dispatched' AND target_id = ?", [id])).length;
  t.equal(await dispatched(), 1);
  await new Promise((r) => setTimeout(r, 1300)); // past the 1 s lease, unconfirmed
  t.equal((await runMaintenance(s.app)).changes.commandsRedelivered, 1, "the sweep queued it again");
  await waitFor(async () => (await dispatched()) === 2, 10_000, "the SDK's parked poll to receive it again");
  await waitFor(() => log.lines.some((l) => l.includes("duplicate command ignored") && l.includes(id)), 5000, "the SDK to drop the duplicate");
  await new Promise((r) => setTimeout(r, 300));
  t.equal(runs, 1, "the duplicate delivery did not run the handler again");

  release();
  const done = await waitTerminal(op, id, 10_000);
  t.equal(done.status, "SUCCEEDED", "the result confirmed the second delivery");
  t.equal(done.result.message, "done once");
  t.equal(runs, 1);
  t.equal((await s.db.all("SELECT id FROM audit_events WHERE action = 'system.command.redelivered' AND target_id = ?", [id])).length, 1);
});
