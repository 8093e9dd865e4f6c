// Password hashing with argon2id (OWASP parameters); verification never throws on a bad hash.
// bcrypt hashes (users imported from Opstage CE, `capstan import-opstage`) are verified too, with
// bcryptjs (a pure-JS, well-kept library: no native build), and the login re-hashes them with argon2id
// (domain/auth.ts), so each imported user costs one bcrypt check.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type * as Argon2 from "@node-rs/argon2";

export const MIN_PASSWORD_LENGTH = 12;
// algorithm 2 = Argon2id (the package exports it as a const enum, which isolatedModules cannot read)
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

// Loaded on first use: agents and API tokens never need it (they are SHA-256 lookups), and it is the
// largest module of an idle server (~10 MB RSS, docs/benchmarks.md "Footprint").
let argon2: Promise<typeof Argon2> | undefined;
const lib = (): Promise<typeof Argon2> => (argon2 ??= import("@node-rs/argon2"));

export const hashPassword = async (password: string): Promise<string> => (await lib()).hash(password, OPTIONS);

// Pure-JS bcrypt at cost 12 is ~0.3-1.3 s of CPU. bcryptjs's async API still runs it on this thread in
// ~100 ms slices (measured: 110 ms event-loop stalls, every heartbeat and poll waits), so the check
// runs in a short-lived worker thread instead: the event loop is not blocked at all.
const BCRYPT_WORKER = `const { parentPort, workerData } = require("node:worker_threads");
parentPort.postMessage(require(workerData.lib).compareSync(workerData.password, workerData.hash) === true);`;

function bcryptCompare(password: string, hash: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const lib = createRequire(import.meta.url).resolve("bcryptjs");
    const worker = new Worker(BCRYPT_WORKER, { eval: true, workerData: { lib, password, hash } });
    worker.once("message", (ok: unknown) => resolve(ok === true));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`bcrypt worker exited with code ${code}`))); // no-op after resolve
  });
}

/** A bcrypt hash ($2a$, $2b$ or $2y$): verified with bcrypt and replaced by argon2id on the next login. */
export const isBcryptHash = (hash: string): boolean => /^\$2[aby]\$\d\d\$/.test(hash);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    if (isBcryptHash(passwordHash)) return await bcryptCompare(password, passwordHash);
    return await (await lib()).verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash of a random string, verified against when the username is unknown so timing does not tell. */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = (): Promise<string> => (dummyHash ??= hashPassword("capstan-timing-equaliser"));
