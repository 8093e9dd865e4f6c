// Which Capsule Package this service runs (catalog.md: manifest.package = {name, version, digest?}),
// a module of its own (dist/package.*, loaded by agent.ts on the first report) so the bundle keeps
// its size budget. Read once from the `package` option or the host's capsule.json; anything wrong
// is one warning and no package reported, never an exception into the host.
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { CapsuleAgentOptions, Logger, PackageRef } from "./types.js";

/** A descriptor is small (readme <= 64 KiB, lists <= 200 entries): a bigger file is not one. */
const MAX_BYTES = 1024 * 1024;
// the server's PACKAGE_NAME (src/schemas/packageDescriptor.ts): scope/name, each part [a-z0-9][a-z0-9._-]*
const NAME = /^(?=.{1,100}$)[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)?$/;
// SemVer 2.0.0 (semver.org's regular expression, without the named groups)
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export async function readPackage(o: CapsuleAgentOptions, log: Logger): Promise<PackageRef | undefined> {
  if (o.package === false) return undefined;
  if (o.package !== undefined) return checked(o.package, "the package option", log);
  const explicit = o.capsuleFile !== undefined;
  const file = resolve(process.cwd(), String(o.capsuleFile ?? "capsule.json"));
  let text: string;
  try {
    if ((await stat(file)).size > MAX_BYTES) {
      log.warn("capsule.json is larger than 1 MiB; no package reported", { file });
      return undefined;
    }
    text = await readFile(file, "utf8");
  } catch (err) {
    // No capsule.json where none was asked for is the normal case of a service without a package.
    if (explicit || (err as NodeJS.ErrnoException).code !== "ENOENT") log.warn("capsule.json unreadable; no package reported", { file, error: (err as Error).message });
    return undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    log.warn("capsule.json is not JSON; no package reported", { file, error: (err as Error).message });
    return undefined;
  }
  const d = (doc ?? {}) as { name?: unknown; version?: unknown; artifact?: { digest?: unknown } };
  return checked({ name: d.name, version: d.version, digest: d.artifact?.digest }, file, log);
}

function checked(p: { name?: unknown; version?: unknown; digest?: unknown }, where: string, log: Logger): PackageRef | undefined {
  const { name, version, digest } = p ?? {};
  if (typeof name !== "string" || !NAME.test(name) || typeof version !== "string" || version.length > 64 || !SEMVER.test(version)
    || (digest !== undefined && digest !== null && (typeof digest !== "string" || !DIGEST.test(digest)))) {
    log.warn(`${where}: needs a package name (lowercase scope/name), a SemVer version and an optional sha256:<hex> digest; no package reported`);
    return undefined;
  }
  return { name, version, ...(typeof digest === "string" ? { digest } : {}) };
}
