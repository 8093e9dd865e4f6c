// An agent's inputSchema is untrusted: over-limit schemas, regexes RE2 cannot run and remote refs are
// refused when reported (422 naming the action and the limit); catastrophic patterns that are accepted
// run in linear time, so executing them (API, console form, bus) never keeps /healthz waiting 50 ms.
import t, { type Test } from "tap";
import { busKit, TARGET_ACTIONS, type BusKit } from "../bus/_kit.js";
import { loginBrowser } from "../console/_browser.js";
import { reportedService } from "../fixtures.js";

const EVIL = "a".repeat(40) + "!";
/** Needs ~6 s on a backtracking engine (ajv-formats' url regex); linear on RE2. */
const EVIL_URL = "http://" + "::".repeat(20_000) + "\u0000";
const MAX_PROBE_MS = 50;

const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: "string" }]));
const nested = (levels: number): Record<string, unknown> =>
  levels === 0 ? { type: "string" } : { type: "object", properties: { x: nested(levels - 1) } };

/** Accepted when reported, and must stay cheap to run. */
const SAFE_BUT_HOSTILE = [
  { name: "redos", inputSchema: { type: "object", properties: { name: { type: "string", pattern: "^(a+)+$" } } } },
  { name: "redosDefault", inputSchema: { type: "object", properties: { name: { type: "string", pattern: "^(a+)+$", default: EVIL } } } },
  { name: "redosKeys", inputSchema: { type: "object", patternProperties: { "^(a+)+$": { type: "string" } }, additionalProperties: false } },
  { name: "urlFormat", inputSchema: { type: "object", properties: { link: { type: "string", format: "url" } } } },
  {
    name: "refs",
    inputSchema: { $defs: { leaf: { type: "string", pattern: "^(a|a)+$" }, node: { type: "object", properties: { next: { $ref: "#/$defs/leaf" } } } }, $ref: "#/$defs/node" },
  },
  { name: "wide", inputSchema: { type: "object", properties: { a: { type: "array", items: { allOf: Array.from({ length: 200 }, () => ({ type: "string" })) } } } } },
];

/** 2^12 subschemas once the refs are expanded, from a 1 KB schema. */
const refDag = (levels: number) => {
  const $defs: Record<string, unknown> = { l0: { type: "string" } };
  for (let i = 1; i <= levels; i++) $defs[`l${i}`] = { allOf: [{ $ref: `#/$defs/l${i - 1}` }, { $ref: `#/$defs/l${i - 1}` }] };
  return { $defs, $ref: `#/$defs/l${levels}` };
};

/** Refused when reported: [action, schema, text the message must contain]. */
const REFUSED: [string, Record<string, unknown>, string][] = [
  ["tooBig", { type: "object", properties: props(2000) }, "the limit is 16384"],
  ["tooManyProps", { type: "object", properties: props(201) }, "declares 201 properties; the limit is 200"],
  ["tooDeep", nested(10), "deeper than 8 levels"],
  ["tooManySubschemas", { allOf: Array.from({ length: 300 }, () => ({})) }, "301 subschemas; the limit is 256"],
  ["refExpansion", refDag(12), "expands (following $ref) to more than 256 subschemas"],
  ["refCycle", { $defs: { node: { type: "object", properties: { next: { $ref: "#/$defs/node" } } } }, $ref: "#/$defs/node" }, "refers back to itself"],
  ["inPlaceCycle", { anyOf: [{ $ref: "#" }] }, "refers back to itself"],
  ["tooManyPatterns", { type: "object", properties: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, { type: "string", pattern: `^${i}$` }])) }, "33 patterns; the limit is 32"],
  ["uniqueObjects", { type: "array", uniqueItems: true, items: { type: "object" } }, "uniqueItems needs"],
  ["longPattern", { type: "string", pattern: "a".repeat(600) }, "600 characters; the limit is 512"],
  ["backref", { type: "object", properties: { x: { type: "string", pattern: "^(a+)\\1$" } } }, "backreferences and lookaround are not allowed"],
  ["lookahead", { type: "object", patternProperties: { "^(?=a)": {} } }, "backreferences and lookaround are not allowed"],
  ["remoteRef", { type: "object", properties: { x: { $ref: "https://evil.example/schema.json" } } }, "is remote; only local refs"],
  ["danglingRef", { $ref: "#/$defs/nope" }, "does not resolve"],
];

async function report(k: BusKit, actions: object[]) {
  return k.target.agent.post(`/api/agents/${k.target.agentId}/services/report`, { services: [reportedService("mailer", { actions: [...TARGET_ACTIONS, ...actions] })] });
}

interface Probed {
  /** Slowest /healthz answer while the request ran. */
  maxMs: number;
  /** CPU time this process (server and client) spent meanwhile: immune to a busy machine's scheduling. */
  cpuMs: number;
  probes: number;
  result: any;
  attempts: string;
}

/**
 * Runs `work` while probing /healthz back to back. A stall the request causes shows in every
 * attempt, a scheduler hiccup of a busy machine does not: the best of up to 10 attempts counts.
 */
async function slowestProbe(url: string, work: () => Promise<unknown>): Promise<Probed> {
  const seen: string[] = [];
  let best: Omit<Probed, "attempts"> | undefined;
  for (let i = 0; i < 10 && (!best || best.maxMs >= MAX_PROBE_MS || best.cpuMs >= MAX_PROBE_MS); i++) {
    const one = await probeOnce(url, work);
    seen.push(`${Math.round(one.maxMs)}ms/${Math.round(one.cpuMs)}cpu`);
    if (!best || Math.max(one.maxMs, one.cpuMs) < Math.max(best.maxMs, best.cpuMs)) best = one;
  }
  return { ...best!, attempts: seen.join(", ") };
}

async function probeOnce(url: string, work: () => Promise<unknown>): Promise<Omit<Probed, "attempts">> {
  const cpu0 = process.cpuUsage();
  let done = false;
  let maxMs = 0;
  let probes = 0;
  const probing = (async () => {
    while (!done || probes < 3) {
      const t0 = performance.now();
      const res = await fetch(`${url}/healthz`);
      await res.text();
      maxMs = Math.max(maxMs, performance.now() - t0);
      probes++;
    }
  })();
  const result = await work().finally(() => { done = true; });
  await probing;
  const cpu = process.cpuUsage(cpu0);
  return { maxMs, probes, result, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function bounded(t: Test, what: string, p: Probed): void {
  t.ok(p.maxMs < MAX_PROBE_MS, `${what}: slowest of ${p.probes} /healthz probes ${p.maxMs.toFixed(1)} ms < ${MAX_PROBE_MS} (attempts: ${p.attempts})`);
  t.ok(p.cpuMs < MAX_PROBE_MS, `${what}: ${p.cpuMs.toFixed(1)} ms of CPU < ${MAX_PROBE_MS}`);
}

t.test("hostile inputSchemas: refused at report time or run in linear time", async (t) => {
  t.setTimeout(60_000);
  const k = await busKit(t, { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.1" });

  for (const [name, inputSchema, text] of REFUSED) {
    const res = await report(k, [{ name, label: name, inputSchema }]);
    t.equal(res.status, 422, `${name}: refused`);
    t.equal(res.body.error?.code, "VALIDATION_FAILED", `${name}: VALIDATION_FAILED`);
    t.match(res.body.error?.message, `action ${name} of mailer`, `${name}: the message names the action`);
    t.match(JSON.stringify(res.body.error), text, `${name}: the message names the limit (${text})`);
  }
  const stored = await k.s.db.all(`SELECT name FROM action_definitions WHERE name IN (${REFUSED.map(() => "?").join(",")})`, REFUSED.map((r) => r[0]));
  t.same(stored, [], "no refused schema was stored");

  const ok = await report(k, SAFE_BUT_HOSTILE.map((a) => ({ ...a, label: a.name })));
  t.equal(ok.status, 200, `catastrophic patterns RE2 can run are accepted: ${ok.text.slice(0, 200)}`);
  const exec = (name: string, payload: unknown) => k.operator.post(`/api/admin/capsule-services/${k.target.serviceId}/actions/${name}`, { payload });
  t.equal((await exec("echo", { message: "warm-up" })).status, 200, "warm-up (loads ajv and RE2 once)");
  await exec("redos", { name: "aaa" });

  const cases: [string, unknown, number][] = [
    ["redos", { name: EVIL }, 422],
    ["redos", { name: "a".repeat(100_000) + "!" }, 422],
    ["redosDefault", {}, 422],
    ["redosKeys", { [EVIL]: "x" }, 422],
    ["urlFormat", { link: EVIL_URL }, 422],
    ["refs", { next: EVIL }, 422],
    ["wide", { a: Array.from({ length: 20_000 }, () => "x") }, 422],
    ["redos", { name: "aaaa" }, 200],
  ];
  for (const [name, payload, status] of cases) {
    const p = await slowestProbe(k.s.url, () => exec(name, payload));
    t.equal(p.result.status, status, `${name}: ${status} ${status === 422 ? p.result.body.error?.code : ""}`);
    bounded(t, name, p);
  }

  // the same payload through the console's action form
  const b = await loginBrowser(k.s, "operator");
  const form = await slowestProbe(k.s.url, () => b.post(`/services/${k.target.serviceId}/actions/redos`, { "p.name": EVIL }));
  t.equal(form.result.status, 422, "console form: the pattern fails, the form comes back");
  bounded(t, "console form", form);

  // and a bus event whose route targets the action
  const route = await k.createRoute({
    name: "evil", status: "ENABLED", trigger: { eventType: "shop.evil", sourceServiceCode: "shop" },
    action: { targetServiceCode: "mailer", actionName: "redos", payloadTemplate: { name: "{{event.data.name}}" } },
  });
  t.equal(route.status, 200, "route created");
  const bus = await slowestProbe(k.s.url, () => k.publish({ eventType: "shop.evil", data: { name: EVIL } }));
  t.equal(bus.result.status, 200, "the event is recorded");
  t.match(bus.result.body.data.matchedRoutes, [{ outcome: "FAILED", errorCode: "ACTION_PAYLOAD_INVALID" }], "the route failed on the pattern");
  t.same(bus.result.body.data.commandIds, [], "no command was created");
  bounded(t, "bus event", bus);
});

t.test("a schema stored before the limits existed is refused when run, before compiling", async (t) => {
  const k = await busKit(t);
  // what an older version may have stored: straight into the table, past the report-time check
  await k.s.db.run(`UPDATE action_definitions SET input_schema_json = ? WHERE service_id = ? AND name = 'echo'`, [JSON.stringify({ type: "object", properties: { x: { type: "string", pattern: "(a)\\1" } } }), k.target.serviceId]);
  const res = await k.operator.post(`/api/admin/capsule-services/${k.target.serviceId}/actions/echo`, { payload: { x: "aa" } });
  t.equal(res.status, 422);
  t.equal(res.body.error.code, "ACTION_PAYLOAD_INVALID");
  t.match(res.body.error.details.issues[0].message, "backreferences and lookaround are not allowed");
});
