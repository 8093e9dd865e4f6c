// `npm run demo`: a Capstan server on a temporary data dir, a registration token, the demo Capsule
// Service registered against it, and the console URL + login printed. Ctrl-C stops everything and
// removes the data dir. The server is the built CLI (dist/capstan.js), the service uses the built SDK.
// `npm run demo -- --python` also starts the Python demo service (demo/python/service.py, Python SDK).
import { join } from "node:path";
import { launchServer } from "../demo/launch.mjs";
import { runDemoService } from "../demo/main.mjs";
import { startPythonDemo } from "../demo/python/launch.mjs";

const withPython = process.argv.includes("--python");

const server = await launchServer({ preferredPort: Number(process.env.DEMO_PORT ?? 8080), env: { CAPSTAN_BUS_ENABLED: "true" } });
let demo;
let pyDemo;
let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  await demo?.stop().catch(() => undefined);
  await pyDemo?.stop().catch(() => undefined);
  await server.stop();
  process.exit(code);
}
process.once("SIGINT", () => void shutdown(0));
process.once("SIGTERM", () => void shutdown(0));
server.child.once("exit", (code) => {
  if (!stopping) {
    console.error(`capstan server exited (${code}); stopping the demo`);
    void shutdown(1);
  }
});

try {
  const { admin, url } = server;
  const regToken = await admin("POST", "/api/admin/registration-tokens", { name: "demo service", agentCode: "demo-capsule-service" });
  const apiToken = await admin("POST", "/api/admin/api-tokens", { name: "demo curl" }).catch(() => null);
  demo = await runDemoService({ backendUrl: url, registrationToken: regToken.rawToken, tokenFile: join(server.dataDir, "demo-agent-token.json") });
  const serviceId = demo.agent.serviceId;
  if (!serviceId) throw new Error("the demo service did not register (see the lines above)");
  if (withPython) pyDemo = await startPythonDemo({ url, admin, dataDir: server.dataDir });

  // One echo through the admin API, so the whole loop is shown working before anyone clicks.
  const started = Date.now();
  const cmd = await admin("POST", `/api/admin/capsule-services/${serviceId}/actions/echo`, { payload: { message: "hello from npm run demo" } });
  let detail = cmd;
  while (!["SUCCEEDED", "FAILED", "EXPIRED", "CANCELLED"].includes(detail.status) && Date.now() - started < 10_000) {
    await new Promise((r) => setTimeout(r, 20));
    detail = await admin("GET", `/api/admin/commands/${cmd.id}`);
  }

  const line = "-".repeat(72);
  console.log(`\n${line}\n Capstan demo is running\n${line}`);
  console.log(` console:   ${url}/`);
  console.log(` login:     ${server.username} / ${server.password}`);
  console.log(` service:   demo-capsule-service (${serviceId}), agent ${demo.agent.agentId}`);
  console.log(` echo test: ${detail.status} in ${Date.now() - started} ms (command ${cmd.id})`);
  if (pyDemo) console.log(` python:    demo-python-service (${pyDemo.serviceId}), agent ${pyDemo.agentId}: echo, slowReindex, summarize`);
  if (apiToken) {
    console.log(`\n run an action from a shell:`);
    console.log(`   curl -s -X POST -H 'Authorization: Bearer ${apiToken.rawToken}' -H 'content-type: application/json' \\`);
    console.log(`     -d '{"payload":{"message":"hi"}}' ${url}/api/admin/capsule-services/${serviceId}/actions/echo`);
  }
  console.log(`\n data dir:  ${server.dataDir} (removed on exit)\n Ctrl-C to stop.\n${line}\n`);
} catch (err) {
  console.error(`demo failed to start: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
