// Starts the demo Capsule Service as a child process against a test server, the way an operator
// would: only the server URL and a registration token pasted from the console.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { rootPath } from "../../src/paths.js";

export interface DemoProcess {
  agentId: string;
  serviceId: string;
  /** Everything the service printed, for failure messages. */
  output(): string;
}

const START_TIMEOUT_MS = 20_000;

export async function startDemo(
  t: { testdir(): string; teardown(fn: () => unknown): void },
  opts: { url: string; registrationToken: string; variant?: "demo" | "hostile" },
): Promise<DemoProcess> {
  const child = spawn(process.execPath, [rootPath("test/browser/fixtures/demo-service.mjs")], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      CAPSTAN_URL: opts.url,
      CAPSTAN_REGISTRATION_TOKEN: opts.registrationToken,
      CAPSTAN_AGENT_TOKEN_FILE: join(t.testdir(), `${opts.variant ?? "demo"}-agent-token.json`),
      DEMO_VARIANT: opts.variant ?? "demo",
      DEMO_DEBUG: process.env.DEMO_DEBUG ?? "", // debug logging of the SDK, when chasing a failure
    },
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", (code, signal) => {
    out += `[demo service exited: ${code ?? signal}]\n`;
    resolve();
  }));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 8_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const m = /^READY (agt_\w+) (svc_\w+)$/m.exec(out);
    if (m) return { agentId: m[1]!, serviceId: m[2]!, output: () => out };
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the demo service did not start (exit ${child.exitCode}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
