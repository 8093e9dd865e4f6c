// Opstage CE environment names are accepted as aliases of ours; ours win; start-up says which were used.
import t from "tap";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startTestServer } from "../helpers.js";

t.test("each alias stands in for our name", async (t) => {
  const c = loadConfig({
    OPSTAGE_HOST: "0.0.0.0", OPSTAGE_PORT: "9090", OPSTAGE_ADMIN_USERNAME: "root", OPSTAGE_ADMIN_PASSWORD: "a-long-enough-password",
    OPSTAGE_SESSION_TTL_SECONDS: "600", OPSTAGE_CAPSULE_BUS_ENABLED: "true", OPSTAGE_CAPSULE_BUS_INGEST_PER_MIN: "5",
  });
  t.match(c, { host: "0.0.0.0", port: 9090, adminUsername: "root", adminPassword: "a-long-enough-password", sessionTtlSeconds: 600, busEnabled: true, busIngestPerMin: 5 });
  t.equal(c.envAliases.used.length, 7);
  t.same(c.envAliases.overridden, []);
});

t.test("ours win when both are set; bad alias values are reported under the alias", async (t) => {
  const c = loadConfig({ OPSTAGE_PORT: "9090", CAPSTAN_PORT: "8081", OPSTAGE_CAPSULE_BUS_ENABLED: "true" });
  t.equal(c.port, 8081, "CAPSTAN_PORT wins");
  t.equal(c.busEnabled, true);
  t.same(c.envAliases.overridden, [{ alias: "OPSTAGE_PORT", name: "CAPSTAN_PORT" }]);
  t.same(c.envAliases.used, [{ alias: "OPSTAGE_CAPSULE_BUS_ENABLED", name: "CAPSTAN_BUS_ENABLED" }]);
  t.same(loadConfig({}).envAliases, { used: [], overridden: [] });
  let err: unknown;
  try {
    loadConfig({ OPSTAGE_PORT: "not-a-port" });
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof ConfigError, "a bad alias value stops start-up");
  t.match((err as Error).message, /OPSTAGE_PORT/, "named as the user wrote it");
  // a name with another meaning is not an alias
  t.equal(loadConfig({ OPSTAGE_DATA_DIR: "/elsewhere" }).dataDir, "./data");
});

t.test("start-up says which aliases were used and which were overridden", async (t) => {
  const s = await startTestServer(t, { env: { OPSTAGE_CAPSULE_BUS_ENABLED: "true", OPSTAGE_SESSION_TTL_SECONDS: "600", CAPSTAN_SESSION_TTL_SECONDS: "700" } });
  t.equal(s.config.busEnabled, true);
  t.equal(s.config.sessionTtlSeconds, 700);
  const lines = s.logs.map((l) => JSON.parse(l) as { msg?: string; message?: string; alias?: string; level: string });
  const text = (l: (typeof lines)[number]) => l.msg ?? l.message ?? "";
  t.ok(lines.some((l) => /using OPSTAGE_CAPSULE_BUS_ENABLED as CAPSTAN_BUS_ENABLED/.test(text(l))), "the alias used is said");
  t.ok(lines.some((l) => /OPSTAGE_SESSION_TTL_SECONDS ignored: CAPSTAN_SESSION_TTL_SECONDS is set/.test(text(l)) && l.level === "warn"), "the overridden one is warned about");
});
