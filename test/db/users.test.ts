// users: round trip, unique usernames, updates, owner counting and the filtered, sorted list.
import t from "tap";
import { UNIQUE_VIOLATION } from "../testDb.js";
import {
  countActiveOwners, countUsers, getUser, getUserByUsername, listUsers, setUserPassword, touchUserLogin, updateUser,
} from "../../src/db/users.js";
import { addUser, at, fileDb } from "./_seed.js";

const NEWEST = [{ field: "createdAt", desc: true }];

t.test("insert, read back, unique username, update, password and login", async (t) => {
  const db = await fileDb(t);
  t.equal(await countUsers(db), 0, "a fresh database has no users");
  const u = await addUser(db, "Alice", { displayName: "Alice A", role: "owner" });
  t.same(await getUser(db, u.id), u, "every field round-trips");
  t.same(await getUserByUsername(db, "Alice"), u);
  t.equal(await getUserByUsername(db, "alice"), undefined, "usernames match as typed");
  await t.rejects(() => addUser(db, "Alice"), { code: UNIQUE_VIOLATION });
  await updateUser(db, u.id, { displayName: null, role: "operator", status: "DISABLED" }, at(5));
  t.match(await getUser(db, u.id), { displayName: null, role: "operator", status: "DISABLED", updatedAt: at(5), createdAt: at(0) });
  await setUserPassword(db, u.id, "$argon2id$new", at(6));
  t.match(await getUser(db, u.id), { passwordHash: "$argon2id$new", updatedAt: at(6) });
  await touchUserLogin(db, u.id, at(7));
  t.match(await getUser(db, u.id), { lastLoginAt: at(7), updatedAt: at(6) }, "a login does not count as an update");
  t.equal(await countUsers(db), 1);
});

t.test("countActiveOwners counts ACTIVE owners only", async (t) => {
  const db = await fileDb(t);
  await addUser(db, "o1", { role: "owner" });
  const o2 = await addUser(db, "o2", { role: "owner" });
  await addUser(db, "o3", { role: "owner", status: "DISABLED" });
  await addUser(db, "op", { role: "operator" });
  t.equal(await countActiveOwners(db), 2);
  await updateUser(db, o2.id, { displayName: null, role: "viewer", status: "ACTIVE" }, at(1));
  t.equal(await countActiveOwners(db), 1);
});

t.test("list: role and status filters, literal search, sort, pages", async (t) => {
  const db = await fileDb(t);
  await addUser(db, "carol", { role: "owner", createdAt: at(1) });
  await addUser(db, "dave_x", { role: "operator", createdAt: at(2), displayName: "Dave" });
  await addUser(db, "erin", { role: "operator", status: "DISABLED", createdAt: at(3) });
  await addUser(db, "davexy", { role: "viewer", createdAt: at(4) });
  const names = (r: { rows: { username: string }[] }) => r.rows.map((u) => u.username);
  t.same(names(await listUsers(db, {}, NEWEST, 1, 10)), ["davexy", "erin", "dave_x", "carol"], "newest first");
  t.same(names(await listUsers(db, {}, [{ field: "username", desc: false }], 1, 10)), ["carol", "dave_x", "davexy", "erin"]);
  t.same(names(await listUsers(db, { role: ["operator"] }, NEWEST, 1, 10)), ["erin", "dave_x"]);
  t.same(names(await listUsers(db, { role: ["operator"], status: ["ACTIVE"] }, NEWEST, 1, 10)), ["dave_x"], "filters AND");
  t.same(names(await listUsers(db, { role: ["owner", "viewer"] }, NEWEST, 1, 10)), ["davexy", "carol"], "values OR");
  t.same(names(await listUsers(db, { q: "dave_" }, NEWEST, 1, 10)), ["dave_x"], "_ is literal, not a wildcard");
  t.same(names(await listUsers(db, { q: "Dave" }, NEWEST, 1, 10)), ["davexy", "dave_x"], "display names are searched too (LIKE is case-insensitive)");
  const p2 = await listUsers(db, {}, NEWEST, 2, 3);
  t.same(names(p2), ["carol"], "page 2 of 3-per-page");
  t.equal(p2.total, 4, "total counts every match, not the page");
  await t.rejects(() => listUsers(db, {}, [{ field: "password_hash", desc: false }], 1, 10), /not whitelisted/);
});
