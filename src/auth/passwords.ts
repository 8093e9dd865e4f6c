// Password hashing with argon2id (OWASP parameters); verification never throws on a bad hash.
// bcrypt hashes (users imported from Opstage CE, `capstan import-opstage`) are verified too, with
// bcryptjs (a pure-JS, well-kept library; its async API yields to the event loop between rounds), and
// the login re-hashes them with argon2id (domain/auth.ts).
import type * as Argon2 from "@node-rs/argon2";
import type * as Bcrypt from "bcryptjs";

export const MIN_PASSWORD_LENGTH = 12;
// algorithm 2 = Argon2id (the package exports it as a const enum, which isolatedModules cannot read)
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

// Loaded on first use: agents and API tokens never need it (they are SHA-256 lookups), and it is the
// largest module of an idle server (~10 MB RSS, docs/benchmarks.md "Footprint").
let argon2: Promise<typeof Argon2> | undefined;
const lib = (): Promise<typeof Argon2> => (argon2 ??= import("@node-rs/argon2"));

export const hashPassword = async (password: string): Promise<string> => (await lib()).hash(password, OPTIONS);

let bcrypt: Promise<typeof Bcrypt> | undefined;
const bcryptLib = (): Promise<typeof Bcrypt> => (bcrypt ??= import("bcryptjs"));

/** A bcrypt hash ($2a$, $2b$ or $2y$): verified with bcrypt and replaced by argon2id on the next login. */
export const isBcryptHash = (hash: string): boolean => /^\$2[aby]\$\d\d\$/.test(hash);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    if (isBcryptHash(passwordHash)) return await (await bcryptLib()).compare(password, passwordHash);
    return await (await lib()).verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A hash of a random string, verified against when the username is unknown so timing does not tell. */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = (): Promise<string> => (dummyHash ??= hashPassword("capstan-timing-equaliser"));
