// CAPSTAN_SECRET_KEY parsing (src/secrets/keyText.ts via src/config.ts) and the key file
// (src/secrets/secretKey.ts): created once 0600, reused, refused when unsafe or unusable.
import t, { type Test } from "tap";
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ConfigError, loadConfig } from "../../src/config.js";
import { keyIdOf } from "../../src/secrets/secretBox.js";
import { keyFilePath, loadSecretKey, publishKeyFile, readOrCreateKeyFile } from "../../src/secrets/secretKey.js";
import { rootPath } from "../../src/paths.js";

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1));
const tmp = (t: Test): string => {
  const dir = mkdtempSync(join(tmpdir(), "capstan-key-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const configError = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
};

t.test("CAPSTAN_SECRET_KEY: hex or base64 of 32 bytes", async (t) => {
  for (const v of [
    KEY.toString("hex"),
    KEY.toString("hex").toUpperCase(),
    KEY.toString("base64"),
    KEY.toString("base64").replace(/=+$/, ""),
    KEY.toString("base64url"),
    `  ${KEY.toString("hex")}\n`,
  ]) {
    t.same(loadConfig({ CAPSTAN_SECRET_KEY: v }).secretKey, KEY, JSON.stringify(v.slice(0, 6)));
  }
  t.equal(loadConfig({}).secretKey, undefined, "optional");
});

t.test("a bad CAPSTAN_SECRET_KEY is a ConfigError naming the variable, never the value", async (t) => {
  const bad = {
    "63 hex": KEY.toString("hex").slice(0, 63),
    "66 hex": KEY.toString("hex") + "ab",
    "31 bytes base64": KEY.subarray(0, 31).toString("base64"),
    "33 bytes base64": Buffer.concat([KEY, Buffer.from([9])]).toString("base64"),
    "a passphrase": "correct horse battery staple correct horse",
    "non-canonical base64": KEY.toString("base64").replace(/.=$/, (m) => String.fromCharCode(m.charCodeAt(0) + 1) + "="),
  };
  for (const [what, v] of Object.entries(bad)) {
    const err = configError(() => loadConfig({ CAPSTAN_SECRET_KEY: v }));
    t.match(err.message, /CAPSTAN_SECRET_KEY: must be 32 bytes/, what);
    t.notOk(err.message.includes(v.trim()), `${what}: value not echoed`);
    t.notOk(err.message.includes(v.trim().slice(0, 12)), `${what}: no prefix of the value either`);
  }
});

t.test("PostgreSQL (requireExplicitKey) refuses to start without CAPSTAN_SECRET_KEY", async (t) => {
  const dir = tmp(t);
  const err = configError(() => loadSecretKey(loadConfig({ CAPSTAN_DATA_DIR: dir }), { requireExplicitKey: true }));
  t.match(err.message, /CAPSTAN_SECRET_KEY: required with CAPSTAN_DATABASE_URL/);
  t.same(readdirSync(dir), [], "no key file made up for one node");
  const key = loadSecretKey(loadConfig({ CAPSTAN_DATA_DIR: dir, CAPSTAN_SECRET_KEY: KEY.toString("hex") }), { requireExplicitKey: true });
  t.same(key, KEY);
});

t.test("SQLite: the key file is created 0600 at first start and reused", async (t) => {
  const dir = join(tmp(t), "not-yet");
  const config = loadConfig({ CAPSTAN_DATA_DIR: dir });
  const first = loadSecretKey(config, { requireExplicitKey: false });
  t.equal(first.length, 32);
  const path = keyFilePath(dir);
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.equal(readFileSync(path, "utf8"), `${first.toString("hex")}\n`);
  t.same(loadSecretKey(config, { requireExplicitKey: false }), first, "second start: same key");
  t.same(readdirSync(dir), ["secret.key"], "no temp file left");
  const explicit = loadSecretKey(loadConfig({ CAPSTAN_DATA_DIR: dir, CAPSTAN_SECRET_KEY: KEY.toString("base64") }), { requireExplicitKey: false });
  t.same(explicit, KEY, "CAPSTAN_SECRET_KEY wins over the file");
});

t.test("an existing key file readable by group or others is refused", async (t) => {
  for (const mode of [0o644, 0o640, 0o604]) {
    const dir = tmp(t);
    const key = readOrCreateKeyFile(keyFilePath(dir));
    chmodSync(keyFilePath(dir), mode);
    const err = configError(() => loadSecretKey(loadConfig({ CAPSTAN_DATA_DIR: dir }), { requireExplicitKey: false }));
    t.match(err.message, `mode ${mode.toString(8).padStart(4, "0")}`);
    t.match(err.message, "chmod 600");
    t.notOk(err.message.includes(key.toString("hex")), "key not echoed");
    chmodSync(keyFilePath(dir), 0o600);
    t.same(readOrCreateKeyFile(keyFilePath(dir)), key, "fixed permissions: the same key again");
  }
});

t.test("an existing key file with a bad length is refused, not replaced", async (t) => {
  const cases: [string, Buffer][] = [["31 bytes", Buffer.from(KEY.subarray(0, 31).toString("hex"))], ["empty", Buffer.alloc(0)], ["raw bytes", KEY]];
  for (const [what, content] of cases) {
    const dir = tmp(t);
    writeFileSync(keyFilePath(dir), content, { mode: 0o600 });
    const err = configError(() => loadSecretKey(loadConfig({ CAPSTAN_DATA_DIR: dir }), { requireExplicitKey: false }));
    t.match(err.message, /secret key file .*secret\.key is unusable/, what);
    t.match(err.message, /unrecoverable/, `${what}: says what deleting it costs`);
    if (content.length) t.notOk(err.message.includes(content.toString("utf8")), `${what}: content not echoed`);
    t.same(readFileSync(keyFilePath(dir)), content, `${what}: left as it was`);
  }
});

t.test("publishing never replaces a key already there", async (t) => {
  const dir = tmp(t);
  const path = keyFilePath(dir);
  const other = Buffer.alloc(32, 1);
  publishKeyFile(path, KEY); // the first of two racing starts
  publishKeyFile(path, other); // the second one loses at link(), without an error
  t.same(readOrCreateKeyFile(path), KEY);
  t.same(readdirSync(dir), ["secret.key"], "the loser's temp file is gone");
});

t.test("concurrent first start in several processes ends with one key", async (t) => {
  const dir = tmp(t);
  const run = promisify(execFile);
  const startAt = String(Date.now() + 2500);
  const script = rootPath("test/secrets/_loadKey.ts");
  const outs = await Promise.all(
    Array.from({ length: 4 }, () => run(process.execPath, ["--import=tsx", script, dir, startAt], { cwd: rootPath() }).then((r) => r.stdout)),
  );
  const onDisk = keyIdOf(readOrCreateKeyFile(keyFilePath(dir)));
  t.same(outs, [onDisk, onDisk, onDisk, onDisk], "every process uses the key on disk");
  t.same(readdirSync(dir), ["secret.key"]);
});

t.test("a key file this user cannot read is a clear start-up error, not EACCES", async (t) => {
  const dir = tmp(t);
  readOrCreateKeyFile(keyFilePath(dir)); // made by "root" (or this user), mode 0600
  if (process.getuid?.() === 0) {
    // root reads everything: run the built CLI as nobody, as when the server runs as its own user
    chmodSync(dir, 0o755);
    const run = await promisify(execFile)(process.execPath, [rootPath("dist", "capstan.js"), "serve", "--port", "0", "--data-dir", dir], { uid: 65534, gid: 65534, cwd: dir, timeout: 20_000, env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: "" } })
      .then(() => ({ code: 0, stderr: "" }), (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }));
    t.not(run.code, 0, "refused");
    // only Capstan's own line: tap's process-info hook, which follows children, cannot write as nobody
    const line = run.stderr.split("\n")[0]!;
    t.match(line, "is not readable by this user", run.stderr);
    t.notMatch(line, /EACCES/, "no raw error");
  } else {
    chmodSync(keyFilePath(dir), 0o000);
    const err = configError(() => loadSecretKey(loadConfig({ CAPSTAN_DATA_DIR: dir }), { requireExplicitKey: false }));
    t.match(err.message, "is not readable by this user");
  }
});
