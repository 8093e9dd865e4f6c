// The types every layer shares: the application (deps + in-memory runtime), identities, routes.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Role } from "./auth/roles.js";
import type { Config } from "./config.js";
import type { Db } from "./db/open.js";
import type { Exchange } from "./http/exchange.js";
import type { Reply } from "./http/reply.js";
import type { Method, Params } from "./http/router.js";
import type { Logger } from "./log.js";
import type { Runtime } from "./runtime.js";
import type { SecretBox } from "./secrets/secretBox.js";
import type { ApiTokenScope } from "./vocabulary.js";

export interface AppDeps {
  db: Db;
  config: Config;
  log: Logger;
  /** Injected clock so time-dependent behaviour is testable without sleeping. */
  now: () => Date;
  version: string;
  /**
   * Seals and opens stored one-time secrets (command_secrets) with the installation's key. Configuration,
   * not per-process state: every node of one installation holds the same key.
   */
  secretBox: SecretBox;
}

export interface App extends AppDeps {
  runtime: Runtime;
}

export interface AdminIdentity {
  userId: string;
  username: string;
  role: Role;
  via: "session" | "apiToken";
  sessionId?: string;
  /** Present for session logins: the current CSRF token (derived, never stored). */
  csrfToken?: string;
  csrfVersion?: number;
  sessionExpiresAt?: string;
  /** API tokens only: what the token may call (route.scope; sessions may call everything their role allows). */
  scopes?: ApiTokenScope[];
}

export interface AgentIdentity {
  agentId: string;
  agentCode: string;
  tokenId: string;
  /** the agent's stored status as the token lookup read it, at the start of this request */
  agentStatus: string;
}

/** Who did something, for the audit writer. */
export type Actor =
  | { type: "USER"; id: string | null }
  | { type: "AGENT"; id: string | null }
  | { type: "SYSTEM"; id: string | null };

export interface Ctx<P = Record<string, string>> {
  app: App;
  req: IncomingMessage;
  res: ServerResponse;
  params: P;
  query: URLSearchParams;
  path: string;
  /** The matched route pattern (for logs and metrics; never the raw path). */
  routePattern: string;
  requestId: string;
  ip: string;
  /** Aborted when the client goes away (prepare waits, downloads stop early); made on first use. */
  signal: AbortSignal;
  /** The client went away before the answer was complete (long polls: no AbortController needed). */
  readonly clientGone: boolean;
  /** The request's answering end (http/exchange.ts): a parked long poll is answered through it. */
  exchange: Exchange;
  cookies: Record<string, string>;
  /** Parsed body (JSON or urlencoded), read once with the route's byte limit. */
  body(): Promise<unknown>;
  admin?: AdminIdentity;
  agent?: AgentIdentity;
  /** Console pages (full GETs): counts the navigation shows, read before the handler (app.ts). */
  navCounts?: { pendingApprovals: number };
  /** Headers added to whatever the handler replies (e.g. Set-Cookie). */
  extraHeaders: Record<string, string | string[]>;
}

/** public: no credentials; agent: agent bearer token; a Role: admin session or API token with at least that role. */
export type RouteAuth = "public" | "agent" | Role;

export interface RouteDef<P extends string = string> {
  method: Method;
  path: P;
  auth: RouteAuth;
  /** verbNoun name of the handler, used in logs and the route matrix test. */
  name: string;
  /** Override the configured body limit (bytes). */
  bodyLimit?: number;
  /** Page routes answer errors with HTML and redirect to /login instead of 401 JSON. */
  page?: boolean;
  /** Skip the CSRF check (login forms only). */
  noCsrf?: boolean;
  /** Part of an optional feature: app.ts refuses the route while it is off (bus: domain/bus/enabled.ts). */
  feature?: "bus" | "messages";
  /** The API-token scope the route needs (default admin); a messages-only token reaches only routes that say "messages". */
  scope?: ApiTokenScope;
  /** Refuse cross-site browser requests (Sec-Fetch-Site, Origin): GETs with side effects and the login forms. */
  sameOrigin?: boolean;
  /** The handler validates its query string (parseQuery); without this any query parameter is refused with 422. */
  query?: boolean;
  handler: (ctx: Ctx<Params<P>>) => Reply | Promise<Reply>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any>;

/** Declares a route with its path params inferred from the pattern. */
export const route = <P extends string>(def: RouteDef<P>): AnyRoute => def as AnyRoute;
