// CAPSTAN_DATABASE_POOL_SIZE: how many PostgreSQL connections a node's pool opens at most. Nodes x
// pool size must fit the server's max_connections, so the setting has to be real: under a burst of
// concurrent requests the node opens no more than it says (plus its LISTEN and maintenance-lock
// clients, which are not pooled) and still answers every request.
import pg from "pg";
import t from "tap";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startTestServer, type Tap } from "../helpers.js";
import { postgresOnly } from "../testDb.js";

t.setTimeout(120_000);

t.test("the setting is validated", async (t) => {
  t.equal(loadConfig({}).databasePoolSize, 10, "default");
  t.equal(loadConfig({ CAPSTAN_DATABASE_POOL_SIZE: "40" }).databasePoolSize, 40);
  for (const bad of ["0", "501", "ten", "2.5"]) {
    let thrown: unknown;
    try {
      loadConfig({ CAPSTAN_DATABASE_POOL_SIZE: bad });
    } catch (err) {
      thrown = err;
    }
    t.ok(thrown instanceof ConfigError, `${bad}: refused as a configuration error`);
    t.match((thrown as Error | undefined)?.message, /CAPSTAN_DATABASE_POOL_SIZE/, `${bad}: the message names the variable`);
  }
});

/** Peak number of this database's "capstan" backends while `burst` runs. */
async function peakConnections(url: string, burst: () => Promise<unknown>): Promise<number> {
  const probe = new pg.Client({ connectionString: url, application_name: "pool-size probe" });
  await probe.connect();
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const r = await probe.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'capstan'");
      peak = Math.max(peak, r.rows[0]!.n);
      await new Promise((res) => setTimeout(res, 5));
    }
  })();
  try {
    await burst();
    await new Promise((res) => setTimeout(res, 100)); // idle pooled clients stay open for seconds: the last samples still see them
  } finally {
    sampling = false;
    await sampler;
    await probe.end();
  }
  return peak;
}

async function burstAgainst(t: Tap, poolSize: string | undefined): Promise<{ peak: number; statuses: number[] }> {
  const s = await startTestServer(t, poolSize ? { env: { CAPSTAN_DATABASE_POOL_SIZE: poolSize } } : {});
  const owner = await s.loginAs("owner");
  let statuses: number[] = [];
  const peak = await peakConnections(s.config.databaseUrl!, async () => {
    statuses = (await Promise.all(Array.from({ length: 40 }, () => owner.get("/api/admin/agents")))).map((r) => r.status);
  });
  return { peak, statuses };
}

t.test("a node opens at most its pool size under a burst", postgresOnly("the pool is PostgreSQL's"), async (t) => {
  // the LISTEN client and the maintenance lock's client are outside the pool
  const unpooled = 2;
  const small = await burstAgainst(t, "1");
  t.same(new Set(small.statuses), new Set([200]), "every request of the burst answered with one pooled connection");
  t.ok(small.peak <= 1 + unpooled, `pool size 1: at most ${1 + unpooled} connections (saw ${small.peak})`);
  const dflt = await burstAgainst(t, undefined);
  t.same(new Set(dflt.statuses), new Set([200]));
  t.ok(dflt.peak > 1 + unpooled, `the default (10) opens more under the same burst (saw ${dflt.peak}), so the bound above is the setting's doing`);
});
