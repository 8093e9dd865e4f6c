// Database facts that diagnostics report.
import type { Db } from "./open.js";

export interface DbFacts {
  pageCount: number;
  pageSize: number;
  freelistCount: number;
  journalMode: string;
  userVersion: number;
}

/** Page counts and modes; pragmas are read, never changed. */
export function dbFacts(db: Db): DbFacts {
  return {
    pageCount: db.pragma("page_count", { simple: true }) as number,
    pageSize: db.pragma("page_size", { simple: true }) as number,
    freelistCount: db.pragma("freelist_count", { simple: true }) as number,
    journalMode: db.pragma("journal_mode", { simple: true }) as string,
    userVersion: db.pragma("user_version", { simple: true }) as number,
  };
}

/** `PRAGMA integrity_check`: ["ok"] for a sound database, else the problems found (first 20). */
export const integrityCheck = (db: Db): string[] =>
  (db.pragma("integrity_check(20)") as { integrity_check: string }[]).map((r) => r.integrity_check);
