// Runs simulated agents in several child processes (bench/fleet-worker.mjs), so neither the client's
// event loop nor one process's open-file limit becomes the bottleneck being measured.
import { fork } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./server.mjs";

/** Sums counts by kind ({"poll TIMEOUT": 3}) across workers. */
function mergeKinds(list) {
  const all = {};
  for (const kinds of list) for (const [k, v] of Object.entries(kinds ?? {})) all[k] = (all[k] ?? 0) + v;
  return all;
}

function ask(child, type, answer) {
  return new Promise((resolve, reject) => {
    const onMsg = (m) => {
      if (m.type !== answer) return;
      child.off("message", onMsg);
      resolve(m);
    };
    child.on("message", onMsg);
    child.once("exit", (code) => reject(new Error(`fleet worker exited with code ${code}`)));
    child.send({ type });
  });
}

/**
 * Starts `processes` workers sharing `creds`; opts as in fleet-worker.mjs. `url` is one base URL or
 * a list of nodes (agents alternate between them). Returns record() to open a measurement window,
 * report() to merge the workers' samples, stop().
 */
export async function startFleet(url, creds, { processes = 4, ...opts }) {
  const urls = Array.isArray(url) ? url : [url];
  const per = Math.ceil(creds.length / processes);
  const workers = [];
  for (let p = 0; p < processes && p * per < creds.length; p++) {
    const child = fork(join(ROOT, "bench/fleet-worker.mjs"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const started = new Promise((resolve) => child.once("message", resolve));
    child.send({ type: "start", urls, creds: creds.slice(p * per, (p + 1) * per), ...opts });
    await started;
    workers.push(child);
  }
  return {
    record: () => workers.forEach((w) => w.send({ type: "record" })),
    async report() {
      const parts = await Promise.all(workers.map((w) => ask(w, "report", "report")));
      return {
        heartbeatMs: parts.flatMap((p) => p.heartbeatMs),
        pollMs: parts.flatMap((p) => p.pollMs),
        heartbeatErrors: parts.reduce((n, p) => n + p.heartbeatErrors, 0),
        heartbeatRetries: parts.reduce((n, p) => n + p.heartbeatRetries, 0),
        polls: parts.reduce((n, p) => n + p.polls, 0),
        pollErrors: parts.reduce((n, p) => n + p.pollErrors, 0),
        openPolls: parts.reduce((n, p) => n + p.openPolls, 0),
        // the worst worker's event-loop delay and the workers' CPU together: is the load generator the limit?
        clientLoopDelayP99Ms: Math.max(...parts.map((p) => p.loopDelayP99Ms)),
        clientLoopDelayMaxMs: Math.max(...parts.map((p) => p.loopDelayMaxMs)),
        clientCpuMs: parts.reduce((n, p) => n + p.cpuMs, 0),
        errorKinds: mergeKinds(parts.map((p) => p.errorKinds)),
        // failures of requests sent before the window opened (fleet-worker.mjs): the arrival's, not the window's
        before: { errors: parts.reduce((n, p) => n + p.before.errors, 0), errorKinds: mergeKinds(parts.map((p) => p.before.errorKinds)) },
      };
    },
    async stop() {
      await Promise.all(workers.map((w) => new Promise((resolve) => {
        if (w.exitCode !== null) return resolve();
        w.once("exit", resolve);
        w.send({ type: "stop" });
      })));
    },
  };
}
