// api_tokens: lookup by hash with the owner, per-user and owner-wide lists, revoke once, usage stamp.
import t from "tap";
import { UNIQUE_VIOLATION } from "../testDb.js";
import { getApiToken, getApiTokenByHash, insertApiToken, listApiTokens, revokeApiToken, touchApiToken } from "../../src/db/apiTokens.js";
import { newId } from "../../src/ids.js";
import { addUser, at, fileDb } from "./_seed.js";

const token = (userId: string, name: string, createdAt: string, expiresAt: string | null = null) => ({
  id: newId("apt"), userId, name, tokenHash: `hash-${name}`, createdAt, expiresAt,
});

t.test("insert, look up by hash and id with the owner's role", async (t) => {
  const db = await fileDb(t);
  const u = await addUser(db, "ci", { role: "operator" });
  const tok = token(u.id, "deploy", at(1), at(1000));
  await insertApiToken(db, tok);
  const want = { ...tok, lastUsedAt: null, revokedAt: null, scopes: ["admin"], username: "ci", role: "operator", userStatus: "ACTIVE" };
  t.same(await getApiTokenByHash(db, "hash-deploy"), want);
  t.same(await getApiToken(db, tok.id), want);
  t.equal(await getApiTokenByHash(db, "hash-other"), undefined);
  await t.rejects(() => insertApiToken(db, { ...token(u.id, "x", at(2)), tokenHash: "hash-deploy" }), { code: UNIQUE_VIOLATION });
});

t.test("lists: a user's own newest first, or everyone's", async (t) => {
  const db = await fileDb(t);
  const a = await addUser(db, "a");
  const b = await addUser(db, "b");
  await insertApiToken(db, token(a.id, "a-old", at(1)));
  await insertApiToken(db, token(b.id, "b-mid", at(2)));
  await insertApiToken(db, token(a.id, "a-new", at(3)));
  t.same((await listApiTokens(db, a.id)).map((x) => x.name), ["a-new", "a-old"]);
  t.same((await listApiTokens(db, b.id)).map((x) => x.name), ["b-mid"]);
  t.same((await listApiTokens(db, null)).map((x) => x.name), ["a-new", "b-mid", "a-old"]);
});

t.test("revoke applies once; touch records use", async (t) => {
  const db = await fileDb(t);
  const u = await addUser(db, "u");
  const tok = token(u.id, "t", at(0));
  await insertApiToken(db, tok);
  t.equal(await revokeApiToken(db, tok.id, at(5)), true);
  t.equal(await revokeApiToken(db, tok.id, at(9)), false, "already revoked");
  t.equal((await getApiToken(db, tok.id))!.revokedAt, at(5), "the first revocation time is kept");
  t.equal(await revokeApiToken(db, "apt_missing", at(9)), false);
  await touchApiToken(db, tok.id, at(7));
  t.equal((await getApiToken(db, tok.id))!.lastUsedAt, at(7));
});
