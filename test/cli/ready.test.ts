// Ready means ready: `capstan serve` on an empty database answers /readyz 200 only once the first
// owner can log in. The probe starts before the process does and logs in at the first 200, which is
// what an orchestrator (or a provisioning script) does.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import t from "tap";
import { CAPSTAN_BIN } from "./_run.js";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

t.test("the owner from config can log in at the first moment /readyz answers 200", async (t) => {
  const port = await freePort();
  const proc = spawn(process.execPath, [CAPSTAN_BIN, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", t.testdir()], {
    env: { PATH: process.env.PATH ?? "", CAPSTAN_LOG_LEVEL: "warn", CAPSTAN_ADMIN_USERNAME: "first-owner", CAPSTAN_ADMIN_PASSWORD: "first-owner-password-1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => proc.on("exit", resolve));
  t.teardown(async () => {
    if (proc.exitCode === null) proc.kill("SIGTERM");
    await exited;
  });

  const base = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let i = 0; i < 4000 && !ready; i++) {
    try {
      ready = (await fetch(`${base}/readyz`)).status === 200;
    } catch {
      // connection refused: not listening yet
    }
    if (!ready) await new Promise((r) => setTimeout(r, 2));
  }
  t.ok(ready, `readyz answered 200 (${out})`);
  const login = await fetch(`${base}/api/admin/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "first-owner", password: "first-owner-password-1" }),
  });
  const body = (await login.json()) as { success: boolean; error?: { code: string }; data?: { user: { role: string } } };
  t.equal(login.status, 200, `login at the first ready moment: ${JSON.stringify(body)}`);
  t.equal(body.data?.user.role, "owner");
  const health = await fetch(`${base}/api/system/health`);
  t.equal(health.status, 200);
});
