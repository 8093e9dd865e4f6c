// The Python Agent SDK (sdk-python/) against the real server: its unittest suite runs as a child
// process with the server's URL, an owner API token and the reliability suite's fault proxy (with a
// small control endpoint so the Python outage test can switch modes). Each Python test becomes one
// tap assertion; the dispatch latency the Python suite measured is reported here.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import t from "tap";
import { rootPath } from "../../src/paths.js";
import { startTestServer } from "../helpers.js";
import { startProxy, type Mode } from "../reliability/_proxy.js";

const PYTHON = process.env.CAPSTAN_TEST_PYTHON ?? "python3";
const probe = spawnSync(PYTHON, ["-c", "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 3)"], { encoding: "utf8" });
const missing = probe.error ? `${PYTHON} not found` : probe.status !== 0 ? `${PYTHON} is older than 3.9` : "";

/** `test_x (module.Class.test_x) ... ok` (3.11) or `test_x (module.Class) ... ok` (3.9/3.10). */
const LINE = /^(test_\w+) \(([\w.]+)\)(?:\n.*)?\s\.\.\.\s(ok|FAIL|ERROR|skipped.*|expected failure|unexpected success)$/gm;

function run(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, ["-m", "unittest", "discover", "-s", "tests", "-t", ".", "-v"], {
      cwd: rootPath("sdk-python"), env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONPATH: rootPath("sdk-python"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("close", (code) => resolve({ code, out }));
  });
}

t.test("the Python SDK's unittest suite against the real server", { skip: missing || false }, async (t) => {
  t.setTimeout(240_000);
  const s = await startTestServer(t, { env: { CAPSTAN_BUS_ENABLED: "true", CAPSTAN_MESSAGES_ENABLED: "true" } });
  const owner = await s.loginAs("owner");
  const token = await owner.post("/api/admin/api-tokens", { name: "python sdk tests" });
  t.equal(token.status, 200);
  const proxy = await startProxy(s.url);
  t.teardown(() => proxy.close());
  // The Python outage test switches the proxy: POST /mode/<mode>.
  const control = http.createServer((req, res) => {
    const m = /^\/mode\/(pass|down|error500|slow|cut)$/.exec(req.url ?? "");
    if (req.method === "POST" && m) proxy.set(m[1] as Mode);
    res.writeHead(m ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify({ seen: proxy.seen }));
  });
  await new Promise<void>((r) => control.listen(0, "127.0.0.1", r));
  t.teardown(() => new Promise<void>((r) => control.close(() => r())));
  const report = join(t.testdir(), "report.json");

  const { code, out } = await run({
    CAPSTAN_TEST_URL: s.url, CAPSTAN_TEST_API_TOKEN: token.body.data.rawToken as string, CAPSTAN_TEST_PROXY_URL: proxy.url,
    CAPSTAN_TEST_PROXY_CONTROL: `http://127.0.0.1:${(control.address() as AddressInfo).port}`, CAPSTAN_TEST_REPORT: report,
    CAPSTAN_TEST_DIR: t.testdir(),
  });
  const results = [...out.matchAll(LINE)];
  for (const [, name, where, outcome] of results) {
    if (outcome!.startsWith("skipped")) t.comment(`${where}.${name}: ${outcome}`);
    else t.equal(outcome, "ok", `${where!.replace(/\.test_\w+$/, "")}.${name}`);
  }
  const ran = Number(/^Ran (\d+) tests? in/m.exec(out)?.[1] ?? 0);
  t.ok(ran >= 20, `the Python suite ran (${ran} tests)`);
  t.equal(results.length, ran, "every Python test reported its own line");
  t.equal(code, 0, "python -m unittest exited 0");
  if (code !== 0 || results.length !== ran) t.comment(out);

  const measured = JSON.parse(readFileSync(report, "utf8")) as { dispatchMs: number[] };
  const sorted = [...measured.dispatchMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  t.comment(`python SDK dispatch (execute -> handler start), ${sorted.length} runs: median ${median.toFixed(1)} ms, ` +
    `min ${sorted[0]!.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`);
  t.ok(median < 1000, "long-poll dispatch median under a second");
  const logs = s.logs.join("\n");
  t.notOk(/opstage_agent_[0-9A-Za-z]{8,}/.test(logs), "no agent token in the server's logs");
});

t.test("the Python demo service (npm run demo -- --python): three actions, progress and cancel", { skip: missing || false }, async (t) => {
  t.setTimeout(60_000);
  const s = await startTestServer(t, { env: { CAPSTAN_BUS_ENABLED: "true" } });
  const op = await s.loginAs("operator");
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await op.req(method, path, body);
    if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body.data;
  };
  const { startPythonDemo } = (await import(pathToFileURL(rootPath("demo/python/launch.mjs")).href)) as {
    startPythonDemo(o: object): Promise<{ state: string; serviceId: string; output(): string; stop(): Promise<void> }>;
  };
  const demo = await startPythonDemo({ url: s.url, admin, dataDir: t.testdir(), python: PYTHON, env: { DEMO_REINDEX_STEP_SECONDS: "0.2" } });
  t.teardown(() => demo.stop());
  t.equal(demo.state, "running");
  const actions = ((await admin("GET", `/api/admin/capsule-services/${demo.serviceId}/actions`)) as { name: string }[]).map((a) => a.name).sort();
  t.same(actions, ["echo", "slowReindex", "summarize"]);
  const run = async (action: string, body: object = {}) => (await admin("POST", `/api/admin/capsule-services/${demo.serviceId}/actions/${action}`, body)) as { id: string };
  const terminal = async (id: string) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const c = (await admin("GET", `/api/admin/commands/${id}`)) as { status: string; result?: { data?: Record<string, unknown> } };
      if (["SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"].includes(c.status)) return c;
    }
    throw new Error(`command ${id} did not finish`);
  };
  const echo = await terminal((await run("echo", { payload: { message: "from tap" } })).id);
  t.equal(echo.status, "SUCCEEDED");
  t.equal(echo.result?.data?.runtime, "python");
  const summary = await terminal((await run("summarize")).id);
  t.equal(summary.result?.data?.eventPublished, true, "the async handler published on the bus");
  const long = await run("slowReindex", { payload: { collection: "docs" } });
  for (let p = 0; p < 0.1; await new Promise((r) => setTimeout(r, 50))) {
    p = ((await admin("GET", `/api/admin/commands/${long.id}`)) as { progress?: { percent?: number } }).progress?.percent ?? 0;
  }
  await admin("POST", `/api/admin/commands/${long.id}/cancel`, {});
  t.equal((await terminal(long.id)).status, "CANCELLED");
  const logs = JSON.stringify(await admin("GET", `/api/admin/commands/${long.id}/logs`));
  t.match(logs, /indexed batch 1/, "progress logs reached the command");
  for (const deadline = Date.now() + 5000; !/slowReindex stopped after \d+ batches \(CANCELLED\)/.test(demo.output()) && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 50));
  }
  t.match(demo.output(), /slowReindex stopped after \d+ batches \(CANCELLED\)/, "the cancel reached the handler");
});
