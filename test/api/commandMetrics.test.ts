// Execution trace (issue #20): `metrics` on a result is validated (bounded, 422 envelope on a bad
// shape, the command stays RUNNING), stored (migration 008), returned by the admin API command
// detail and rendered on the console command page (server-side: works without JavaScript). Results
// without metrics (older SDKs, upstream agents) are unchanged.
import t from "tap";
import { kit } from "../commandKit.js";

const METRICS = { attempts: 2, durationMs: 1534.25, cpuUserMs: 812.5, cpuSystemMs: 40.1, peakHeapMb: 48.3 };

t.test("metrics are stored, shown in the admin API and on the command page; unknown keys dropped", async (t) => {
  const k = await kit(t);
  const id = await k.running("rotateKey");
  const r = await k.result(id, { success: true, message: "ok", metrics: { ...METRICS, somethingNew: 1 } });
  t.equal(r.status, 200, r.text);
  const detail = await k.operator.get(`/api/admin/commands/${id}`);
  t.same(detail.body.data.result.metrics, METRICS, "exactly the known keys, as sent");
  const page = await k.operator.get(`/commands/${id}`);
  t.equal(page.status, 200);
  t.match(page.text, /id="result-metrics"/);
  t.match(page.text, /<dt>Attempts<\/dt><dd>2<\/dd>/);
  t.match(page.text, /1\.53 s/, "run time");
  t.match(page.text, /812\.5 ms user, 40\.1 ms system/, "CPU");
  t.match(page.text, /48\.3 MB/, "peak heap");
  t.notMatch(page.text, /somethingNew/);
  // an identical repeat (the SDK retrying a lost acknowledgement) is still idempotent
  t.equal((await k.result(id, { success: true, message: "ok", metrics: METRICS })).status, 200);
});

t.test("attempts 0 is accepted: the SDK reports it for an action it does not have (ACTION_NOT_FOUND)", async (t) => {
  const k = await kit(t);
  const id = await k.running("rotateKey");
  const zero = { attempts: 0, durationMs: 0.2, cpuUserMs: 0.1, cpuSystemMs: 0 };
  const r = await k.result(id, { success: false, error: { code: "ACTION_NOT_FOUND", message: "no such action" }, metrics: zero });
  t.equal(r.status, 200, r.text);
  t.same((await k.operator.get(`/api/admin/commands/${id}`)).body.data.result.metrics, zero);
});

t.test("a result without metrics works as before and shows no trace", async (t) => {
  const k = await kit(t);
  const id = await k.running("rotateKey");
  t.equal((await k.result(id, { success: false, error: { code: "BOOM", message: "no" } })).status, 200);
  const detail = await k.operator.get(`/api/admin/commands/${id}`);
  t.equal(detail.body.data.status, "FAILED");
  t.notOk("metrics" in detail.body.data.result, "no metrics key");
  const page = await k.operator.get(`/commands/${id}`);
  t.notMatch(page.text, /result-metrics/);
});

t.test("bad metrics are a 422 envelope and the command keeps running", async (t) => {
  const k = await kit(t);
  const id = await k.running("rotateKey");
  const bad: unknown[] = [
    "fast", [], null, {},
    { ...METRICS, attempts: -1 }, { ...METRICS, attempts: 101 }, { ...METRICS, attempts: 1.5 },
    { ...METRICS, durationMs: -1 }, { ...METRICS, durationMs: 1e10 }, { ...METRICS, cpuUserMs: "12" },
    { ...METRICS, cpuSystemMs: { $gt: 0 } }, { ...METRICS, peakHeapMb: 1e7 }, { attempts: 1 },
  ];
  for (const metrics of bad) {
    const r = await k.result(id, { success: true, metrics });
    t.equal(r.status, 422, `metrics ${JSON.stringify(metrics)}: ${r.text}`);
    t.equal(r.body.success, false);
    t.equal(r.body.error.code, "VALIDATION_FAILED");
  }
  const detail = await k.operator.get(`/api/admin/commands/${id}`);
  t.equal(detail.body.data.status, "RUNNING", "nothing applied");
  t.equal((await k.result(id, { success: true, metrics: { ...METRICS, peakHeapMb: undefined } })).status, 200, "peakHeapMb is optional");
  t.same((await k.operator.get(`/api/admin/commands/${id}`)).body.data.result.metrics, { attempts: 2, durationMs: 1534.25, cpuUserMs: 812.5, cpuSystemMs: 40.1 });
});
