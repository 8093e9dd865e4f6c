// The Capsule package descriptor (`capsule.json`, catalog.md): shipped with a service and the body of a
// publish request. Strict (an unknown key is refused, not dropped: a typo in a descriptor that is
// signed and approved should not pass silently) and bounded everywhere: readme <= 64 KiB (UTF-8
// bytes), every list <= 200 entries, every string capped.
import { z } from "zod";
import { DANGER_LEVELS, PACKAGE_ARTIFACT_KINDS, PACKAGE_EVENT_DIRECTIONS } from "../vocabulary.js";
import { actionName } from "./services.js";

export const README_MAX_BYTES = 64 * 1024;
export const LIST_MAX = 200;

/** scope/name (the scope optional), lowercase letters, digits, . _ - ; 1-100 characters. */
export const PACKAGE_NAME = /^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)?$/;
/** SemVer 2.0.0's own regular expression (semver.org), without a leading "v". */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

export const packageName = z.string().min(1).max(100)
  .regex(PACKAGE_NAME, "scope/name in lowercase letters, digits, . _ and -, e.g. acme/invoice-ocr");
export const packageVersion = z.string().min(1).max(80).regex(SEMVER, "a SemVer 2 version such as 1.4.2 or 2.0.0-rc.1");
export const packageDigest = z.string().regex(DIGEST, "sha256:<64 lowercase hex characters>");

const text = (max: number) => z.string().max(max);
const label = z.string().min(1).max(200);
const list = <T extends z.ZodType>(item: T, key: (v: z.infer<T>) => string, what: string) =>
  z.array(item).max(LIST_MAX).refine((l) => new Set(l.map(key)).size === l.length, { message: `${what} must be unique` });

const Capability = z.strictObject({ name: z.string().min(1).max(200), label: label.optional(), description: text(2000).optional() });
const Action = z.strictObject({
  name: actionName, label: label.optional(), description: text(2000).optional(), dangerLevel: z.enum(DANGER_LEVELS).optional(),
});
const Config = z.strictObject({
  key: z.string().min(1).max(200), type: z.string().min(1).max(60), sensitive: z.boolean().optional(),
  label: label.optional(), description: text(2000).optional(), required: z.boolean().optional(),
});
const EventDecl = z.strictObject({
  name: z.string().min(1).max(120), direction: z.enum(PACKAGE_EVENT_DIRECTIONS), description: text(2000).optional(),
});
/** SemVer ranges as text (">=0.2.0 <1.0.0"); evaluated where compatibility is checked, not here. */
const range = z.string().min(1).max(200);

export const PackageDescriptor = z.strictObject({
  name: packageName,
  version: packageVersion,
  description: text(2000).optional(),
  license: text(100).optional(),
  homepage: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  readme: z.string().refine((s) => Buffer.byteLength(s, "utf8") <= README_MAX_BYTES, { message: `at most ${README_MAX_BYTES} bytes (64 KiB)` }).optional(),
  runtime: z.string().min(1).max(40).optional(),
  tags: list(z.string().min(1).max(50).regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, . _ and -"), (s) => s, "tags").optional(),
  capabilities: list(Capability, (c) => c.name, "capability names").optional(),
  actions: list(Action, (a) => a.name, "action names").optional(),
  configs: list(Config, (c) => c.key, "config keys").optional(),
  events: list(EventDecl, (e) => `${e.direction} ${e.name}`, "events (per direction)").optional(),
  compatibility: z.strictObject({ capstan: range.optional(), sdk: range.optional(), contract: range.optional() }).optional(),
  artifact: z.strictObject({
    kind: z.enum(PACKAGE_ARTIFACT_KINDS), ref: z.string().min(1).max(2000), digest: packageDigest.optional(),
  }).optional(),
  deprecated: text(500).nullable().optional(),
  prerelease: z.boolean().optional(),
});
export type PackageDescriptor = z.infer<typeof PackageDescriptor>;
