// capstan user create|reset-password|list: account administration without the web console (first
// owner on a headless host, a forgotten password).
import { listUsers, getUserByUsername } from "../db/users.js";
import { createUser, resetPassword } from "../domain/users.js";
import { AppError } from "../errors.js";
import { CreateUserBody, ResetPasswordBody } from "../schemas/users.js";
import { CLI_ACTOR, DATA_DIR_OPTION, withCliApp } from "./context.js";
import { PASSWORD_ENV, UsageError, parseCommandArgs, readPassword, type CliIo, type Command } from "./io.js";

const HELP = `usage:
  capstan user create --username NAME --role owner|operator|viewer [--display-name TEXT] [--password-stdin] [--data-dir D]
  capstan user reset-password --username NAME [--password-stdin] [--data-dir D]
  capstan user list [--json] [--data-dir D]

The password is read from standard input with --password-stdin (one line), or from ${PASSWORD_ENV}.
It is never taken from the command line, where other local users could see it. Minimum 12 characters.
A password reset ends every session of the user.`;

async function create(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...DATA_DIR_OPTION, username: { type: "string" }, role: { type: "string" }, "display-name": { type: "string" }, "password-stdin": { type: "boolean" },
  });
  if (!values.username || !values.role) throw new UsageError("user create needs --username and --role");
  const password = await readPassword(io, values["password-stdin"]);
  const input = CreateUserBody.parse({ username: values.username, role: values.role, password, displayName: values["display-name"] });
  const user = await withCliApp(io, values["data-dir"], (app) => createUser(app, CLI_ACTOR, input));
  io.stdout.write(`created ${user.role} ${user.username} (${user.id})\n`);
  return 0;
}

async function reset(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, { ...DATA_DIR_OPTION, username: { type: "string" }, "password-stdin": { type: "boolean" } });
  if (!values.username) throw new UsageError("user reset-password needs --username");
  const { password } = ResetPasswordBody.parse({ password: await readPassword(io, values["password-stdin"]) });
  await withCliApp(io, values["data-dir"], async (app) => {
    const user = await getUserByUsername(app.db, values.username!);
    if (!user) throw new AppError("USER_NOT_FOUND", `no user named ${values.username}`);
    await resetPassword(app, CLI_ACTOR, user.id, password);
  });
  io.stdout.write(`password of ${values.username} reset; their sessions were ended\n`);
  return 0;
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, { ...DATA_DIR_OPTION, json: { type: "boolean" } });
  const rows = await withCliApp(io, values["data-dir"], async (app) =>
    (await listUsers(app.db, {}, [{ field: "username", desc: false }], 1, 1_000_000)).rows.map((u) => ({
      id: u.id, username: u.username, role: u.role, status: u.status, lastLoginAt: u.lastLoginAt, createdAt: u.createdAt,
    })),
  );
  if (values.json) io.stdout.write(JSON.stringify(rows, null, 2) + "\n");
  else {
    const lines = [["USERNAME", "ROLE", "STATUS", "LAST LOGIN", "ID"], ...rows.map((u) => [u.username, u.role, u.status, u.lastLoginAt ?? "-", u.id])];
    const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
    for (const l of lines) io.stdout.write(l.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd() + "\n");
  }
  return 0;
}

function help(io: CliIo): number {
  io.stdout.write(HELP + "\n");
  return 0;
}

export const user: Command = {
  summary: "create users, reset passwords, list users",
  help: HELP,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === "create") return create(rest, io);
    if (sub === "reset-password") return reset(rest, io);
    if (sub === "list") return list(rest, io);
    if (sub === "help") return help(io);
    if (sub === undefined) throw new UsageError("give a user command: create, reset-password or list");
    throw new UsageError(`unknown user command ${sub}`);
  },
};
