// The built package: only node: built-ins imported, under the size budget, ESM and CJS both
// loadable with the same exports, declarations present, and unit checks of pure helpers.
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import t from "tap";
import { rootPath } from "../../src/paths.js";
import { loadSdk } from "./sdkKit.js";

const BUDGET = 30 * 1024;

/** The opt-in Worker pool of isolated actions: a sibling module the bundle imports on first use only. */
const ISOLATE_BUDGET = 4 * 1024;

t.test("the bundle imports only node: built-ins and stays under 30 KB", async (t) => {
  await loadSdk();
  for (const [file, ext] of [["sdk/dist/index.mjs", "mjs"], ["sdk/dist/index.cjs", "cjs"]] as const) {
    const code = readFileSync(rootPath(file), "utf8");
    t.ok(statSync(rootPath(file)).size < BUDGET, `${file} is ${statSync(rootPath(file)).size} bytes`);
    const specifiers = [...code.matchAll(/(?:from\s*|import\(|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]);
    t.ok(specifiers.length > 0, `${file} has imports to check`);
    // besides node: built-ins, only its own lazily loaded modules (isolation, capsule.json), and only as dynamic import()s
    t.same(specifiers.filter((s) => !s!.startsWith("node:")).sort(), [`./isolate.${ext}`, `./package.${ext}`], `${file}: only node: built-ins, ./isolate.${ext} and ./package.${ext}`);
    for (const lazy of ["isolate", "package"]) {
      t.match(code, `import("./${lazy}.${ext}")`, `the ${lazy} module is loaded on demand, not at startup`);
      const sibling = `sdk/dist/${lazy}.${ext}`;
      t.ok(statSync(rootPath(sibling)).size < ISOLATE_BUDGET, `${sibling} is ${statSync(rootPath(sibling)).size} bytes`);
      const own = [...readFileSync(rootPath(sibling), "utf8").matchAll(/(?:from\s*|import\(|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]);
      t.same(own.filter((s) => !s!.startsWith("node:")), [], `${sibling}: only node: built-ins`);
    }
  }
  const pkg = JSON.parse(readFileSync(rootPath("sdk/package.json"), "utf8"));
  t.equal(pkg.name, "capstan-agent");
  t.notOk(pkg.dependencies, "no runtime dependencies");
  t.same(Object.keys(pkg.exports["."]).sort(), ["import", "require", "types"]);
  t.ok(statSync(rootPath("sdk/dist/index.d.ts")).isFile(), "declarations built");
});

t.test("ESM and CJS builds export the same API", async (t) => {
  const esm = await loadSdk();
  const cjs = createRequire(import.meta.url)(rootPath("sdk/dist/index.cjs"));
  const names = ["AgentAuthError", "CapstanError", "CapsuleAgent", "FileTokenStore", "MemoryTokenStore", "NetworkError", "RegistrationError", "VERSION"];
  t.same(Object.keys(esm).sort(), names);
  t.same(Object.keys(cjs).sort(), names);
  t.equal(esm.VERSION, JSON.parse(readFileSync(rootPath("sdk/package.json"), "utf8")).version);
  const err = new esm.RegistrationError("AGENT_CODE_TAKEN", "taken", "hint", 409);
  t.ok(err instanceof esm.CapstanError);
  t.equal(err.code, "AGENT_CODE_TAKEN");
  t.equal(err.status, 409);
});

t.test("a MemoryTokenStore agent registers afresh; sensitive config values are never sent", async (t) => {
  const { CapsuleAgent, MemoryTokenStore } = await loadSdk();
  const bodies: any[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    bodies.push({ url, body });
    const data = url.endsWith("/register")
      ? { agentId: "agt_1", agentToken: "opstage_agent_fakeTokenValue123456", heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5, services: [{ code: "svc-a", serviceId: "svc_1" }] }
      : url.includes("/commands") ? [] : { heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 5 };
    return new Response(JSON.stringify({ success: true, data }), { status: 200, headers: { "content-type": "application/json" } });
  }) as unknown as typeof fetch;
  const store = new MemoryTokenStore();
  const agent = new CapsuleAgent({
    backendUrl: "http://capstan.invalid", registrationToken: "opstage_reg_fakeRegistration1234", tokenStore: store, fetch: fakeFetch,
    agent: { code: "svc-a" }, logger: { debug() {}, info() {}, warn() {}, error() {} }, longPoll: false,
  });
  agent.health(() => {
    throw new Error("database unreachable");
  });
  agent.configs(() => [{ key: "DB_PASSWORD", type: "secretRef", sensitive: true, valuePreview: "hunter2", defaultValue: "x", secretRef: "env://DB_PASSWORD" }]);
  await agent.start();
  t.teardown(() => agent.stop());
  t.equal(agent.serviceId, "svc_1");
  t.equal((await store.load())?.agentId, "agt_1");
  const reg = bodies.find((b) => b.url.endsWith("/register")).body;
  t.equal(reg.agent.mode, "embedded");
  t.equal(reg.service.manifest.kind, "CapsuleService");
  t.same(reg.service.configs, [{ key: "DB_PASSWORD", type: "secretRef", sensitive: true, secretRef: "env://DB_PASSWORD" }]);
  t.notMatch(JSON.stringify(bodies), /hunter2/);
  t.same(reg.service.health, { status: "DOWN", message: "health check failed: database unreachable" }, "a throwing health check reports DOWN");
});

t.test("a server that answers long polls at once gets interval polling, not a busy loop", async (t) => {
  const { CapsuleAgent, MemoryTokenStore } = await loadSdk();
  const polls: string[] = [];
  const fakeFetch = (async (url: string) => {
    if (url.includes("/commands")) polls.push(url);
    const data = url.endsWith("/register")
      ? { agentId: "agt_2", agentToken: "opstage_agent_anotherFakeToken1234", heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 1, services: [{ code: "old-server", serviceId: "svc_2" }] }
      : url.includes("/commands") ? [] : { heartbeatIntervalSeconds: 30, commandPollIntervalSeconds: 1 };
    return new Response(JSON.stringify({ success: true, data }), { status: 200 });
  }) as unknown as typeof fetch;
  const agent = new CapsuleAgent({
    backendUrl: "http://capstan.invalid", registrationToken: "opstage_reg_fakeRegistration1234", tokenStore: new MemoryTokenStore(),
    fetch: fakeFetch, agent: { code: "old-server" }, logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  await agent.start();
  t.teardown(() => agent.stop());
  await new Promise((r) => setTimeout(r, 1500));
  t.ok(polls.length >= 1 && polls.length <= 3, `${polls.length} polls in 1.5 s with a 1 s interval`);
  t.match(polls[0], /limit=1&waitSeconds=25$/, "asks for a long poll, limit = free slots");
});
