// Isolated actions (issue #20), a module of its own (dist/isolate.*, loaded by executor.ts on first
// use, so hosts that isolate nothing never load it): the handler runs in a pooled worker_threads Worker with heap limits,
// so a `while(true){}` or a runaway allocation costs one Worker, never the host's event loop. The
// host terminates the Worker on a timeout, after a cancel's grace, or when the agent stops; a Worker
// that crashed, ran out of memory or was terminated is never reused.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { failure } from "./errors.js";
import type { ActionResult, IsolateOptions, LogLevel } from "./types.js";

// The Worker's side, evaluated as a script (a Worker cannot share the host's closures). It imports
// the action's module once, runs one command at a time, bridges progress/log/abort as messages and
// answers with the handler's value (structured clone) or its error, plus the Worker's committed heap.
// A value that cannot be cloned throws in the Worker: it crashes, and the run fails ACTION_FAILED.
const BOOT = `const{parentPort:p,workerData:u}=require("node:worker_threads"),P=x=>p.postMessage(x),m=import(u);let a;m.catch(()=>0);
p.on("message",async d=>{if(d.a)return a?.abort(Object.assign(Error(d.a[1]),{code:d.a[0]}));a=new AbortController;let r;
try{r={v:await(await m).default(d.payload,{...d,signal:a.signal,progress:(x,y)=>P({p:[x,y]}),log:(x,y)=>P({l:[x,""+y]})})}}
catch(e){r={e:[typeof e?.code=="string"?e.code:"ACTION_FAILED",e?.message??""+e]}}
r.h=require("node:v8").getHeapStatistics().total_heap_size;P(r)})`;

export interface Bridge {
  progress(percent: number, message?: string): void;
  log(level: LogLevel, message: string): void;
}
/** What one isolated run ended with, and the Worker's committed heap in bytes when known. */
export type Outcome = [ActionResult, number?];

interface Slot {
  w: Worker;
  runs: number;
  b?: Bridge | undefined;
  end?: ((o: Outcome, reuse?: boolean) => void) | undefined;
}

export class IsolatePool {
  #idle: Slot[] = [];
  readonly #url: string;
  readonly #mb: number;
  #closed = false;

  constructor(readonly opts: IsolateOptions, private readonly name: string, private readonly toResult: (value: unknown) => ActionResult) {
    const m = String(opts.module);
    this.#url = m.startsWith("file:") ? m : pathToFileURL(resolve(m)).href;
    this.#mb = Math.max(8, Math.min(65_536, Math.floor(opts.memoryMb ?? 256)));
  }

  #spawn(): Slot {
    const mb = this.#mb;
    const w = new Worker(BOOT, {
      eval: true, workerData: this.#url,
      resourceLimits: { maxOldGenerationSizeMb: mb, maxYoungGenerationSizeMb: Math.min(32, Math.ceil(mb / 8)) },
    });
    const s: Slot = { w, runs: 0 };
    w.on("message", (m: { p?: [number, string?]; l?: [LogLevel, string]; e?: [string, string]; v?: unknown; h: number }) => {
      if (m.p) s.b?.progress(...m.p);
      else if (m.l) s.b?.log(...m.l);
      else s.end?.([m.e ? failure(...m.e) : this.toResult(m.v), m.h], true);
    });
    w.on("error", (err: Error & { code?: string }) => s.end?.(err.code === "ERR_WORKER_OUT_OF_MEMORY"
      ? [failure("ACTION_OUT_OF_MEMORY", `action "${this.name}" exceeded its ${mb} MB heap limit`), mb * 1048576]
      : [failure("ACTION_FAILED", `isolated handler crashed: ${err.message}`)]));
    w.on("exit", () => {
      this.#idle = this.#idle.filter((x) => x !== s);
      s.end?.([failure("ACTION_FAILED", "isolated handler exited")]);
    });
    w.unref();
    return s;
  }

  /** Starts a Worker now (agent start), so the first run does not pay the cold start. */
  warm(): void {
    if (!this.#idle.length) this.#idle.push(this.#spawn());
  }

  /**
   * Runs one command in a Worker. `signal` aborting forwards the reason to the handler's ctx.signal;
   * `kill()` terminates the Worker unless the run has ended (timeout, cancel grace over, stop).
   */
  run(id: string, payload: unknown, bridge: Bridge, signal: AbortSignal): [Promise<Outcome>, () => void] {
    const s = this.#idle.pop() ?? this.#spawn();
    const onAbort = () => s.w.postMessage({ a: [(signal.reason as Error & { code: string }).code, (signal.reason as Error).message] });
    const done = new Promise<Outcome>((resolveRun) => {
      s.end = (o, reuse) => {
        s.end = s.b = undefined;
        signal.removeEventListener("abort", onAbort);
        s.w.unref();
        if (reuse && ++s.runs < (this.opts.recycleAfter ?? 100) && !this.#closed && this.#idle.length < (this.opts.maxWorkers ?? 1)) this.#idle.push(s);
        else void s.w.terminate();
        resolveRun(o);
      };
    });
    s.b = bridge;
    s.w.ref();
    signal.addEventListener("abort", onAbort, { once: true });
    s.w.postMessage({ commandId: id, actionName: this.name, payload });
    return [done, () => s.end?.([{ success: false }])];
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#idle.splice(0)) void s.w.terminate();
  }
}
