// ? -> $n translation and the named dialect helpers, checked by text and against a real server.
import t from "tap";
import { capabilityFilterSql, toPostgres } from "../../../src/db/dialect.js";
import { freshEngine } from "../../pgKit.js";

t.test("placeholders are numbered in order, outside literals, identifiers and comments", async (t) => {
  t.equal(toPostgres("SELECT a FROM t WHERE a = ? AND b IN (?, ?)"), "SELECT a FROM t WHERE a = $1 AND b IN ($2, $3)");
  t.equal(toPostgres("SELECT '?' AS q, ? AS p"), "SELECT '?' AS q, $1 AS p");
  t.equal(toPostgres("SELECT 'it''s ?' , ?"), "SELECT 'it''s ?' , $1");
  t.equal(toPostgres(`SELECT "we?ird"" ?" FROM t WHERE x = ?`), `SELECT "we?ird"" ?" FROM t WHERE x = $1`);
  t.equal(toPostgres("SELECT 1 -- why?\n, ?"), "SELECT 1 -- why?\n, $1");
  t.equal(toPostgres("SELECT /* a /* nested? */ still? */ ?"), "SELECT /* a /* nested? */ still? */ $1");
  t.equal(toPostgres("SELECT $$ ? $$, $tag$ '? $tag$, ?"), "SELECT $$ ? $$, $tag$ '? $tag$, $1");
  // a standard string ends at its quote even after a backslash: the search helper's ESCAPE '\'
  t.equal(toPostgres("a LIKE ? ESCAPE '\\' OR b LIKE ? ESCAPE '\\'"), "a LIKE $1 ESCAPE '\\' OR b LIKE $2 ESCAPE '\\'");
  // an E'' string does take backslash escapes
  t.equal(toPostgres("SELECT E'\\' ?', ?"), "SELECT E'\\' ?', $1");
  t.equal(toPostgres("SELECT 1"), "SELECT 1");
});

t.test("translated statements run on PostgreSQL with literal ? intact", async (t) => {
  const db = await freshEngine(t);
  const r = await db.get<{ lit: string; p: string; n: number; esc: boolean }>(
    "SELECT 'why?' AS lit, ? AS p, ?::int + 1 AS n, ('a%b' LIKE ? ESCAPE '\\') AS esc", ["x?", 41, "a\\%b"]);
  t.same(r, { lit: "why?", p: "x?", n: 42, esc: true });
});

t.test("capability filter matches strings and {name} objects, ignores non-arrays", async (t) => {
  const db = await freshEngine(t);
  const ins = `INSERT INTO capsule_services (id, code, name, manifest_json, created_at, updated_at) VALUES (?, ?, ?, ?, 'x', 'x')`;
  await db.run(ins, ["s1", "c1", "n", JSON.stringify({ capabilities: ["backup", { name: "restore" }] })]);
  await db.run(ins, ["s2", "c2", "n", JSON.stringify({ capabilities: { backup: "backup" } })]);
  await db.run(ins, ["s3", "c3", "n", JSON.stringify({})]);
  await db.run(ins, ["s4", "c4", "n", JSON.stringify({ capabilities: [{ name: "backup" }, 7, null] })]);
  const find = async (cap: string) =>
    (await db.all<{ id: string }>(`SELECT s.id FROM capsule_services s WHERE ${capabilityFilterSql("postgres", "s.manifest_json")} ORDER BY s.id`, [cap, cap]))
      .map((r) => r.id);
  t.same(await find("backup"), ["s1", "s4"]);
  t.same(await find("restore"), ["s1"]);
  t.same(await find("nothing"), []);
});

t.test("text compares and sorts in byte order, and lower() folds ASCII only, as on SQLite", async (t) => {
  const db = await freshEngine(t);
  for (const [i, n] of ["b", "B", "a", "É", "é", "_"].entries()) {
    await db.run(`INSERT INTO users (id, username, role, password_hash, created_at, updated_at) VALUES (?, ?, 'viewer', 'h', 'x', 'x')`, [`u${i}`, n]);
  }
  const names = (await db.all<{ username: string }>("SELECT username FROM users ORDER BY username")).map((r) => r.username);
  t.same(names, ["B", "_", "a", "b", "É", "é"]); // SQLite BINARY order
  const hits = (await db.all<{ username: string }>("SELECT username FROM users WHERE lower(username) LIKE lower(?) ORDER BY username", ["%É%"]))
    .map((r) => r.username);
  t.same(hits, ["É"]); // like SQLite's LIKE: non-ASCII letters are not case-folded
});
