// capstan version: the version, and with --json the schema versions too (for upgrade scripts).
import { codeSchemaVersion } from "../db/open.js";
import { VERSION } from "../server.js";
import { parseCommandArgs, type Command } from "./io.js";

export const version: Command = {
  summary: "print the version",
  help: "usage: capstan version [--json]\n\nPrints the Capstan version; --json adds the database schema version this build expects.",
  async run(args, io) {
    const { values } = parseCommandArgs(args, { json: { type: "boolean" } });
    if (values.json) io.stdout.write(JSON.stringify({ version: VERSION, edition: "ce", schemaVersion: codeSchemaVersion(), node: process.version }) + "\n");
    else io.stdout.write(`${VERSION}\n`);
    return 0;
  },
};
