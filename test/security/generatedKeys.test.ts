// One-time generatedKey: revealed only to the user who ran the command or an owner, only by a GET (a
// HEAD never consumes it), gone 15 minutes after the result, at most 4 KB each and 1,000 kept (sealed
// in command_secrets; the maintenance sweep enforces age and count).
import t from "tap";
import { kit, manualClock, type Kit } from "../commandKit.js";
import { browser } from "../console/_browser.js";
import { countCommandSecrets, hasCommandSecret } from "../../src/db/commandSecrets.js";
import { getCommand, insertCommand } from "../../src/db/commands.js";
import { GENERATED_KEYS_MAX, storeGeneratedKey } from "../../src/domain/commands/sealedSecrets.js";
import { runMaintenance } from "../../src/domain/maintenance.js";

t.setTimeout(120_000);

const REDACTED = "[REDACTED]";

/** A rotateKey command run by the kit's operator whose result carries `key`. */
async function keyed(k: Kit, key: string): Promise<string> {
  const id = await k.running("rotateKey");
  const res = await k.result(id, { success: true, message: "rotated", data: { generatedKey: key } });
  if (res.status !== 200) throw new Error(`result: ${res.status} ${res.text}`);
  return id;
}

const shownKey = async (c: Kit["operator"], id: string): Promise<string> => {
  const res = await c.get(`/api/admin/commands/${id}`);
  if (res.status !== 200) throw new Error(`detail: ${res.status} ${res.text}`);
  return res.body.data.result.data.generatedKey as string;
};

t.test("another operator neither sees nor consumes the key; the runner then sees it once", async (t) => {
  const k = await kit(t);
  const other = await k.s.loginAs("operator", "other-operator");
  const viewer = await k.s.loginAs("viewer", "some-viewer");
  const id = await keyed(k, "gk-runner-only-0001");
  t.equal(await shownKey(other, id), REDACTED, "another operator sees [REDACTED]");
  t.equal(await shownKey(viewer, id), REDACTED, "a viewer sees [REDACTED]");
  // the console page of another operator does not show or consume it either
  const page = await browser(k.s, other.cookie!).get(`/commands/${id}`);
  t.equal(page.status, 200);
  t.notMatch(page.text, "gk-runner-only-0001", "not in another operator's console page");
  t.equal(await shownKey(k.operator, id), "gk-runner-only-0001", "the operator who ran it still gets it");
  t.equal(await shownKey(k.operator, id), REDACTED, "once");
});

t.test("an owner may reveal it (and then it is gone for the runner too)", async (t) => {
  const k = await kit(t);
  const owner = await k.s.loginAs("owner", "the-owner");
  const id = await keyed(k, "gk-owner-can-read-0002");
  t.equal(await shownKey(owner, id), "gk-owner-can-read-0002", "an owner sees it");
  t.equal(await shownKey(k.operator, id), REDACTED, "consumed by the owner's read");
});

t.test("a HEAD never consumes the key (API and console)", async (t) => {
  const k = await kit(t);
  const id = await keyed(k, "gk-head-does-not-eat-0003");
  const headers = { cookie: k.operator.cookie! };
  const api = await fetch(`${k.s.url}/api/admin/commands/${id}`, { method: "HEAD", headers });
  t.equal(api.status, 200, "API HEAD answers");
  const page = await fetch(`${k.s.url}/commands/${id}`, { method: "HEAD", headers: { ...headers, accept: "text/html" } });
  t.equal(page.status, 200, "console HEAD answers");
  const fragment = await fetch(`${k.s.url}/commands/${id}`, { method: "HEAD", headers: { ...headers, "hx-request": "true" } });
  t.equal(fragment.status, 200, "console fragment HEAD answers");
  t.equal(await shownKey(k.operator, id), "gk-head-does-not-eat-0003", "the following GET still gets the key");
});

t.test("the key expires 15 minutes after the result arrived (injected clock)", async (t) => {
  const clock = manualClock();
  const k = await kit(t, { now: clock.now });
  const early = await keyed(k, "gk-read-in-time-0004");
  const late = await keyed(k, "gk-read-too-late-0005");
  clock.advance(14 * 60);
  t.equal(await shownKey(k.operator, early), "gk-read-in-time-0004", "still there after 14 minutes");
  clock.advance(61);
  t.equal(await shownKey(k.operator, late), REDACTED, "gone after 15 minutes");
  t.ok(await hasCommandSecret(k.s.db, late, "generatedKey"), "its sealed row waits for the sweep");
  const run = await runMaintenance(k.s.app, "manual");
  t.equal(run.changes.generatedKeysExpired, 1, "the maintenance sweep deletes it");
  t.notOk(await hasCommandSecret(k.s.db, late, "generatedKey"), "and it is no longer stored");
});

t.test("size caps: a key over 4 KB is refused (413), a 4 KB key is held; at most 1,000 keys, oldest dropped", async (t) => {
  const clock = manualClock();
  const k = await kit(t, { now: clock.now });
  const id = await k.running("rotateKey");
  const big = await k.result(id, { success: true, data: { generatedKey: "x".repeat(4097) } });
  t.equal(big.status, 413);
  t.equal(big.body.error.code, "COMMAND_RESULT_TOO_LARGE");
  t.same({ field: big.body.error.details.field, limitBytes: big.body.error.details.limitBytes }, { field: "data.generatedKey", limitBytes: 4096 });
  t.equal((await k.operator.get(`/api/admin/commands/${id}`)).body.data.status, "RUNNING", "the refused result was not applied");
  const fits = "y".repeat(4096);
  t.equal((await k.result(id, { success: true, data: { generatedKey: fits } })).status, 200, "exactly 4 KB is accepted");

  // 1,000 newer keys (on copies of the command, one millisecond apart) push the 4 KB key out at the next sweep
  const base = (await getCommand(k.s.db, id))!;
  const t0 = clock.now().getTime();
  await k.s.db.transaction(async () => {
    for (let i = 0; i < GENERATED_KEYS_MAX; i++) {
      const at = new Date(t0 + 1 + i).toISOString();
      await insertCommand(k.s.db, { ...base, status: "PENDING", id: `cmd_filler${i}`, createdAt: at, expiresAt: base.expiresAt });
      await storeGeneratedKey(k.s.app, `cmd_filler${i}`, `filler-${i}`, null, at);
    }
    // finished, as a command with a result is: not claimable by the kit's next poll
    await k.s.db.run(`UPDATE commands SET status = 'SUCCEEDED', completed_at = created_at WHERE id LIKE 'cmd_filler%'`);
  });
  t.equal(await countCommandSecrets(k.s.db, "generatedKey"), GENERATED_KEYS_MAX + 1, "1,001 stored before the sweep");
  t.equal((await runMaintenance(k.s.app, "manual")).changes.generatedKeysOverCap, 1, "the sweep drops one");
  t.equal(await countCommandSecrets(k.s.db, "generatedKey"), GENERATED_KEYS_MAX, "capped at 1,000");
  t.notOk(await hasCommandSecret(k.s.db, id, "generatedKey"), "the oldest (the 4 KB key) was dropped");
  clock.advance(2);
  const fresh = await keyed(k, "gk-newest-0006");
  await runMaintenance(k.s.app, "manual");
  t.equal(await countCommandSecrets(k.s.db, "generatedKey"), GENERATED_KEYS_MAX, "still 1,000 after a new result");
  t.notOk(await hasCommandSecret(k.s.db, "cmd_filler0", "generatedKey"), "the oldest filler gave way");
  t.ok(await hasCommandSecret(k.s.db, "cmd_filler1", "generatedKey"), "the next one stays");
  t.equal(await shownKey(k.operator, fresh), "gk-newest-0006", "the newest key is readable");
  t.equal(await shownKey(k.operator, id), REDACTED, "the dropped one is not");
});
