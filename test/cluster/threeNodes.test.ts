// Three real server processes (`node dist/capstan.js serve`) on one PostgreSQL database, each on its
// own port, with agents of the real SDK bundle. Shows what scale-out promises: a command created on
// one node reaches an agent long-polling another within 100 ms (median); a prepare issued on one node
// completes while the agent polls another; maintenance runs on exactly one node per interval and
// moves when that node dies; SIGKILL of a node under load loses no acknowledged execute, hands no
// command out twice, and its agents carry on through the other nodes.
//
// Failover on the agent side is a client-side list of node URLs behind the SDK's documented `fetch`
// option: on a network error the next request goes to the next node (the SDK's own backoff retries
// it). A proxy in front would do the same with one more hop on every measured latency; the server is
// what is under test, and it must not care which node an agent comes through.
import pg from "pg";
import t from "tap";
import { join } from "node:path";
import { freshDatabase } from "../pgKit.js";
import { onPostgres } from "../testDb.js";
import { freePort, jsonClient, ownerApiToken, spawnServer, type ChildServer } from "../reliability/_kit.js";
import { loadSdk, type CapsuleAgent } from "../sdk/sdkKit.js";

// the file as a whole, not only its subtests: real server processes on a loaded 2-core machine can take
// longer than tap's 120 s per-file limit
t.setTimeout(360_000);

const pgOnly = onPostgres ? {} : { skip: "PostgreSQL only: several nodes share one database only on PostgreSQL (SQLite is one process per file)" };
const MAINTENANCE_INTERVAL_S = 1;
const AGENTS = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The SDK's fetch over a list of nodes: sticks to one, moves to the next after a network error. */
function failoverFetch(urls: string[], start: number): typeof fetch {
  let i = start;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const u = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const node = i;
    try {
      return await fetch(urls[node % urls.length]! + u.pathname + u.search, init);
    } catch (err) {
      if (i === node) i++; // this node did not answer: the SDK backs off and its retry goes to the next one
      throw err;
    }
  }) as typeof fetch;
}

/** capstan_<name> per node from /metrics (CAPSTAN_METRICS=public). */
async function counter(node: ChildServer, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not in ${node.url}/metrics`);
  return Number(line.split(" ")[1]);
}

/** Maintenance runs per node over a window; exactly one node should have any. */
async function maintenanceWindow(nodes: ChildServer[], ms: number) {
  const before = await Promise.all(nodes.map((n) => counter(n, "capstan_maintenance_runs_total")));
  const skippedBefore = await Promise.all(nodes.map((n) => counter(n, "capstan_maintenance_skipped_total")));
  await sleep(ms);
  const after = await Promise.all(nodes.map((n) => counter(n, "capstan_maintenance_runs_total")));
  const skippedAfter = await Promise.all(nodes.map((n) => counter(n, "capstan_maintenance_skipped_total")));
  return { runs: after.map((a, i) => a - before[i]!), skipped: skippedAfter.map((a, i) => a - skippedBefore[i]!) };
}

t.test("three nodes on one PostgreSQL database", pgOnly, async (t) => {
  t.setTimeout(300_000);
  const { url: databaseUrl } = await freshDatabase(t);
  const env = {
    CAPSTAN_DATABASE_URL: databaseUrl, CAPSTAN_LOG_LEVEL: "warn", CAPSTAN_METRICS: "public",
    CAPSTAN_MAINTENANCE_INTERVAL_SECONDS: String(MAINTENANCE_INTERVAL_S),
  };
  const start = async (name: string) => spawnServer({ dataDir: join(t.testdir(), name), port: await freePort(), env });
  // A first: it creates the owner on the empty database; B and C then start together
  const a = await start("a");
  const [b, c] = await Promise.all([start("b"), start("c")]);
  const nodes = [a, b, c];
  t.teardown(async () => { for (const n of nodes) await n.kill9(); });
  const urls = nodes.map((n) => n.url);
  const token = await ownerApiToken(a.url);
  const ops = nodes.map((n) => jsonClient(n.url, { authorization: `Bearer ${token}` }));
  const registrationToken = (await ops[0]!("POST", "/api/admin/registration-tokens", { name: "cluster", maxUses: 100, expiresInSeconds: 3600 })).body.data.rawToken as string;

  // agents: agent k starts on node (k + 1) % 3, so agent 0 polls B and agent 1 polls C
  const { CapsuleAgent: Agent } = await loadSdk();
  const deliveries = new Map<string, number>(); // command id -> handler starts, over every agent
  const startedAt = new Map<string, number>(); // command id -> performance.now() at the handler start
  const byAgent: { at: number; id: string }[][] = [];
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const agents: CapsuleAgent[] = [];
  for (let k = 0; k < AGENTS; k++) {
    const mine: { at: number; id: string }[] = (byAgent[k] = []);
    const agent = new Agent({
      backendUrl: urls[(k + 1) % 3], registrationToken, tokenFile: join(t.testdir(), `agent-${k}.json`), agent: { code: `cluster-agent-${k}` },
      logger: quiet, backoff: { baseMs: 50, maxMs: 500 }, longPollSeconds: 25, requestTimeoutMs: 35_000,
      fetch: failoverFetch(urls, (k + 1) % 3),
    });
    agent.action({
      name: "work", label: "Work", dangerLevel: "LOW", timeoutSeconds: 30,
      inputSchema: { type: "object", properties: { n: { type: "integer", default: 7 } } },
      handler: (_payload, ctx) => {
        startedAt.set(ctx.commandId, performance.now());
        deliveries.set(ctx.commandId, (deliveries.get(ctx.commandId) ?? 0) + 1);
        mine.push({ at: performance.now(), id: ctx.commandId });
        return { success: true };
      },
    });
    await agent.start();
    agents.push(agent);
  }
  t.teardown(async () => { for (const ag of agents) await ag.stop(); });
  const serviceOf = agents.map((ag) => ag.serviceId!);
  t.ok(serviceOf.every(Boolean), "every agent registered and reported its service");

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  t.teardown(() => db.end());
  const statusOf = async (id: string) => (await db.query<{ status: string }>("SELECT status FROM commands WHERE id = $1", [id])).rows[0]?.status;
  const waitStatus = async (id: string, want: string, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if ((await statusOf(id)) === want) return true;
      await sleep(20);
    }
    return false;
  };

  // maintenance: one node runs every scheduled sweep, the others ask for the lock and leave it
  const m1 = await maintenanceWindow(nodes, 6_000);
  t.comment(`maintenance runs per node over 6 s (interval ${MAINTENANCE_INTERVAL_S} s): ${m1.runs.join(", ")}; skipped ${m1.skipped.join(", ")}`);
  const holder = m1.runs.findIndex((r) => r > 0);
  t.equal(m1.runs.filter((r) => r > 0).length, 1, "exactly one node ran maintenance");
  t.ok(m1.runs[holder]! >= 3 && m1.runs[holder]! <= 7, `once per interval: ${m1.runs[holder]} runs in 6 s`);
  t.ok(m1.skipped.every((s, i) => i === holder || s >= 3), "the other nodes asked each interval and left it to the holder");

  await t.test("an agent long-polling node B gets a command executed on node A within 100 ms (median)", async (t) => {
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      await sleep(150); // the agent's next poll is parked on B again
      const t0 = performance.now();
      const r = await ops[0]!("POST", `/api/admin/capsule-services/${serviceOf[0]}/actions/work`, { payload: { n: i } });
      t.equal(r.status, 200);
      const id = r.body.data.id as string;
      t.ok(await waitStatus(id, "SUCCEEDED"), `command ${i} completed`);
      delays.push(startedAt.get(id)! - t0);
    }
    const sorted = [...delays].sort((x, y) => x - y);
    t.comment(`execute on A -> handler start (agent on B), 20 runs: median ${median(delays).toFixed(1)} ms, min ${sorted[0]!.toFixed(1)}, p90 ${sorted[17]!.toFixed(1)}, max ${sorted[19]!.toFixed(1)}`);
    t.ok(median(delays) < 100, `median ${median(delays).toFixed(1)} ms`);
  });

  await t.test("a prepare issued on node A completes while the agent polls node C", async (t) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      await sleep(150);
      const t0 = performance.now();
      const r = await ops[0]!("GET", `/api/admin/capsule-services/${serviceOf[1]}/actions/work`);
      times.push(performance.now() - t0);
      t.equal(r.status, 200, "prepared");
      t.same(r.body.data.initialPayload, { n: 7 }, "the agent's answer (inputSchema defaults) came back through node A");
      t.equal(r.body.data.prepareCommand.status, "SUCCEEDED");
    }
    t.comment(`prepare on A answered by the agent on C: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
    // a parked wait re-checks after >= 2.25 s on its own: well below that, the agent's NOTIFY woke node A
    t.ok(median(times) < 1_500, `node A's prepare wait was woken by the completion on C (median ${median(times).toFixed(0)} ms)`);
  });

  await t.test("SIGKILL of a node under load: no acknowledged execute lost, no command delivered twice", async (t) => {
    const victim = holder; // the maintenance holder: its lock must move too
    const survivors = nodes.filter((_, i) => i !== victim);
    const acked = new Map<string, number>(); // command id -> agent index
    let refused = 0;
    let failed = 0;
    let killAt = 0;
    let stop = false;
    const operator = async (w: number) => {
      for (let n = w; !stop; n += 3) {
        const k = n % AGENTS;
        try {
          const r = await ops[n % 3]!("POST", `/api/admin/capsule-services/${serviceOf[k]}/actions/work`, { payload: { n } });
          if (r.status === 200) acked.set(r.body.data.id, k);
          else refused++;
        } catch {
          failed++; // the killed node: no answer, nothing acknowledged
        }
        await sleep(10);
      }
    };
    const load = [0, 1, 2].map(operator);
    await sleep(3_000);
    killAt = performance.now();
    await nodes[victim]!.kill9();
    await sleep(5_000);
    stop = true;
    await Promise.all(load);
    t.comment(`executes acknowledged ${acked.size}, refused ${refused}, unanswered (killed node) ${failed}`);
    t.equal(refused, 0, "no execute was refused");

    // settle: everything acknowledged is either done or was claimed by the dead node in its last moment
    const deadline = Date.now() + 60_000;
    let rows: { id: string; status: string; started: number | null }[] = [];
    for (;;) {
      const r = await db.query<{ id: string; status: string; started_at: string | null }>(
        "SELECT id, status, started_at FROM commands WHERE id = ANY($1)", [[...acked.keys()]]);
      rows = r.rows.map((x) => ({ id: x.id, status: x.status, started: x.started_at ? Date.parse(x.started_at) : null }));
      if (rows.length === acked.size && rows.every((x) => x.status === "SUCCEEDED" || (x.status === "RUNNING" && !deliveries.has(x.id)))) break;
      if (Date.now() > deadline) break;
      await sleep(200);
    }
    t.equal(rows.length, acked.size, "every execute that got a 200 is in the database");
    const twice = [...deliveries].filter(([, n]) => n > 1);
    t.same(twice, [], "no command was delivered twice");
    const notDone = rows.filter((x) => x.status !== "SUCCEEDED");
    t.ok(notDone.every((x) => x.status === "RUNNING" && !deliveries.has(x.id)),
      `only claims whose answer died with the node are unfinished (${notDone.length}: ${notDone.map((x) => x.status).join(",")})`);
    t.ok(notDone.length <= 2 * 10, "at most the claims of the polls parked on the dead node");
    t.ok(rows.filter((x) => deliveries.has(x.id)).every((x) => x.status === "SUCCEEDED"), "every delivered command has its result recorded");
    const moved = [0, 1, 2, 3, 4, 5].filter((k) => (k + 1) % 3 === victim);
    for (const k of moved) {
      const after = byAgent[k]!.filter((d) => d.at > killAt + 500).length;
      t.ok(after > 0, `agent ${k}, whose node died, completed ${after} commands through another node`);
    }

    const m2 = await maintenanceWindow(survivors, 6_000);
    t.comment(`after the kill, maintenance runs per surviving node over 6 s: ${m2.runs.join(", ")}`);
    t.equal(m2.runs.filter((r) => r > 0).length, 1, "exactly one surviving node took maintenance over");
    t.ok(Math.max(...m2.runs) >= 3 && Math.max(...m2.runs) <= 7, `once per interval: ${Math.max(...m2.runs)} runs in 6 s`);
  });
});
