// An isolated handler for test/sdk/isolation.test.ts: runs in a Worker, so it shares nothing with
// the test. payload.mode picks the behaviour; the module-level counter survives between runs of
// one warm Worker (and resets when the pool replaces it).
let runs = 0;

export default async function work(payload, ctx) {
  runs++;
  switch (payload.mode) {
    case "spin": // CPU-bound and deaf to its signal: only terminating the Worker stops it
      for (;;);
    case "hog": { // allocates until the heap limit ends the Worker
      const keep = [];
      for (;;) keep.push(new Array(100_000).fill(keep.length));
    }
    case "polite": // waits for its signal and answers with its own result (cancel grace)
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
      return { success: false, message: "stopped cleanly", error: { code: ctx.signal.reason.code, message: "cleaned up after " + ctx.signal.reason.code } };
    case "throw":
      throw Object.assign(new Error("isolated failure"), { code: "ISO_FAILED" });
    default:
      ctx.progress(0.5, "half way");
      ctx.log("info", `hello from the Worker of ${ctx.actionName}`);
      return { echo: payload.message ?? null, runs, commandId: ctx.commandId };
  }
}
