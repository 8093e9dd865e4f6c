// The logger: JSON lines with time, level and msg first and the fields after; stderr lines batched per
// event-loop turn and still all written when the process exits at once.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import t from "tap";
import { createLogger } from "../src/log.js";

t.test("a JSON line: time, level, msg, then the fields; pretty keeps key=value", async (t) => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", format: "json", write: (l) => lines.push(l) });
  log.debug("hidden");
  log.info("request", { requestId: "n-1", status: 200, nested: { a: [1] } });
  log.warn("plain");
  t.equal(lines.length, 2, "below the level is dropped");
  const first = JSON.parse(lines[0]!);
  t.same(Object.keys(first), ["time", "level", "msg", "requestId", "status", "nested"]);
  t.match(first, { level: "info", msg: "request", requestId: "n-1", status: 200, nested: { a: [1] } });
  t.ok(!Number.isNaN(Date.parse(first.time)));
  t.same(Object.keys(JSON.parse(lines[1]!)), ["time", "level", "msg"]);
  const pretty: string[] = [];
  createLogger({ level: "info", format: "pretty", write: (l) => pretty.push(l) }).info("hi", { a: "b", n: 1 });
  t.match(pretty[0], /INFO  hi a=b n=1$/);
});

t.test("stderr lines written in one batch per turn are all there when the process exits in the same turn", async (t) => {
  const logModule = join(import.meta.dirname, "../src/log.ts");
  const code = `import { createLogger } from ${JSON.stringify(logModule)};
const log = createLogger({ level: "info", format: "json" });
for (let i = 0; i < 500; i++) log.info("line", { i });
process.exit(3);`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8", cwd: join(import.meta.dirname, "..") });
  t.equal(r.status, 3);
  const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l));
  t.equal(lines.length, 500, "none lost to the exit");
  t.same(lines.map((l) => l.i), Array.from({ length: 500 }, (_, i) => i), "in order");
});
