// Resource use of another process read from /proc (Linux): resident memory and CPU time. Elsewhere
// the figures are null and printed as n/a rather than guessed.
import { readdirSync, readFileSync } from "node:fs";

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

/** Pids whose parent is `ppid` (a PostgreSQL postmaster's backends), from /proc; [] elsewhere. */
export function childPids(ppid) {
  const out = [];
  let entries = [];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return out;
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Sums procStats over several processes; null when any one cannot be read. */
function sumStats(pids) {
  const all = pids.map(procStats);
  const total = (k) => (all.some((s) => s[k] === null) ? null : all.reduce((n, s) => n + s[k], 0));
  return { rssBytes: total("rssBytes"), cpuMs: total("cpuMs"), byPid: new Map(pids.map((p, i) => [p, all[i]])) };
}

/**
 * Samples a process (or a list of pids, or a function listing them, e.g. a database's backends,
 * re-read at each sample) every `everyMs` until stopped: peak RSS, last RSS and CPU used in the
 * window, summed. A process that exits inside the window loses its CPU from the sum (undercount).
 */
export function watchProcess(pid, everyMs = 500) {
  const list = typeof pid === "function" ? pid : () => [pid].flat();
  if (typeof pid !== "number") return watchMany(list, everyMs);
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

function watchMany(list, everyMs) {
  const first = sumStats(list()).byPid;
  const t0 = performance.now();
  let peak = null;
  const sample = () => {
    const s = sumStats(list());
    if (s.rssBytes !== null && (peak === null || s.rssBytes > peak)) peak = s.rssBytes;
    return s;
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const last = sample();
      const wallMs = performance.now() - t0;
      // CPU in the window: a pid seen at the start counts from there, one started since counts whole.
      let cpuMs = 0;
      for (const [p, s] of last.byPid) {
        if (s.cpuMs === null) { cpuMs = null; break; }
        cpuMs += s.cpuMs - (first.get(p)?.cpuMs ?? 0);
      }
      return { peakRssBytes: peak, rssBytes: last.rssBytes, cpuMs, wallMs, cpuPercent: cpuMs === null ? null : (cpuMs / wallMs) * 100 };
    },
  };
}
