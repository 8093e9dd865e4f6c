// The listening socket's accept queue is sized for a fleet reconnecting at once (src/server.ts
// LISTEN_BACKLOG): with Node's default of 511, a thousand agents moving to this node after another
// one died overflowed it and waited out SYN retransmits of 1, 3, 7 s. `ss` shows a listening
// socket's backlog as its Send-Q.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import t from "tap";
import { startTestServer } from "../helpers.js";

const ss = (() => {
  try {
    execFileSync("ss", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

t.test("the server listens with a backlog of 4096 (or the kernel's cap)", { skip: !ss && "needs ss (iproute2) to read a socket's backlog" }, async (t) => {
  const s = await startTestServer(t);
  const port = new URL(s.url).port;
  const line = execFileSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8" }).trim();
  const backlog = Number(line.split(/\s+/)[2]);
  const cap = Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8")); // ss means Linux
  t.equal(backlog, Math.min(4096, cap), `backlog of the listening socket (ss: ${line})`);
});
