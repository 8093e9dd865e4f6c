import t from "tap";
import { openTestDb } from "../testDb.js";
import {
  consumeRegistrationToken, expireRegistrationToken, getRegistrationToken, getRegistrationTokenByHash, insertRegistrationToken,
  listExpiredActiveTokens, listRegistrationTokens, revokeRegistrationToken, type RegistrationTokenRow,
} from "../../src/db/registrationTokens.js";
import { newId } from "../../src/ids.js";

const T0 = Date.parse("2026-05-01T12:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const token = (name: string, over: Partial<RegistrationTokenRow> = {}): RegistrationTokenRow => ({
  id: newId("tok"), name, status: "ACTIVE", maxUses: 1, useCount: 0, agentCode: null, expiresAt: null, usedAt: null, revokedAt: null,
  createdByUserId: null, createdAt: at(0), updatedAt: at(0), ...over,
});

t.test("insert, lookups, consumption up to maxUses", async (t) => {
  const db = await openTestDb(t);
  const one = token("one");
  const three = token("three", { maxUses: 3, expiresAt: at(600), agentCode: "edge" });
  await insertRegistrationToken(db, one, "h1");
  await insertRegistrationToken(db, three, "h3");
  t.same(await getRegistrationToken(db, one.id), one);
  t.same(await getRegistrationTokenByHash(db, "h3"), three);
  t.equal(await getRegistrationTokenByHash(db, "nope"), undefined);

  t.equal(await consumeRegistrationToken(db, one.id, at(1)), true);
  t.match(await getRegistrationToken(db, one.id), { status: "USED", useCount: 1, usedAt: at(1) });
  t.equal(await consumeRegistrationToken(db, one.id, at(2)), false, "used up");

  t.equal(await consumeRegistrationToken(db, three.id, at(1)), true);
  t.equal(await consumeRegistrationToken(db, three.id, at(2)), true);
  t.equal((await getRegistrationToken(db, three.id))!.status, "ACTIVE");
  t.equal(await consumeRegistrationToken(db, three.id, at(601)), false, "expired meanwhile");
  t.equal(await consumeRegistrationToken(db, three.id, at(3)), true);
  t.match(await getRegistrationToken(db, three.id), { status: "USED", useCount: 3 });
});

t.test("revoke and expire are guarded transitions from ACTIVE", async (t) => {
  const db = await openTestDb(t);
  const a = token("a", { expiresAt: at(60) });
  const b = token("b", { expiresAt: at(120) });
  const c = token("c");
  for (const [x, h] of [[a, "ha"], [b, "hb"], [c, "hc"]] as const) await insertRegistrationToken(db, x, h);
  t.equal(await revokeRegistrationToken(db, c.id, at(1)), true);
  t.equal(await revokeRegistrationToken(db, c.id, at(2)), false);
  t.match(await getRegistrationToken(db, c.id), { status: "REVOKED", revokedAt: at(1) });
  t.equal(await consumeRegistrationToken(db, c.id, at(3)), false, "revoked tokens are not consumable");

  t.same((await listExpiredActiveTokens(db, at(100), 10)).map((x) => x.name), ["a"]);
  t.same((await listExpiredActiveTokens(db, at(200), 1)).map((x) => x.name), ["a"], "batch-bounded, soonest first");
  t.equal(await expireRegistrationToken(db, b.id, at(100)), false, "not yet expired");
  t.equal(await expireRegistrationToken(db, a.id, at(100)), true);
  t.equal(await expireRegistrationToken(db, a.id, at(100)), false);
  t.equal((await getRegistrationToken(db, a.id))!.status, "EXPIRED");
});

t.test("list: effective status filter, sort, pagination", async (t) => {
  const db = await openTestDb(t);
  await insertRegistrationToken(db, token("late", { expiresAt: at(50), createdAt: at(1) }), "h1");
  await insertRegistrationToken(db, token("never", { createdAt: at(2) }), "h2");
  await insertRegistrationToken(db, token("used", { status: "USED", createdAt: at(3), expiresAt: at(10) }), "h3");
  const names = async (f: object, now: number, sort = [{ field: "createdAt", desc: true }]) =>
    (await listRegistrationTokens(db, f, at(now), sort, 1, 10)).rows.map((r) => r.name);
  t.same(await names({}, 0), ["used", "never", "late"]);
  t.same(await names({ status: ["ACTIVE"] }, 0), ["never", "late"]);
  t.same(await names({ status: ["ACTIVE"] }, 60), ["never"]);
  t.same(await names({ status: ["EXPIRED"] }, 60), ["late"], "ACTIVE past expiry reads as EXPIRED");
  t.same(await names({ status: ["EXPIRED", "USED"] }, 60), ["used", "late"], "a USED token stays USED after its expiry");
  t.same(await names({}, 0, [{ field: "expiresAt", desc: false }]), ["never", "used", "late"], "NULLs sort first ascending");
  const page = await listRegistrationTokens(db, {}, at(0), [{ field: "createdAt", desc: false }], 2, 2);
  t.same(page.rows.map((r) => r.name), ["used"]);
  t.equal(page.total, 3);
});
