// settings: JSON values by key, upserted; an unreadable stored value reads as absent.
import t from "tap";
import { getSetting, putSetting } from "../../src/db/settings.js";
import { at, fileDb } from "./_seed.js";

t.test("a setting round-trips as JSON and an upsert replaces value and time", async (t) => {
  const db = await fileDb(t);
  t.equal(await getSetting(db, "maintenance.lastRun"), undefined, "absent before the first write");
  await putSetting(db, "maintenance.lastRun", { at: at(1), tasks: ["sessions"] }, at(1));
  t.same(await getSetting(db, "maintenance.lastRun"), { value: { at: at(1), tasks: ["sessions"] }, updatedAt: at(1) });
  await putSetting(db, "maintenance.lastRun", { at: at(2), tasks: [] }, at(2));
  t.same(await getSetting(db, "maintenance.lastRun"), { value: { at: at(2), tasks: [] }, updatedAt: at(2) }, "one row, replaced");
  t.equal((await db.get<{ n: number }>("SELECT count(*) AS n FROM settings WHERE key = ?", ["maintenance.lastRun"]))!.n, 1);
});

t.test("a hand-edited value that is not JSON reads as absent instead of throwing", async (t) => {
  const db = await fileDb(t);
  await db.run("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", ["broken", "{not json", at(0)]);
  t.equal(await getSetting(db, "broken"), undefined);
});
