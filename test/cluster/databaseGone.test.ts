// The database goes away under a running node (PostgreSQL: server stopped, network cut) and comes back.
// A TCP relay between the node and PostgreSQL is cut and restored: while it is cut, requests that need
// the database answer 503 DATABASE_UNAVAILABLE in the error envelope (never a 500, never a hang past
// the pool's connect timeout), /readyz answers 503 so a load balancer moves traffic away, /healthz stays
// 200 and the process lives on; once it is back, the same node serves again without a restart.
import t from "tap";
import { startTestServer } from "../helpers.js";
import { cuttableRelay, freshDatabase } from "../pgKit.js";
import { onPostgres, TEST_SECRET_KEY } from "../testDb.js";

t.setTimeout(180_000);

t.test("a node answers 503 while its database is unreachable and recovers when it is back", onPostgres ? {} : { skip: "PostgreSQL only: an SQLite file cannot become unreachable" }, async (t) => {
  const db = new URL((await freshDatabase(t)).url);
  const r = cuttableRelay(db);
  await r.open();
  const viaRelay = new URL(db);
  viaRelay.port = String(r.port);
  const s = await startTestServer(t, { env: { CAPSTAN_DATABASE_URL: viaRelay.toString(), CAPSTAN_SECRET_KEY: TEST_SECRET_KEY } });
  const owner = await s.loginAs("owner");
  t.equal((await owner.get("/api/admin/agents")).status, 200, "serving through the relay");

  await r.cut();
  const started = Date.now();
  const list = await owner.get("/api/admin/agents");
  t.equal(list.status, 503, `a request that needs the database: ${list.text}`);
  t.equal(list.body?.error?.code, "DATABASE_UNAVAILABLE", "in the error envelope");
  t.ok(Date.now() - started < 15_000, `answered within the connect timeout (${Date.now() - started} ms)`);
  const login = await s.anon.post("/api/admin/auth/login", { username: "owner-user", password: "owner-user-password-123" });
  t.equal(login.status, 503, `login: ${login.text}`);
  t.equal((await fetch(`${s.url}/readyz`)).status, 503, "/readyz says not ready");
  t.equal((await fetch(`${s.url}/healthz`)).status, 200, "/healthz: the process is alive");
  t.notOk(s.logs.some((l) => l.includes('"level":"fatal"')), "nothing fatal logged");

  await r.open(); // same port: the pool reconnects by itself
  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    ready = (await fetch(`${s.url}/readyz`)).status === 200;
    if (!ready) await new Promise((res) => setTimeout(res, 100));
  }
  t.ok(ready, "/readyz is 200 again once the database is back");
  t.equal((await owner.get("/api/admin/agents")).status, 200, "the same session works again, no restart");
  t.teardown(() => r.cut());
});
