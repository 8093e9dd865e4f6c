// Where the secret key comes from. CAPSTAN_SECRET_KEY wins. Without it: on PostgreSQL (several nodes,
// one database) startup is refused, because every node must open what any node sealed; on SQLite a
// key file <dataDir>/secret.key is created once (0600) and reused. Startup code, so synchronous.
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ConfigError, type Config } from "../config.js";
import type { Logger } from "../log.js";
import { parseKeyText } from "./keyText.js";
import { SecretBox, SECRET_KEY_BYTES } from "./secretBox.js";

export const KEY_FILE_NAME = "secret.key";

export interface LoadKeyOptions {
  /** True when several nodes share the database (CAPSTAN_DATABASE_URL): a local key file would differ per node. */
  requireExplicitKey: boolean;
}

export const keyFilePath = (dataDir: string): string => join(dataDir, KEY_FILE_NAME);

export function loadSecretKey(config: Pick<Config, "dataDir" | "secretKey">, opts: LoadKeyOptions): Buffer {
  if (config.secretKey) return config.secretKey;
  if (opts.requireExplicitKey) {
    throw new ConfigError(
      "invalid configuration:\n  CAPSTAN_SECRET_KEY: required with CAPSTAN_DATABASE_URL: every node of one installation must share the same key " +
        "(generate one with `openssl rand -hex 32` and give it to all nodes); without it secret payload fields and generated keys cannot be stored",
    );
  }
  return readOrCreateKeyFile(keyFilePath(config.dataDir));
}

/**
 * The box every start (server and CLI) seals and opens with: the key loaded as above, required explicitly
 * when the database is PostgreSQL. Logs only the key id and where the key came from.
 */
export function loadSecretBox(config: Pick<Config, "dataDir" | "secretKey" | "databaseUrl">, log: Logger): SecretBox {
  const box = new SecretBox(loadSecretKey(config, { requireExplicitKey: Boolean(config.databaseUrl) }));
  const source = config.secretKey ? "CAPSTAN_SECRET_KEY" : keyFilePath(config.dataDir);
  log.info(`secret key ${box.keyId} (from ${source})`, { keyId: box.keyId, source });
  return box;
}

/** The key in `path`, created (32 random bytes, hex, mode 0600) when there is none yet. */
export function readOrCreateKeyFile(path: string): Buffer {
  const existing = readKeyFile(path);
  if (existing) return existing;
  mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
  publishKeyFile(path, randomBytes(SECRET_KEY_BYTES));
  // whoever won a concurrent first start, everyone uses the file that is there now
  const key = readKeyFile(path);
  if (!key) throw new ConfigError(`secret key file ${path} disappeared while it was being created`);
  return key;
}

/**
 * Writes `key` to a private temp file and links it into place. link() fails when the name exists, so of
 * two first starts exactly one key is published; rename() would let the second replace a key the
 * first is already sealing with. The file is complete before it has its name, so no reader sees half.
 */
export function publishKeyFile(path: string, key: Buffer): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600); // O_CREAT|O_EXCL; umask can only narrow 0600
  try {
    writeSync(fd, `${key.toString("hex")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    syncDir(join(path, ".."));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** fn's result; a permission error as a ConfigError that says what to do (e.g. a key file or data dir
 * made by a CLI run as root before the server's first start as its own user). */
function accessible<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EACCES") throw err;
    throw new ConfigError(`secret key file ${path} is not readable by this user (uid ${process.getuid?.() ?? "?"}); give it and its directory to the user that runs Capstan (chown) and keep the file's mode 0600`);
  }
}

/** The key in the file, undefined when there is no file; ConfigError when it is unsafe or unusable. */
function readKeyFile(path: string): Buffer | undefined {
  let st;
  try {
    st = accessible(path, () => statSync(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  if (!st.isFile()) throw new ConfigError(`secret key file ${path} is not a regular file`);
  // POSIX permissions only mean something off Windows
  if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
    throw new ConfigError(`secret key file ${path} is readable by group or others (mode ${mode}); run \`chmod 600 ${path}\` and start again`);
  }
  const parsed = parseKeyText(accessible(path, () => readFileSync(path, "utf8")));
  if (!parsed.ok) {
    throw new ConfigError(
      `secret key file ${path} is unusable (${st.size} bytes): it ${parsed.message}. Restore the original file; ` +
        "deleting it makes a new key and every pending secret payload field and generated key unrecoverable",
    );
  }
  return parsed.key;
}

function syncDir(dir: string): void {
  // the new name must survive a crash too; not every platform can fsync a directory
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}
