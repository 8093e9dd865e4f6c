// Starts a Capstan server on its database (SQLite file or CAPSTAN_DATABASE_URL): used by `capstan serve`, the demo and tests that need
// the whole lifecycle (graceful close included). Signal handling stays in bin/.
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createApp, type CapstanApp } from "./app.js";
import { renderErrorPage } from "./console/errors.js";
import { answerClientError } from "./http/clientError.js";
import type { Config } from "./config.js";
import { openConfiguredDb, type Db } from "./db/open.js";
import { flushContacts } from "./domain/contacts.js";
import { bootstrapOwner } from "./domain/users.js";
import { maintainRegistryKeys } from "./domain/packages/signing.js";
import type { Logger } from "./log.js";
import { rootPath } from "./paths.js";
import { startMaintenance } from "./domain/maintenance.js";
import { startTelegram } from "./domain/messages/telegram/poller.js";
import { warmUpValidation } from "./domain/commands/payload.js";
import { startWakeups } from "./domain/wakeups.js";
import { startWebhookWorker } from "./domain/notifications/worker.js";
import { installMetrics, loadPromClient } from "./metrics/prometheus.js";
import { loadSecretBox } from "./secrets/secretKey.js";

/**
 * Pending connections the kernel may queue for accept (capped by net.core.somaxconn, 4,096 on current
 * kernels). Node's default (511) dropped the SYNs of a fleet reconnecting at once. Deeper did not
 * help: a busy node accepts about one connection per event-loop turn (libuv), however many wait; asking
 * for 65,535 on a host allowing 16,384, a PostgreSQL node still had 1,533 of 10,000 agents connecting
 * within 10 s PENDING after 159 s (bench/pg-vs-sqlite.mjs hold, docs/benchmarks.md run 8).
 */
const LISTEN_BACKLOG = 4096;
/**
 * How long an idle keep-alive connection stays open (announced as `Keep-Alive: timeout=65`). Above
 * a load balancer's usual 60 s idle timeout (docs/deploy.md), so the balancer never sends a request
 * on a connection this node is closing; and above the SDK's 30 s heartbeat interval: undici keeps an
 * idle socket for the hint minus 2 s, so an agent's heartbeat reuses its connection instead of
 * opening one per heartbeat (a heartbeat on a new connection costs the server about 2x the CPU of one
 * on a kept connection: docs/benchmarks.md). Node's default is 5 s. Idle connections are not checked by the
 * headers/request timeouts (those apply to a request in progress), only by this one.
 */
const KEEP_ALIVE_MS = 65_000;

export const VERSION: string = JSON.parse(readFileSync(rootPath("package.json"), "utf8")).version;

export interface RunningServer extends CapstanApp {
  server: Server;
  db: Db;
  url: string;
  close(): Promise<void>;
  /** The owner created on this start (opts.bootstrapOwner on an empty database), with its generated password if any. */
  bootstrap?: { username: string; generatedPassword?: string };
}

/** The start-up line about Opstage CE environment names (config.ts OPSTAGE_ENV_ALIASES). */
function logEnvAliases(config: Config, log: Logger): void {
  const { used, overridden } = config.envAliases;
  for (const a of used) log.info(`using ${a.alias} as ${a.name} (Opstage CE name)`, { alias: a.alias, name: a.name });
  for (const a of overridden) log.warn(`${a.alias} ignored: ${a.name} is set and wins`, { alias: a.alias, name: a.name });
}

export const databasePath = (config: Config): string => join(config.dataDir, "capstan.db");

export async function startServer(opts: { config: Config; log: Logger; now?: () => Date; db?: Db; bootstrapOwner?: boolean }): Promise<RunningServer> {
  const { config, log } = opts;
  mkdirSync(config.dataDir, { recursive: true });
  // before the database opens: a missing or unsafe key stops startup with nothing left open
  const secretBox = loadSecretBox(config, log);
  const db = opts.db ?? await openConfiguredDb(config, databasePath(config), { poolSize: config.databasePoolSize });
  const capstan = createApp({ db, config, log, now: opts.now ?? (() => new Date()), version: VERSION, secretBox, renderErrorPage });
  // before listening, so the first request is counted; with metrics off nothing can read them
  if (config.metrics !== "off") {
    await loadPromClient();
    installMetrics(capstan.app);
  }
  // Ready means ready: the first owner exists before the port accepts, so a login at the first moment
  // /readyz answers 200 succeeds (created after listening, early logins failed with LOGIN_FAILED).
  // other nodes' wake-ups (PostgreSQL): listening before the port accepts, so no poll parks unheard
  const stopWakeups = await startWakeups(capstan.app);
  capstan.app.runtime.onClose.push(stopWakeups);
  await maintainRegistryKeys(capstan.app); // the registry's signing key exists from the first start
  const bootstrap = opts.bootstrapOwner ? await bootstrapOwner(capstan.app, { username: config.adminUsername, password: config.adminPassword }) : undefined;
  // The header/request timeouts are enforced by a periodic sweep (every 30 s by default): sweep each
  // second so a slow-loris client is cut after 15 s, not up to 45 s.
  const server = createServer({ requestTimeout: 60_000, headersTimeout: 15_000, keepAliveTimeout: KEEP_ALIVE_MS, connectionsCheckingInterval: 1_000 }, capstan.handle);
  // Long polls last up to 30 s; the socket idle timeout must be longer than that.
  server.setTimeout(45_000);
  server.on("clientError", answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A fleet reconnects at once when a node goes away (its agents move to the others) or comes back:
    // with Node's default backlog (511) the kernel drops the SYNs beyond it and clients retry after
    // 1, 3, 7 s... (seen in bench/pg-vs-sqlite.mjs hold). The kernel caps this at net.core.somaxconn.
    server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${addr.port}`;
  logEnvAliases(config, log);
  // ajv + RE2 loaded now, in slices in the background: not on the way to readiness, and not all by
  // the first request that validates a payload
  capstan.app.runtime.onClose.push(warmUpValidation());
  startMaintenance(capstan.app); // runs once now, then on its timer; stopped by the onClose hooks
  startWebhookWorker(capstan.app); // delivers the notification outbox; stopped (in-flight attempts aborted) by the onClose hooks
  startTelegram(capstan.app); // only with CAPSTAN_MESSAGES_ENABLED; idle until an owner configures the channel

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const hook of capstan.app.runtime.onClose) await hook();
      capstan.app.runtime.hub.close(); // long polls answer [] now instead of holding shutdown
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets: answers given from now on say Connection: close, and each socket is closed
        // as soon as it goes idle, so clients reconnect (and find the port closed) instead of holding
        // shutdown open; a response in progress is never cut.
        server.on("request", (_req, res) => { if (!res.headersSent) res.setHeader("Connection", "close"); });
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        sweep.unref();
        server.once("close", () => clearInterval(sweep));
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 4_000).unref();
      });
      await flushContacts(capstan.app); // the last second of agent contacts, before the database closes
      await db.close();
    })());
  return { ...capstan, server, db, url, close, ...(bootstrap ? { bootstrap } : {}) };
}
