// The pg driver, loaded by the first PostgreSQL connection: a SQLite installation never pays for
// loading it (a static import cost every start ~120 ms of CPU and ~7 MB of RSS, measured on the
// shared 2-core machine).
import type Pg from "pg";

let driver: typeof Pg | undefined;

/** Loads pg (once); every PostgreSQL module reaches it through pgDriver() afterwards. */
export async function loadPgDriver(): Promise<typeof Pg> {
  return (driver ??= (await import("pg")).default);
}

/** The loaded driver; only code that runs after openPostgres (which loads it) calls this. */
export function pgDriver(): typeof Pg {
  if (!driver) throw new Error("the pg driver is not loaded (openPostgres loads it)");
  return driver;
}
