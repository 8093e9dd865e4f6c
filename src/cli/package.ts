// capstan package publish capsule.json: publishes a package version through the HTTP API, as a CI
// job does (the server decides, audits and opens the approval request; this is only a client).
// The server's URL comes from --url or CAPSTAN_URL, the API token from CAPSTAN_API_TOKEN only (never
// argv, where any local user could read it in the process list).
import { readFile } from "node:fs/promises";
import { CliError, UsageError, parseCommandArgs, type Command } from "./io.js";

const HELP = `usage: capstan package publish FILE [--url URL] [--digest sha256:HEX]

Publishes the package descriptor FILE (capsule.json) to a Capstan server: POST /api/admin/packages.
The version waits PENDING_APPROVAL until an owner other than you approves it.
  --url URL         the server (default: CAPSTAN_URL)
  --digest D        the digest you expect (artifact.digest, or sha256 of the canonical descriptor);
                    the server refuses the publish when it differs
The API token (capstan_pat_..., operator or owner) is read from CAPSTAN_API_TOKEN.
Prints the published version as JSON; exit 1 with the server's error code when it is refused.`;

interface Envelope { success: boolean; data?: Record<string, unknown>; error?: { code: string; message: string } }

export const pkg: Command = {
  summary: "publish a package descriptor (capsule.json) to a server",
  help: HELP,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== "publish") throw new UsageError(sub ? `unknown package command ${sub}` : "give a package command: publish");
    const { values, positionals } = parseCommandArgs(rest, { url: { type: "string" }, digest: { type: "string" } }, 1);
    const file = positionals[0];
    if (!file) throw new UsageError("package publish needs the descriptor file (capsule.json)");
    const base = (values.url ?? io.env.CAPSTAN_URL ?? "").replace(/\/+$/, "");
    if (!/^https?:\/\/[^/]/.test(base)) throw new UsageError("give the server as --url http(s)://... or CAPSTAN_URL");
    const token = io.env.CAPSTAN_API_TOKEN;
    if (!token) throw new UsageError("set CAPSTAN_API_TOKEN to an operator's API token (capstan api-token create)");
    let body: string;
    try {
      body = await readFile(file, "utf8");
      JSON.parse(body);
    } catch (err) {
      throw new CliError(`${file}: ${err instanceof SyntaxError ? "not JSON: " : ""}${err instanceof Error ? err.message : String(err)}`);
    }
    const url = `${base}/api/admin/packages${values.digest ? `?digest=${encodeURIComponent(values.digest)}` : ""}`;
    let res: Response;
    try {
      res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body, signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw new CliError(`cannot reach ${base}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await res.text();
    let reply: Envelope | undefined;
    try {
      reply = JSON.parse(text) as Envelope;
    } catch { /* not the API: reported below */ }
    if (!reply) throw new CliError(`${base} answered ${res.status} without a JSON body; is it a Capstan server?`);
    if (!res.ok || !reply.success) throw new CliError(`publish refused (${res.status} ${reply.error?.code ?? "?"}): ${reply.error?.message ?? text.slice(0, 200)}`);
    const v = reply.data!;
    io.stdout.write(JSON.stringify({ id: v.id, name: v.name, version: v.version, status: v.status, digest: v.digest, approvalId: v.approvalId }, null, 2) + "\n");
    io.stderr.write(`published ${String(v.name)}@${String(v.version)}: ${String(v.status)}; an owner approves it under Approvals (${String(v.approvalId)})\n`);
    return 0;
  },
};
