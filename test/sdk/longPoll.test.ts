// The long poll's client-side timeout (sdk/src/commandLoop.ts): the server's wait starts when it reads
// the request, and a poll sent while a node's accept queue is full reaches it seconds late. A poll the
// server answers later than waitSeconds + requestTimeoutMs after it was sent must still be received,
// not abandoned (abandoning it made a whole connecting fleet reconnect at once: docs/benchmarks.md).
// A scripted server plays that late answer; the SDK is the real bundle.
import t from "tap";
import { LONG_POLL_MARGIN_MS, longPollTimeoutMs } from "../../sdk/src/commandLoop.js";
import { loadSdk, waitFor } from "./sdkKit.js";
import { answer, scriptedAgentServer } from "./scriptedServer.js";

t.setTimeout(60_000);

const WAIT_SECONDS = 1;
const REQUEST_TIMEOUT_MS = 500;
/** Later than the old timeout (wait + requestTimeoutMs = 1.5 s), well within the new one (31 s). */
const LATE_MS = 3_000;

t.test("the timeout is the wait plus at least 30 s, whatever requestTimeoutMs is", async (t) => {
  t.equal(LONG_POLL_MARGIN_MS, 30_000);
  t.equal(longPollTimeoutMs(25, 10_000), 55_000, "the defaults: 25 s wait, 30 s margin");
  t.equal(longPollTimeoutMs(25, 60_000), 85_000, "a longer requestTimeoutMs is kept");
  t.equal(longPollTimeoutMs(0, 10_000), 10_000, "no wait (plain polling): requestTimeoutMs alone");
});

t.test("a poll the server answers late is received, not abandoned and sent again", async (t) => {
  const polls: { at: number; abandoned: boolean }[] = [];
  let delivered = false;
  const server = await scriptedAgentServer((r, res) => {
    const poll = { at: r.at, abandoned: false };
    polls.push(poll);
    res.on("close", () => { if (!res.writableEnded) poll.abandoned = true; });
    if (delivered) return void setTimeout(() => answer(res, []), 1_200).unref();
    // the first poll: answered with a command long after the old client timeout
    setTimeout(() => {
      if (poll.abandoned) return;
      delivered = true;
      answer(res, [{ id: "cmd_late", type: "ACTION_EXECUTE", actionName: "work", payload: {}, status: "RUNNING" }]);
    }, LATE_MS).unref();
  });
  t.teardown(() => server.close());

  const { CapsuleAgent, MemoryTokenStore } = await loadSdk();
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  let ran = false;
  const agent = new CapsuleAgent({
    backendUrl: server.url, registrationToken: "reg_tok", tokenStore: new MemoryTokenStore(),
    agent: { code: "late" }, logger: quiet, longPollSeconds: WAIT_SECONDS, requestTimeoutMs: REQUEST_TIMEOUT_MS, backoff: { baseMs: 50, maxMs: 200 },
  });
  agent.action({ name: "work", label: "Work", handler: async () => { ran = true; return { success: true }; } });
  await agent.start();
  t.teardown(() => agent.stop());

  await waitFor(() => ran, 15_000, "the handler to run the late poll's command");
  t.ok(delivered, "the first poll was answered");
  t.equal(polls[0]!.abandoned, false, `the client kept the poll open for ${LATE_MS} ms`);
  t.equal(polls.filter((p) => p.at < polls[0]!.at + LATE_MS).length, 1, "no second poll was sent while the first was held");
});
