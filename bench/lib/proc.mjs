// Resource use of another process read from /proc (Linux): resident memory and CPU time. Elsewhere
// the figures are null and printed as n/a rather than guessed.
import { readFileSync } from "node:fs";

// USER_HZ is 100 on every mainstream Linux build; /proc/<pid>/stat counts CPU time in these ticks.
const TICKS_PER_SECOND = 100;

/** { rssBytes, cpuMs } of a live process, or nulls when /proc is unavailable. */
export function procStats(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { rssBytes: rssKb * 1024, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    return { rssBytes: null, cpuMs: null };
  }
}

/** Samples a process every `everyMs` until stopped: peak RSS, last RSS and CPU used in the window. */
export function watchProcess(pid, everyMs = 500) {
  const first = procStats(pid);
  const t0 = performance.now();
  let peak = first.rssBytes;
  let last = first;
  const timer = setInterval(() => {
    last = procStats(pid);
    if (last.rssBytes !== null && (peak === null || last.rssBytes > peak)) peak = last.rssBytes;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      last = procStats(pid);
      const wallMs = performance.now() - t0;
      const cpuMs = first.cpuMs === null || last.cpuMs === null ? null : last.cpuMs - first.cpuMs;
      return { peakRssBytes: peak, rssBytes: last.rssBytes, cpuMs, wallMs, cpuPercent: cpuMs === null ? null : (cpuMs / wallMs) * 100 };
    },
  };
}
