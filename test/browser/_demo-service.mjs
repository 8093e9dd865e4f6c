// The demo Capsule Service as its own process for the browser tests. The SDK reads CAPSTAN_URL,
// CAPSTAN_REGISTRATION_TOKEN and CAPSTAN_AGENT_TOKEN_FILE, as for any service. Unlike `npm run demo`
// there is no simulated queue, whose random surges would flip health and make the tests flaky.
// DEMO_VARIANT=hostile reports markup and script in every field a service controls.
import { createDemoService } from "../../demo/service.mjs";

const HOSTILE = `<script>alert("xss")</script><img src=x onerror=alert("img")>"'><svg onload=alert("svg")>`;
const variant = process.env.DEMO_VARIANT ?? "demo";
const log = (level) => (m, f) => process.stderr.write(`[demo ${level}] ${m}${f ? " " + JSON.stringify(f) : ""}\n`);
const logger = { debug: process.env.DEMO_DEBUG ? log("debug") : () => {}, info: log("info"), warn: log("warn"), error: log("error") };

const overrides = variant === "hostile"
  ? {
      agent: { code: "hostile-demo", name: `Agent ${HOSTILE}` },
      service: {
        code: "hostile-demo", name: `Hostile ${HOSTILE}`, version: "6.6.6", description: HOSTILE,
        capabilities: [HOSTILE], labels: { tier: HOSTILE },
      },
    }
  : {};
const demo = createDemoService({ logger, ...overrides });

if (variant === "hostile") {
  demo.agent.health(() => ({ status: "DEGRADED", message: HOSTILE, details: { note: HOSTILE, link: "javascript:alert(1)" } }));
  demo.agent.configs(() => [
    { key: "HOSTILE_VALUE", label: HOSTILE, type: "string", source: HOSTILE, valuePreview: HOSTILE, defaultValue: HOSTILE },
    { key: "HOSTILE_SECRET", label: HOSTILE, type: "secretRef", sensitive: true, secretRef: HOSTILE },
  ]);
  demo.agent.action({
    name: "shout", label: `Shout ${HOSTILE}`, description: HOSTILE, dangerLevel: "LOW",
    inputSchema: { type: "object", properties: { text: { type: "string", title: HOSTILE, description: HOSTILE, default: HOSTILE } } },
    prepare: () => ({ initialPayload: { text: HOSTILE }, currentState: { banner: HOSTILE } }),
    handler: (payload, ctx) => {
      ctx.log("warn", HOSTILE);
      ctx.progress(0.5, HOSTILE);
      return {
        success: true, message: `${payload.text}`,
        data: {
          columns: [{ key: "id", label: HOSTILE }, { key: "name", label: "Name" }],
          list: [{ id: HOSTILE, name: `<a href="javascript:alert(1)">click</a>` }],
          rowActions: [{ action: "shout", label: HOSTILE, params: { text: "id" } }],
        },
      };
    },
  });
}

// Lets the test see that a cancel in the console really stopped the handler.
demo.events.on("reindex:stopped", (e) => process.stdout.write(`REINDEX_STOPPED ${e.reason} ${e.step}\n`));

await demo.agent.start();
// The test waits for this line: registered, reported and polling.
process.stdout.write(`READY ${demo.agent.agentId ?? ""} ${demo.agent.serviceId ?? ""}\n`);

// The SDK's timers are unref'd so it never holds its host open; this process has nothing else to
// do, so it keeps itself alive until it is told to stop (npm run demo's queue timer does the same).
const alive = setInterval(() => undefined, 60_000);
const stop = async () => {
  clearInterval(alive);
  await demo.agent.stop().catch(() => undefined);
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
