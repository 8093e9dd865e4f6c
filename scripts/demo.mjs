// `npm run demo`: a Capstan server on a temporary data dir, a registration token, the demo Capsule
// Service registered against it, and the console URL + login printed. Ctrl-C stops everything and
// removes the data dir. The server is the built CLI (dist/capstan.js), the service uses the built SDK.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { runDemoService } = await import(join(root, "demo/main.mjs"));

const dataDir = await mkdtemp(join(tmpdir(), "capstan-demo-"));
const port = await freePort(Number(process.env.DEMO_PORT ?? 8080));
const url = `http://127.0.0.1:${port}`;
const username = "admin";
const password = randomBytes(12).toString("base64url");

const server = spawn(process.execPath, [join(root, "dist/capstan.js"), "serve"], {
  stdio: ["ignore", "ignore", "inherit"],
  env: {
    ...process.env,
    CAPSTAN_HOST: "127.0.0.1", CAPSTAN_PORT: String(port), CAPSTAN_DATA_DIR: dataDir,
    CAPSTAN_ADMIN_USERNAME: username, CAPSTAN_ADMIN_PASSWORD: password,
    CAPSTAN_BUS_ENABLED: "true", CAPSTAN_LOG_LEVEL: process.env.CAPSTAN_LOG_LEVEL ?? "warn",
  },
});
server.once("exit", (code) => {
  if (!stopping) {
    console.error(`capstan server exited (${code}); stopping the demo`);
    void cleanup(1);
  }
});

let stopping = false;
let demo;
async function cleanup(code = 0) {
  stopping = true;
  await demo?.stop().catch(() => undefined);
  if (server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
  await rm(dataDir, { recursive: true, force: true });
  process.exit(code);
}
process.once("SIGINT", () => void cleanup(0));
process.once("SIGTERM", () => void cleanup(0));

try {
  await waitReady(url);
  const admin = await login(url, username, password);
  const regToken = await admin("POST", "/api/admin/registration-tokens", { name: "demo service", agentCode: "demo-capsule-service" });
  const apiToken = await admin("POST", "/api/admin/api-tokens", { name: "demo curl" }).catch(() => null);
  demo = await runDemoService({ backendUrl: url, registrationToken: regToken.rawToken, tokenFile: join(dataDir, "demo-agent-token.json") });

  // One echo through the admin API, so the whole loop is shown working before anyone clicks.
  const serviceId = demo.agent.serviceId;
  const started = Date.now();
  const cmd = await admin("POST", `/api/admin/capsule-services/${serviceId}/actions/echo`, { payload: { message: "hello from npm run demo" } });
  let detail = cmd;
  while (!["SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED"].includes(detail.status) && Date.now() - started < 10_000) {
    await new Promise((r) => setTimeout(r, 50));
    detail = await admin("GET", `/api/admin/commands/${cmd.id}`);
  }

  const line = "-".repeat(72);
  console.log(`\n${line}\n Capstan demo is running\n${line}`);
  console.log(` console:   ${url}/`);
  console.log(` login:     ${username} / ${password}`);
  console.log(` service:   demo-capsule-service (${serviceId}), agent ${demo.agent.agentId}`);
  console.log(` echo test: ${detail.status} in ${Date.now() - started} ms (command ${cmd.id})`);
  if (apiToken) {
    console.log(`\n run an action from a shell:`);
    console.log(`   curl -s -X POST -H 'Authorization: Bearer ${apiToken.rawToken}' -H 'content-type: application/json' \\`);
    console.log(`     -d '{"payload":{"message":"hi"}}' ${url}/api/admin/capsule-services/${serviceId}/actions/echo`);
  }
  console.log(`\n data dir:  ${dataDir} (removed on exit)\n Ctrl-C to stop.\n${line}\n`);
} catch (err) {
  console.error(`demo failed to start: ${err instanceof Error ? err.message : String(err)}`);
  await cleanup(1);
}

async function waitReady(base) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${base} did not become ready`);
}

async function login(base, user, pass) {
  const res = await fetch(`${base}/api/admin/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: user, password: pass }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  const { data } = await res.json();
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  return async (method, path, body) => {
    const r = await fetch(base + path, {
      method, headers: { cookie, "x-csrf-token": data.csrfToken, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${json?.error?.code ?? ""} ${json?.error?.message ?? ""}`);
    return json.data;
  };
}

/** The preferred port if it is free, else any free port. */
function freePort(preferred) {
  const tryPort = (p) => new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(null));
    s.listen(p, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
  return tryPort(preferred).then((p) => p ?? tryPort(0).then((q) => q));
}
