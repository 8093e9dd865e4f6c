// Nodes started at the same moment on one empty PostgreSQL database: each sees no user and tries to
// create the first owner; exactly one does, and every node starts (before: the others failed to start
// on the unique username). SQLite has one process per file: there is no second node to race.
import t from "tap";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { startServer } from "../../src/server.js";
import { freshDatabase } from "../pgKit.js";
import { onPostgres } from "../testDb.js";

t.setTimeout(120_000);

t.test("three nodes bootstrapping one empty database at once: one owner, every node up", onPostgres ? {} : { skip: "PostgreSQL only: one process owns a SQLite file" }, async (t) => {
  const { url } = await freshDatabase(t);
  const env = {
    CAPSTAN_PORT: "0", CAPSTAN_LOG_LEVEL: "error", CAPSTAN_DATABASE_URL: url,
    CAPSTAN_SECRET_KEY: "5".repeat(64), CAPSTAN_ADMIN_USERNAME: "first-owner", CAPSTAN_ADMIN_PASSWORD: "first-owner-password-1",
  };
  const log = createLogger({ level: "error", format: "json", write: () => {} });
  const starts = await Promise.allSettled([1, 2, 3].map((i) =>
    startServer({ config: loadConfig({ ...env, CAPSTAN_DATA_DIR: t.testdir({ [`node${i}`]: {} }) }), log, bootstrapOwner: true })));
  const nodes = starts.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  t.teardown(async () => { for (const n of nodes) await n.close(); });
  t.same(starts.filter((s) => s.status === "rejected").map((s) => String((s as PromiseRejectedResult).reason)), [], "every node started");
  t.equal(nodes.filter((n) => n.bootstrap).length, 1, "exactly one node created the owner");
  const owners = await nodes[0]!.db.all<{ username: string }>("SELECT username FROM users WHERE role = 'owner'");
  t.same(owners.map((o) => o.username), ["first-owner"], "one owner in the database");
  for (const n of nodes) {
    const login = await fetch(`${n.url}/api/admin/auth/login`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "first-owner", password: "first-owner-password-1" }),
    });
    t.equal(login.status, 200, `the owner logs in on ${n.url}`);
  }
});
