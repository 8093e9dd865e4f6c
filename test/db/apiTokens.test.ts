// api_tokens: lookup by hash with the owner, per-user and owner-wide lists, revoke once, usage stamp.
import t from "tap";
import { getApiToken, getApiTokenByHash, insertApiToken, listApiTokens, revokeApiToken, touchApiToken } from "../../src/db/apiTokens.js";
import { newId } from "../../src/ids.js";
import { addUser, at, fileDb } from "./_seed.js";

const token = (userId: string, name: string, createdAt: string, expiresAt: string | null = null) => ({
  id: newId("apt"), userId, name, tokenHash: `hash-${name}`, createdAt, expiresAt,
});

t.test("insert, look up by hash and id with the owner's role", async (t) => {
  const db = fileDb(t);
  const u = addUser(db, "ci", { role: "operator" });
  const tok = token(u.id, "deploy", at(1), at(1000));
  insertApiToken(db, tok);
  const want = { ...tok, lastUsedAt: null, revokedAt: null, username: "ci", role: "operator", userStatus: "ACTIVE" };
  t.same(getApiTokenByHash(db, "hash-deploy"), want);
  t.same(getApiToken(db, tok.id), want);
  t.equal(getApiTokenByHash(db, "hash-other"), undefined);
  t.throws(() => insertApiToken(db, { ...token(u.id, "x", at(2)), tokenHash: "hash-deploy" }), { code: "SQLITE_CONSTRAINT_UNIQUE" });
});

t.test("lists: a user's own newest first, or everyone's", async (t) => {
  const db = fileDb(t);
  const a = addUser(db, "a");
  const b = addUser(db, "b");
  insertApiToken(db, token(a.id, "a-old", at(1)));
  insertApiToken(db, token(b.id, "b-mid", at(2)));
  insertApiToken(db, token(a.id, "a-new", at(3)));
  t.same(listApiTokens(db, a.id).map((x) => x.name), ["a-new", "a-old"]);
  t.same(listApiTokens(db, b.id).map((x) => x.name), ["b-mid"]);
  t.same(listApiTokens(db, null).map((x) => x.name), ["a-new", "b-mid", "a-old"]);
});

t.test("revoke applies once; touch records use", async (t) => {
  const db = fileDb(t);
  const u = addUser(db, "u");
  const tok = token(u.id, "t", at(0));
  insertApiToken(db, tok);
  t.equal(revokeApiToken(db, tok.id, at(5)), true);
  t.equal(revokeApiToken(db, tok.id, at(9)), false, "already revoked");
  t.equal(getApiToken(db, tok.id)!.revokedAt, at(5), "the first revocation time is kept");
  t.equal(revokeApiToken(db, "apt_missing", at(9)), false);
  touchApiToken(db, tok.id, at(7));
  t.equal(getApiToken(db, tok.id)!.lastUsedAt, at(7));
});
