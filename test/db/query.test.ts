// The list helpers, run against a real table: WHERE from filters, literal LIKE, whitelisted ORDER BY.
import t from "tap";
import { Where, limitOffset, orderBy, parseJson, sqlList, toBool } from "../../src/db/query.js";
import { fileDb } from "./_seed.js";

t.test("Where builds clauses that select what they say", async (t) => {
  const db = await fileDb(t);
  await db.exec(`CREATE TABLE items (id TEXT PRIMARY KEY, kind TEXT, label TEXT)`);
  for (const [id, kind, label] of [["1", "a", "50% off"], ["2", "b", "5000 off"], ["3", "a", "under_score"], ["4", "c", "underXscore"], ["5", "b", "back\\slash"]]) {
    await db.run(`INSERT INTO items VALUES (?, ?, ?)`, [id, kind, label]);
  }
  const select = async (w: Where) => (await db.all<{ id: string }>(`SELECT id FROM items ${w.sql} ORDER BY id`, w.params)).map((r) => r.id);
  t.equal(new Where().sql, "", "no filters, no WHERE");
  t.equal(new Where().anyOf("kind", []).anyOf("kind", undefined).sql, "", "empty filters add nothing");
  t.same(await select(new Where().anyOf("kind", ["a"])), ["1", "3"]);
  t.same(await select(new Where().anyOf("kind", ["a", "c"])), ["1", "3", "4"]);
  t.same(await select(new Where().anyOf("kind", ["a", "b"]).add("id > ?", "1")), ["2", "3", "5"], "clauses AND");
  t.same(await select(new Where().search(["label"], "50%")), ["1"], "% is literal");
  t.same(await select(new Where().search(["label"], "under_")), ["3"], "_ is literal");
  t.same(await select(new Where().search(["label"], "k\\s")), ["5"], "backslash is literal");
  t.same(await select(new Where().search(["kind", "label"], "a")), ["1", "3", "5"], "any listed column (1, 3 by kind, 5 by label)");
  t.same(await select(new Where().search(["label"], "x' OR 1=1 --")), [], "input is bound, never SQL");
});

t.test("orderBy: whitelist only, stable tiebreak", async (t) => {
  const map = { createdAt: "created_at", name: "name" };
  t.equal(orderBy([{ field: "createdAt", desc: true }], map), "ORDER BY created_at DESC, id DESC");
  t.equal(orderBy([{ field: "name", desc: false }, { field: "createdAt", desc: true }], map), "ORDER BY name ASC, created_at DESC, id DESC");
  t.equal(orderBy([], map), "ORDER BY id DESC");
  t.throws(() => orderBy([{ field: "id; DROP TABLE users", desc: false }], map), /not whitelisted/);
});

t.test("small helpers", async (t) => {
  t.equal(limitOffset(3, 20), "LIMIT 20 OFFSET 40");
  t.equal(limitOffset(1.7, 10.9), "LIMIT 10 OFFSET 7", "floored, never fractional");
  t.equal(sqlList(["A", "B"]), "'A', 'B'");
  t.equal(sqlList(["it's"]), "'it''s'", "quotes doubled");
  t.same([toBool(1), toBool(true), toBool(0), toBool("1"), toBool(null)], [true, true, false, false, false]);
  t.same(parseJson('{"a":1}', null), { a: 1 });
  t.same([parseJson(null, "fb"), parseJson("", "fb"), parseJson("{broken", "fb")], ["fb", "fb", "fb"]);
});
