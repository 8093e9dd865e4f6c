// Delivery leases (issue #16 point 4): a poll answer the agent never got does not leave the command
// RUNNING until it expires. A claim by an SDK (its User-Agent) carries a lease; the first progress or
// result confirms it; the maintenance sweep puts an unconfirmed command back once, and ends it after a
// second lapse. Real server, real HTTP; the sweep is run by hand under a manual clock.
import t from "tap";
import { kit, manualClock, type Kit } from "../commandKit.js";
import { hasCommandSecret } from "../../src/db/commandSecrets.js";
import { runMaintenance } from "../../src/domain/maintenance.js";

t.setTimeout(120_000);

const SDK = { "user-agent": "capstan-agent/9.9.9" };
const LEASE_ENV = { CAPSTAN_DELIVERY_LEASE_SECONDS: "30", CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: "0" };

/** A poll as the SDK sends it; the caller may ignore the answer (a lost response). */
const sdkPoll = (k: Kit, query = "") => k.agent.req("GET", `/api/agents/${k.agentId}/commands${query}`, undefined, SDK);
const status = async (k: Kit, id: string) => (await k.operator.get(`/api/admin/commands/${id}`)).body.data;
const lease = async (k: Kit, id: string) =>
  (await k.s.db.get<{ l: string | null; n: number }>("SELECT delivery_lease_until AS l, delivery_attempts AS n FROM commands WHERE id = ?", [id]))!;

async function setup(t: Tap) {
  const clock = manualClock();
  const k = await kit(t, { env: LEASE_ENV, now: clock.now });
  return { clock, k };
}
type Tap = Parameters<typeof kit>[0];

t.test("an unconfirmed delivery is queued again once, delivered to the next poll, and ends after a second lapse", async (t) => {
  const { clock, k } = await setup(t);
  const id = (await k.execute("echo", { payload: { message: "lost" } })).body.data.id as string;
  const first = await sdkPoll(k); // its answer is "lost": the test never acts on it
  t.same(first.body.data.map((c: { id: string }) => c.id), [id]);
  const l = await lease(k, id);
  t.equal(l.n, 1);
  const ahead = Date.parse(l.l!) - clock.now().getTime();
  t.ok(ahead > 25_000 && ahead <= 30_000, `the claim carries a 30 s lease (${ahead} ms ahead)`);

  clock.advance(29);
  await runMaintenance(k.s.app);
  t.equal((await status(k, id)).status, "RUNNING", "still inside its lease");

  clock.advance(2);
  // a parked long poll of the agent is woken by the redelivery, not by its own timeout
  const parked = sdkPoll(k, "?waitSeconds=20");
  await new Promise((r) => setTimeout(r, 200));
  const run = await runMaintenance(k.s.app);
  t.equal(run.changes.commandsRedelivered, 1);
  const t0 = Date.now();
  const again = await parked;
  t.ok(Date.now() - t0 < 10_000, "the parked poll answered at the redelivery");
  t.same(again.body.data.map((c: { id: string }) => c.id), [id], "the same command is delivered to the next poll");
  t.same(again.body.data[0].payload, { message: "lost", times: 1 });
  const redelivered = await k.audit("system.command.redelivered", id);
  t.equal(redelivered.length, 1, "audited once");
  t.equal(redelivered[0]!.actor_type, "SYSTEM");
  t.match(JSON.parse(redelivered[0]!.metadata_json!), { deliveryAttempts: 1, agentId: k.agentId });
  t.equal((await k.audit("command.dispatched", id)).length, 2, "dispatched twice");
  t.equal((await lease(k, id)).n, 2);

  clock.advance(31);
  const ended = await runMaintenance(k.s.app);
  t.equal(ended.changes.commandsRedelivered, 1, "the second lapse is handled by the same task");
  const c = await status(k, id);
  t.equal(c.status, "EXPIRED", "a second lapse ends it the way expiry does");
  t.equal(c.errorCode, "COMMAND_EXPIRED");
  t.match(c.result.message, /did not confirm the command after 2 deliveries/);
  t.equal((await k.audit("system.command.redelivered", id)).length, 1, "never redelivered twice");
  t.equal((await k.audit("system.command.expired", id)).length, 1);
  t.same((await sdkPoll(k)).body.data, [], "nothing left to deliver");
  clock.advance(31);
  t.equal((await runMaintenance(k.s.app)).changes.commandsRedelivered, 0, "idempotent");
});

t.test("a confirmed delivery is never redelivered: by progress, and by a result", async (t) => {
  const { clock, k } = await setup(t);
  const a = (await k.execute("echo", { payload: { message: "a" } })).body.data.id as string;
  const b = (await k.execute("echo", { payload: { message: "b" } })).body.data.id as string;
  t.equal((await sdkPoll(k)).body.data.length, 2);
  t.same((await k.progress(a, {})).body.data, { cancelRequested: false }, "an empty progress call is the SDK's confirmation");
  t.equal((await lease(k, a)).l, null, "progress cleared the lease");
  clock.advance(31);
  await runMaintenance(k.s.app);
  t.equal((await status(k, a)).status, "RUNNING", "confirmed: stays RUNNING past the lease");
  t.equal((await status(k, b)).status, "PENDING", "the unconfirmed one went back (control)");
  t.equal((await k.audit("system.command.redelivered", a)).length, 0);
  t.equal((await k.result(a, { success: true })).status, 200);
  t.equal((await status(k, a)).status, "SUCCEEDED");

  // a result with no progress before it confirms too
  const c = (await k.execute("echo", { payload: { message: "c" } })).body.data.id as string;
  const got = (await sdkPoll(k)).body.data.map((x: { id: string }) => x.id);
  t.same(got.sort(), [b, c].sort());
  t.equal((await k.result(c, { success: true })).status, 200);
  clock.advance(31);
  await runMaintenance(k.s.app);
  t.equal((await status(k, c)).status, "SUCCEEDED");
  t.equal((await k.audit("system.command.redelivered", c)).length, 0);
});

t.test("an answer that was only late: the agent's progress takes the queued-again command back", async (t) => {
  const { clock, k } = await setup(t);
  const id = (await k.execute("slow")).body.data.id as string;
  await sdkPoll(k);
  clock.advance(31);
  await runMaintenance(k.s.app);
  t.equal((await status(k, id)).status, "PENDING");
  const p = await k.progress(id, { percent: 0.5 });
  t.equal(p.status, 200, "not refused as never dispatched");
  t.same(p.body.data, { cancelRequested: false }, "the handler keeps running");
  const c = await status(k, id);
  t.equal(c.status, "RUNNING", "taken back by the agent that had it");
  const left = Date.parse(c.expiresAt) - clock.now().getTime();
  t.ok(left > 65_000 && left <= 70_000, `a fresh run deadline: the action's 10 s + 60 s grace from now (${left} ms left)`);
  t.same((await sdkPoll(k)).body.data, [], "not delivered again");
  t.equal((await k.result(id, { success: true })).status, 200);
  t.equal((await status(k, id)).status, "SUCCEEDED");
});

t.test("agents that are not the SDK get no lease (they may never send progress)", async (t) => {
  const { clock, k } = await setup(t);
  const id = (await k.execute("echo", { payload: { message: "ref" } })).body.data.id as string;
  t.equal((await k.poll()).body.data[0].id, id);
  t.same(await lease(k, id), { l: null, n: 1 });
  clock.advance(31);
  await runMaintenance(k.s.app);
  t.equal((await status(k, id)).status, "RUNNING", "today's behaviour: RUNNING until its deadline");
});

t.test("CAPSTAN_DELIVERY_LEASE_SECONDS=0 turns leases off", async (t) => {
  const clock = manualClock();
  const k = await kit(t, { env: { ...LEASE_ENV, CAPSTAN_DELIVERY_LEASE_SECONDS: "0" }, now: clock.now });
  const id = (await k.execute("echo", { payload: { message: "off" } })).body.data.id as string;
  await sdkPoll(k);
  t.equal((await lease(k, id)).l, null);
  clock.advance(31);
  await runMaintenance(k.s.app);
  t.equal((await status(k, id)).status, "RUNNING");
});

t.test("secret payload fields survive a redelivery and are dropped once the agent confirms", async (t) => {
  const { clock, k } = await setup(t);
  const id = (await k.execute("login", { payload: { user: "u", password: "hunter2-secret" } })).body.data.id as string;
  t.equal((await sdkPoll(k)).body.data[0].payload.password, "hunter2-secret");
  t.ok(await hasCommandSecret(k.s.db, id, "secrets"), "a leased claim keeps the sealed copy");
  clock.advance(31);
  await runMaintenance(k.s.app);
  const again = (await sdkPoll(k)).body.data[0];
  t.equal(again.id, id);
  t.equal(again.payload.password, "hunter2-secret", "the redelivery carries the secret again");
  t.equal((await status(k, id)).status, "RUNNING");
  await k.progress(id, {});
  t.notOk(await hasCommandSecret(k.s.db, id, "secrets"), "the confirmation drops the sealed copy");
  // without a lease (not an SDK) the claim takes the secret at once, as before
  const other = (await k.execute("login", { payload: { user: "v", password: "other-secret" } })).body.data.id as string;
  t.equal((await k.poll()).body.data[0].payload.password, "other-secret");
  t.notOk(await hasCommandSecret(k.s.db, other, "secrets"));
});

t.test("a leased command cancelled by an operator is left alone by the sweep", async (t) => {
  const { clock, k } = await setup(t);
  // cancel while leased: terminal at once, the sweep leaves it alone
  const id = (await k.execute("echo", { payload: { message: "cancel me" } })).body.data.id as string;
  await sdkPoll(k);
  t.equal((await k.operator.post(`/api/admin/commands/${id}/cancel`, {})).status, 200);
  clock.advance(31);
  await runMaintenance(k.s.app);
  t.equal((await status(k, id)).status, "CANCELLED");
  t.equal((await k.audit("system.command.redelivered", id)).length, 0);
  t.same((await k.progress(id, {})).body.data, { cancelRequested: true }, "the agent is told to stop");
});
