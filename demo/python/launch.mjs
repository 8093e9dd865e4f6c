// `npm run demo -- --python`: starts the Python demo service (demo/python/service.py) beside the Node
// one, with its own registration token, and resolves once it reports that it is running.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export async function startPythonDemo({ url, admin, dataDir, python = process.env.PYTHON ?? "python3", env = {} }) {
  const reg = await admin("POST", "/api/admin/registration-tokens", { name: "python demo service", agentCode: "demo-python-service" });
  const child = spawn(python, [join(here, "service.py")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env, CAPSTAN_URL: url, CAPSTAN_REGISTRATION_TOKEN: reg.rawToken,
      CAPSTAN_AGENT_TOKEN_FILE: join(dataDir, "demo-python-agent-token.json"), PYTHONUNBUFFERED: "1", ...env,
    },
  });
  let out = "";
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the Python demo did not start in 20 s")), 20_000);
    child.once("error", (err) => { clearTimeout(timer); reject(new Error(`cannot start ${python}: ${err.message}`)); });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`the Python demo exited with ${code}`)); });
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      out += chunk.toString();
      const m = /\[demo-python\] (\w+): agent (\S+), service (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ state: m[1], agentId: m[2], serviceId: m[3] });
      }
    });
  });
  child.removeAllListeners("exit");
  return {
    ...line,
    /** Everything the service printed so far. */
    output: () => out,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
      child.once("exit", () => resolve(undefined));
      child.kill("SIGTERM"); // the service stops its agent gracefully
    }),
  };
}
