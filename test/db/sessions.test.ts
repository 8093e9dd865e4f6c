// sessions: lookup by hash with the user, CSRF rotation, activity, and the three ways a session ends.
import t from "tap";
import { UNIQUE_VIOLATION, FOREIGN_KEY_VIOLATION } from "../testDb.js";
import { updateUser } from "../../src/db/users.js";
import {
  bumpSessionCsrf, deleteExpiredSessions, deleteSession, deleteSessionsForUser, getSessionByHash, insertSession, touchSession,
} from "../../src/db/sessions.js";
import { newId } from "../../src/ids.js";
import { addUser, at, fileDb } from "./_seed.js";

const session = (userId: string, hash: string, expiresAt = at(3600)) => ({
  id: newId("ses"), tokenHash: hash, userId, ip: "127.0.0.1", userAgent: "tap", createdAt: at(0), lastSeenAt: at(0), expiresAt,
});

t.test("insert and look up by hash, with the user's role and status", async (t) => {
  const db = await fileDb(t);
  const u = await addUser(db, "sam", { role: "operator" });
  const s = session(u.id, "hash-1");
  await insertSession(db, s);
  t.same(await getSessionByHash(db, "hash-1"), { ...s, csrfVersion: 1, username: "sam", role: "operator", userStatus: "ACTIVE" });
  t.equal(await getSessionByHash(db, "hash-2"), undefined);
  await updateUser(db, u.id, { displayName: null, role: "viewer", status: "DISABLED" }, at(1));
  t.match(await getSessionByHash(db, "hash-1"), { role: "viewer", userStatus: "DISABLED" }, "the user is read live, not copied");
  await t.rejects(() => insertSession(db, session(u.id, "hash-1")), { code: UNIQUE_VIOLATION }, "hashes are unique");
  await t.rejects(() => insertSession(db, session("usr_missing", "hash-3")), { code: FOREIGN_KEY_VIOLATION });
});

t.test("CSRF rotation and activity", async (t) => {
  const db = await fileDb(t);
  const u = await addUser(db, "sam");
  const s = session(u.id, "h");
  await insertSession(db, s);
  await bumpSessionCsrf(db, s.id);
  await bumpSessionCsrf(db, s.id);
  t.equal((await getSessionByHash(db, "h"))!.csrfVersion, 3);
  await touchSession(db, s.id, at(60));
  t.match(await getSessionByHash(db, "h"), { lastSeenAt: at(60), createdAt: at(0) });
});

t.test("logout, user-wide end and expiry", async (t) => {
  const db = await fileDb(t);
  const a = await addUser(db, "a");
  const b = await addUser(db, "b");
  const a1 = session(a.id, "a1");
  await insertSession(db, a1);
  await insertSession(db, session(a.id, "a2"));
  await insertSession(db, session(b.id, "b1", at(10)));
  await insertSession(db, session(b.id, "b2", at(100)));
  await deleteSession(db, a1.id);
  t.equal(await getSessionByHash(db, "a1"), undefined, "logout removes that session");
  t.ok(await getSessionByHash(db, "a2"), "the user's other session stays");
  t.equal(await deleteSessionsForUser(db, a.id), 1);
  t.equal(await getSessionByHash(db, "a2"), undefined);
  t.equal(await deleteExpiredSessions(db, at(10)), 0, "expiry is strictly before the cutoff");
  t.equal(await deleteExpiredSessions(db, at(11)), 1);
  t.same([await getSessionByHash(db, "b1"), (await getSessionByHash(db, "b2"))?.tokenHash], [undefined, "b2"]);
});
