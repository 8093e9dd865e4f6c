// Starts the built Capstan server (dist/capstan.js) on a temporary data dir with a known owner
// login, for `npm run demo` and the SDK benchmarks. Returns an admin client and a stop function.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function launchServer({ preferredPort = 0, env = {}, stdio = "ignore" } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), "capstan-demo-"));
  const port = await freePort(preferredPort);
  const url = `http://127.0.0.1:${port}`;
  const username = "admin";
  const password = randomBytes(12).toString("base64url");
  const child = spawn(process.execPath, [join(root, "dist/capstan.js"), "serve"], {
    stdio: ["ignore", stdio, "inherit"],
    env: {
      ...process.env,
      CAPSTAN_HOST: "127.0.0.1", CAPSTAN_PORT: String(port), CAPSTAN_DATA_DIR: dataDir,
      CAPSTAN_ADMIN_USERNAME: username, CAPSTAN_ADMIN_PASSWORD: password,
      CAPSTAN_LOG_LEVEL: process.env.CAPSTAN_LOG_LEVEL ?? "warn",
      ...env,
    },
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child);
    const admin = await login(url, username, password);
    return { url, port, dataDir, username, password, admin, child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitReady(base, child) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`capstan exited with code ${child.exitCode} (run "npm run build" first?)`);
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${base} did not become ready`);
}

/** An admin JSON client on a cookie session: (method, path, body?) -> data, throws on refusal. */
async function login(base, username, password) {
  const res = await fetch(`${base}/api/admin/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }),
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
  return tryPort(preferred).then((p) => p ?? tryPort(0));
}
