// Child process for the concurrent first-start test: waits for a shared start instant, loads the key
// the way startup does, prints its key id.
import { loadConfig } from "../../src/config.js";
import { loadSecretKey } from "../../src/secrets/secretKey.js";
import { keyIdOf } from "../../src/secrets/secretBox.js";

const [dataDir, startAt] = process.argv.slice(2) as [string, string];
while (Date.now() < Number(startAt)); // busy-wait: all children reach the file at the same moment
const key = loadSecretKey(loadConfig({ CAPSTAN_DATA_DIR: dataDir }), { requireExplicitKey: false });
process.stdout.write(keyIdOf(key));
