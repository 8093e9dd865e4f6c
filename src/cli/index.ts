// The command table and the top-level help. bin/capstan.ts dispatches through it.
import { VERSION } from "../server.js";
import { apiToken } from "./apiToken.js";
import { backup } from "./backup.js";
import { db } from "./dbCopy.js";
import { importOpstageCommand } from "./importOpstage.js";
import type { Command } from "./io.js";
import { migrate } from "./migrate.js";
import { pkg } from "./package.js";
import { registry } from "./registry.js";
import { restore } from "./restore.js";
import { serve } from "./serve.js";
import { token } from "./token.js";
import { user } from "./user.js";
import { version } from "./version.js";

export const COMMANDS: Record<string, Command> = {
  serve, user, token, "api-token": apiToken, backup, restore, migrate, db, "import-opstage": importOpstageCommand, version, package: pkg, registry,
};

export const usage = (): string => `capstan ${VERSION} — control plane for Capsule Services

usage: capstan <command> [options]     (capstan <command> --help for its options)

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`).join("\n")}

Every command reads CAPSTAN_* environment variables (CAPSTAN_DATA_DIR: where the database lives);
--data-dir overrides it. Exit codes: 0 ok, 1 failure, 2 usage.`;
