// capstan registry rotate-key: a new registry signing key now (a suspected leak, a policy). The old
// keys stop signing but stay listed at /registry/v1/keys until they expire; every approved version is
// signed with the new key at once. The maintenance sweep also rotates a key before it expires.
import { rotateRegistryKey } from "../domain/packages/signing.js";
import { CLI_ACTOR, DATA_DIR_OPTION, withCliApp } from "./context.js";
import { UsageError, parseCommandArgs, type Command } from "./io.js";

const HELP = `usage: capstan registry rotate-key [--reason TEXT] [--data-dir D]

Creates a new ed25519 signing key for the package registry and signs every approved version with it.
Older keys stop signing and stay listed until they expire (CAPSTAN_REGISTRY_KEY_DAYS). Audited.`;

export const registry: Command = {
  summary: "rotate the package registry's signing key",
  help: HELP,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== "rotate-key") throw new UsageError(sub ? `unknown registry command ${sub}` : "give a registry command: rotate-key");
    const { values } = parseCommandArgs(rest, { ...DATA_DIR_OPTION, reason: { type: "string" } });
    const reason = values.reason ?? "rotated with capstan registry rotate-key";
    if (reason.length > 500) throw new UsageError("--reason is limited to 500 characters");
    const r = await withCliApp(io, values["data-dir"], (app) => rotateRegistryKey(app, CLI_ACTOR, reason));
    io.stdout.write(r.keyid + "\n");
    io.stderr.write(`new signing key ${r.keyid}; ${r.signed} approved version(s) signed, ${r.retired} older key(s) retired (listed until they expire)\n`);
    return 0;
  },
};
