// Runs the demo service as its own process: configuration from the environment (CAPSTAN_URL,
// CAPSTAN_REGISTRATION_TOKEN, CAPSTAN_AGENT_TOKEN_FILE), a simulated queue, graceful stop.
import { createDemoService } from "./service.mjs";

export async function runDemoService(options = {}) {
  const demo = createDemoService({
    logger: {
      debug() {},
      info: (m, f) => console.log(`[demo] ${m}${f ? " " + JSON.stringify(f) : ""}`),
      warn: (m, f) => console.warn(`[demo] ${m}${f ? " " + JSON.stringify(f) : ""}`),
      error: (m, f) => console.error(`[demo] ${m}${f ? " " + JSON.stringify(f) : ""}`),
    },
    ...options,
  });
  // The simulated queue: mostly shallow, now and then too deep, so health flips to DEGRADED.
  const queue = setInterval(() => {
    const surge = Math.random() < 0.05 ? 60 : 0;
    demo.state.queueDepth = Math.max(0, Math.round(demo.state.queueDepth * 0.6 + Math.random() * 8 + surge));
  }, 5_000);
  await demo.agent.start();
  return {
    ...demo,
    async stop() {
      clearInterval(queue);
      await demo.agent.stop();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const demo = await runDemoService();
  const shutdown = async () => {
    await demo.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
