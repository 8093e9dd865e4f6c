// The README's curl walkthrough runs as written against the built server and ends with a
// SUCCEEDED command and its audit trail.
import t from "tap";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { rootPath } from "../src/paths.js";
import { databaseEnv } from "./testDb.js";

/** A data dir beside tap's own fixture dir, which tap does not clean: a previous run's database would
 *  already hold the walkthrough's agents and make its registration fail. */
const freshDir = (dir: string): string => {
  rmSync(dir, { recursive: true, force: true });
  return dir;
};

// three servers and three walkthroughs (the packages one added): a slow shared machine needs more than the default
t.setTimeout(300_000);

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });

t.test("README walkthrough", async (t) => {
  const readme = readFileSync(rootPath("README.md"), "utf8");
  const block = /<!-- walkthrough:start -->\s*```bash\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme)?.[1];
  t.ok(block, "README has the walkthrough block");
  const port = await freePort();
  const dataDir = t.testdir();
  const password = "readme-owner-password";
  const dbEnv = await databaseEnv(t);
  const server = spawn(process.execPath, [rootPath("dist/capstan.js"), "serve"], {
    env: { ...process.env, ...dbEnv, CAPSTAN_PORT: String(port), CAPSTAN_DATA_DIR: dataDir, CAPSTAN_ADMIN_PASSWORD: password, CAPSTAN_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => { server.kill("SIGTERM"); });
  await new Promise<void>((resolve, reject) => {
    server.stdout.on("data", (d: Buffer) => { if (d.toString().includes("listening on")) resolve(); });
    server.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  const run = spawnSync("bash", ["-e", "-o", "pipefail", "-c", block!], {
    env: { ...process.env, CAPSTAN: `http://127.0.0.1:${port}`, CAPSTAN_ADMIN_PASSWORD: password },
    encoding: "utf8",
    timeout: 60_000,
  });
  t.equal(run.status, 0, `walkthrough exits 0 (stderr: ${run.stderr})`);
  const out = run.stdout.trim().split("\n");
  t.equal(out[0], '{"message":"hello"}', "the agent received the payload");
  t.equal(out[1], "SUCCEEDED");
  t.match(out.slice(2).join("\n"), /USER command\.created SUCCESS\n.*AGENT command\.dispatched SUCCESS\n.*AGENT command\.completed SUCCESS/);

  // The message-routing walkthrough continues in the same shell session (it reuses $AUTH and json):
  // run both blocks together against a server with message routing on.
  const messages = /<!-- messages-walkthrough:start -->\s*```bash\n([\s\S]*?)```\s*<!-- messages-walkthrough:end -->/.exec(readme)?.[1];
  t.ok(messages, "README has the message-routing walkthrough");
  const port2 = await freePort();
  const server2 = spawn(process.execPath, [rootPath("dist/capstan.js"), "serve"], {
    env: { ...process.env, ...(await databaseEnv(t)), CAPSTAN_PORT: String(port2), CAPSTAN_DATA_DIR: freshDir(t.testdir() + "-messages"), CAPSTAN_ADMIN_PASSWORD: password,
      CAPSTAN_LOG_LEVEL: "warn", CAPSTAN_MESSAGES_ENABLED: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => { server2.kill("SIGTERM"); });
  await new Promise<void>((resolve, reject) => {
    server2.stdout.on("data", (d: Buffer) => { if (d.toString().includes("listening on")) resolve(); });
    server2.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  const run2 = spawnSync("bash", ["-e", "-o", "pipefail", "-c", `${block!}\n${messages!}`], {
    env: { ...process.env, CAPSTAN: `http://127.0.0.1:${port2}`, CAPSTAN_ADMIN_PASSWORD: password },
    encoding: "utf8",
    timeout: 90_000,
  });
  t.equal(run2.status, 0, `message walkthrough exits 0 (stderr: ${run2.stderr})`);
  const out2 = run2.stdout.trim().split("\n").slice(-2);
  t.same(out2, ["status questions", "All systems go."], "the route preview and the reply, as the README says");

  // The packages walkthrough continues the first one too (it reuses $AUTH, the admin's token, and json).
  const packages = /<!-- packages-walkthrough:start -->\s*```bash\n([\s\S]*?)```\s*<!-- packages-walkthrough:end -->/.exec(readme)?.[1];
  t.ok(packages, "README has the packages walkthrough");
  const port3 = await freePort();
  const server3 = spawn(process.execPath, [rootPath("dist/capstan.js"), "serve"], {
    env: { ...process.env, ...(await databaseEnv(t)), CAPSTAN_PORT: String(port3), CAPSTAN_DATA_DIR: freshDir(t.testdir() + "-packages"), CAPSTAN_ADMIN_PASSWORD: password,
      CAPSTAN_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => { server3.kill("SIGTERM"); });
  await new Promise<void>((resolve, reject) => {
    server3.stdout.on("data", (d: Buffer) => { if (d.toString().includes("listening on")) resolve(); });
    server3.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  const run3 = spawnSync("bash", ["-e", "-o", "pipefail", "-c", `${block!}\n${packages!}`], {
    env: { ...process.env, CAPSTAN: `http://127.0.0.1:${port3}`, CAPSTAN_ADMIN_PASSWORD: password },
    encoding: "utf8",
    timeout: 90_000,
  });
  t.equal(run3.status, 0, `packages walkthrough exits 0 (stderr: ${run3.stderr})`);
  t.same(run3.stdout.trim().split("\n").slice(-3), ["APPROVED", "acme/invoice-ocr@1.4.2 verified", "304"],
    "approved by an owner, verified with the published key, and 304 on an unchanged index");
});
