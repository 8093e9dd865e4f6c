// capstan token create: a registration token for enrolling an agent, printed once.
import { createRegistrationToken } from "../domain/registrationTokens.js";
import { CreateRegistrationTokenBody } from "../schemas/registrationTokens.js";
import { CLI_ACTOR, DATA_DIR_OPTION, withCliApp } from "./context.js";
import { UsageError, intOption, parseCommandArgs, type Command } from "./io.js";

const HELP = `usage: capstan token create [--name TEXT] [--expires-in SECONDS] [--max-uses N] [--agent-code CODE] [--data-dir D]

Prints a new registration token (opstage_reg_...). Give it to a service's agent SDK once; it is shown
only this once and only its hash is stored. --max-uses above 1 needs --expires-in. --agent-code binds
the token to one agent code (re-enrolling an existing agent).`;

export const token: Command = {
  summary: "create a registration token for an agent",
  help: HELP,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === "help") {
      io.stdout.write(HELP + "\n");
      return 0;
    }
    if (sub !== "create") throw new UsageError(sub ? `unknown token command ${sub}` : "give a token command: create");
    const { values } = parseCommandArgs(rest, {
      ...DATA_DIR_OPTION, name: { type: "string" }, "expires-in": { type: "string" }, "max-uses": { type: "string" }, "agent-code": { type: "string" },
    });
    const input = CreateRegistrationTokenBody.parse({
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values["expires-in"] !== undefined ? { expiresInSeconds: intOption("expires-in", values["expires-in"], 1) } : {}),
      ...(values["max-uses"] !== undefined ? { maxUses: intOption("max-uses", values["max-uses"], 1) } : {}),
      ...(values["agent-code"] !== undefined ? { agentCode: values["agent-code"] } : {}),
    });
    const created = await withCliApp(io, values["data-dir"], (app) => createRegistrationToken(app, CLI_ACTOR, input));
    // the token alone on stdout, so scripts can capture it; the facts go to stderr
    io.stdout.write(created.rawToken + "\n");
    io.stderr.write(`registration token ${created.id} "${created.name}", ${created.maxUses} use(s), expires ${created.expiresAt ?? "never"}\n`);
    return 0;
  },
};
