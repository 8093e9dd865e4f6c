// capstan api-token create: a personal API token (capstan_pat_...) for scripts and Prometheus, printed once.
import { getUserByUsername } from "../db/users.js";
import { createApiToken } from "../domain/apiTokens.js";
import { AppError } from "../errors.js";
import { CLI_ACTOR, DATA_DIR_OPTION, withCliApp } from "./context.js";
import { UsageError, intOption, parseCommandArgs, type Command } from "./io.js";

const HELP = `usage: capstan api-token create --user NAME [--name TEXT] [--expires-in SECONDS] [--data-dir D]

Prints a new API token (capstan_pat_...) that acts with the user's role. It is shown only this once;
only its hash is stored. Send it as "Authorization: Bearer <token>".`;

export const apiToken: Command = {
  summary: "create a personal API token for a user",
  help: HELP,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === "help") {
      io.stdout.write(HELP + "\n");
      return 0;
    }
    if (sub !== "create") throw new UsageError(sub ? `unknown api-token command ${sub}` : "give an api-token command: create");
    const { values } = parseCommandArgs(rest, { ...DATA_DIR_OPTION, user: { type: "string" }, name: { type: "string" }, "expires-in": { type: "string" } });
    if (!values.user) throw new UsageError("api-token create needs --user");
    const name = values.name ?? "cli";
    if (name.length > 200) throw new UsageError("--name is limited to 200 characters");
    const expiresInSeconds = intOption("expires-in", values["expires-in"], 60);
    const token = await withCliApp(io, values["data-dir"], async (app) => {
      const user = await getUserByUsername(app.db, values.user!);
      if (!user) throw new AppError("USER_NOT_FOUND", `no user named ${values.user}`);
      return createApiToken(app, CLI_ACTOR, user.id, { name, expiresInSeconds });
    });
    // the token alone on stdout, so scripts can capture it; the facts go to stderr
    io.stdout.write(token.rawToken + "\n");
    io.stderr.write(`API token ${token.id} "${token.name}" for ${values.user}, expires ${token.expiresAt ?? "never"}\n`);
    return 0;
  },
};
