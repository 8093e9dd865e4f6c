// One closed-loop load phase (bench/load-gen.mjs, one generator process per node) against one node
// or several nodes of one installation, with the servers' CPU read from /proc over the phase.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { watchProcess } from "./proc.mjs";
import { ROOT } from "./server.mjs";

/**
 * nodes: [{ url, pid }]; targets are dealt round-robin to the nodes and `connections` split between
 * them (the agents are split, no load balancer). `extraPids()` lists more processes whose CPU counts
 * as the server's (the database's backends). Returns req/s summed over nodes, p50/p99 (the worst
 * node's when there are several), failures and server CPU per answered request.
 */
export async function loadPhase(nodes, targets, { connections = 32, warmupMs = 2000, durationMs = 10_000, extraPids = () => [] } = {}) {
  const watch = watchProcess(() => [...nodes.map((n) => n.pid), ...extraPids()]);
  const parts = await Promise.all(nodes.map(async (node, i) => {
    const mine = targets.filter((_, j) => j % nodes.length === i);
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "bench/load-gen.mjs"), JSON.stringify({
      url: node.url, targets: mine, connections: Math.max(1, Math.round(connections / nodes.length)), warmupMs, durationMs,
    })], { maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout);
  }));
  const server = watch.stop();
  const statuses = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const requestsPerSecond = parts.reduce((n, p) => n + p.requestsPerSecond, 0);
  return {
    requestsPerSecond, failed: parts.reduce((n, p) => n + p.failed, 0), statuses,
    p50Ms: Math.max(...parts.map((p) => p.p50Ms)), p99Ms: Math.max(...parts.map((p) => p.p99Ms)), server,
    // Server CPU per answered request: less sensitive than req/s to other load on a shared machine.
    cpuUsPerRequest: server.cpuMs === null ? null : (server.cpuMs * 1000) / (requestsPerSecond * (server.wallMs / 1000)),
  };
}
