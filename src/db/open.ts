// Opens the configured database engine. Everything above src/db sees only the async `Db` interface.
import type { Db } from "./engine.js";
import { openSqlite } from "./sqlite.js";

export type { Db } from "./engine.js";
export { DatabaseTooNewError, codeSchemaVersion, migrationFiles, sqliteHandle } from "./sqlite.js";

export const openDb = (path: string): Promise<Db> => openSqlite(path);
