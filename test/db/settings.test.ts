// settings: JSON values by key, upserted; an unreadable stored value reads as absent.
import t from "tap";
import { getSetting, putSetting } from "../../src/db/settings.js";
import { at, fileDb } from "./_seed.js";

t.test("a setting round-trips as JSON and an upsert replaces value and time", async (t) => {
  const db = fileDb(t);
  t.equal(getSetting(db, "maintenance.lastRun"), undefined, "absent before the first write");
  putSetting(db, "maintenance.lastRun", { at: at(1), tasks: ["sessions"] }, at(1));
  t.same(getSetting(db, "maintenance.lastRun"), { value: { at: at(1), tasks: ["sessions"] }, updatedAt: at(1) });
  putSetting(db, "maintenance.lastRun", { at: at(2), tasks: [] }, at(2));
  t.same(getSetting(db, "maintenance.lastRun"), { value: { at: at(2), tasks: [] }, updatedAt: at(2) }, "one row, replaced");
  t.equal((db.prepare("SELECT count(*) AS n FROM settings WHERE key = ?").get("maintenance.lastRun") as { n: number }).n, 1);
});

t.test("a hand-edited value that is not JSON reads as absent instead of throwing", async (t) => {
  const db = fileDb(t);
  db.prepare("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)").run("broken", "{not json", at(0));
  t.equal(getSetting(db, "broken"), undefined);
});
