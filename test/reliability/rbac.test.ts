// RBAC matrix: every route of the live route table x every kind of caller gets exactly the status
// written in test/rbacMatrix.ts (shared with test/api/rbac.test.ts). A route missing from the table (or a table row without a route) fails.
import t from "tap";
import type { AnyRoute } from "../../src/context.js";
import { registerTestAgent } from "../fixtures.js";
import { startTestServer, type ApiResponse, type Client, type TestServer } from "../helpers.js";
import { COLUMNS, RBAC_MATRIX, type Column } from "../rbacMatrix.js";

const FAKE = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
const FAKE_PARAM: Record<string, string> = {
  agentId: `agt_${FAKE}`, commandId: `cmd_${FAKE}`, serviceId: `svc_${FAKE}`, tokenId: `tok_${FAKE}`, userId: `usr_${FAKE}`,
  auditEventId: `aud_${FAKE}`, routeId: `brr_${FAKE}`, eventId: `bev_${FAKE}`, actionName: "noSuchAction",
  approvalId: `apr_${FAKE}`, policyId: `apl_${FAKE}`,
};
/** Refusals by the auth layer carry one of these codes; a 401/403 with another code came from a handler. */
const AUTH_CODES = new Set([
  "UNAUTHORIZED", "FORBIDDEN", "CSRF_INVALID", "AGENT_TOKEN_INVALID", "AGENT_TOKEN_REVOKED", "AGENT_ID_MISMATCH", "AGENT_REVOKED",
]);

const key = (r: AnyRoute) => `${r.method} ${r.path}`;

interface Callers {
  clients: Record<Column, Client>;
  agentA: string;
  /** A fresh session of that role, for routes that end the session they are called with. */
  throwaway(role: "viewer" | "operator" | "owner"): Promise<Client>;
}

async function setUp(s: TestServer): Promise<Callers> {
  const owner = await s.loginAs("owner");
  const viewer = await s.loginAs("viewer");
  const operator = await s.loginAs("operator");
  const pat = await operator.post("/api/admin/api-tokens", { name: "rbac-operator" });
  const doomed = await owner.post("/api/admin/api-tokens", { name: "rbac-revoked" });
  const revoked = await owner.req("DELETE", `/api/admin/api-tokens/${doomed.body.data.id}`);
  if (pat.status !== 200 || revoked.status !== 200) throw new Error("API token setup failed");
  const a = await registerTestAgent(s, { code: "rbac-agent-a" });
  const b = await registerTestAgent(s, { code: "rbac-agent-b" });
  const c = await registerTestAgent(s, { code: "rbac-agent-c" });
  if ((await operator.post(`/api/admin/agents/${c.agentId}/revoke`, {})).status !== 200) throw new Error("revoking agent C failed");
  let n = 0;
  return {
    agentA: a.agentId,
    clients: {
      anon: s.anon, viewer, operator, owner,
      apiToken: s.clientWith({ token: pat.body.data.rawToken }),
      revokedApiToken: s.clientWith({ token: doomed.body.data.rawToken }),
      agent: a.agent,
      otherAgent: b.agent,
      revokedAgent: c.agent,
    },
    throwaway: (role) => s.loginAs(role, `${role}-throwaway-${++n}`),
  };
}

async function call(s: TestServer, callers: Callers, r: AnyRoute, column: Column): Promise<ApiResponse> {
  const path = r.path.replace(/:(\w+)/g, (_m: string, name: string) =>
    name === "agentId" && r.auth === "agent" ? callers.agentA : (FAKE_PARAM[name] ?? "x"));
  let client = callers.clients[column];
  // logging out would end the session the other rows use
  const endsSession = r.name === "adminLogout" || r.name === "submitLogout";
  if (endsSession && (column === "viewer" || column === "operator" || column === "owner")) client = await callers.throwaway(column);
  const res = await client.req(r.method, path, r.method === "GET" ? undefined : {});
  // GET /api/admin/auth/csrf rotates the session's CSRF token: keep the client's copy current
  if (r.name === "adminCsrf" && res.status === 200 && client.cookie) {
    callers.clients[column as "viewer"] = s.clientWith({ cookie: client.cookie, csrf: res.body.data.csrfToken, userId: client.userId! });
  }
  return res;
}

t.test("the route table and the RBAC matrix list the same routes", async (t) => {
  const s = await startTestServer(t);
  const live = new Set(s.routes.map(key));
  for (const k of live) t.ok(RBAC_MATRIX[k], `${k} has a row in test/rbacMatrix.ts`);
  for (const k of Object.keys(RBAC_MATRIX)) t.ok(live.has(k), `matrix row ${k} is a live route`);
  for (const [k, row] of Object.entries(RBAC_MATRIX)) t.equal(row.length, COLUMNS.length, `${k}: one status per column`);
});

t.test("every route x every caller answers the status of the matrix", async (t) => {
  t.setTimeout(120_000);
  const s = await startTestServer(t, { env: { CAPSTAN_METRICS: "token", CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.2", CAPSTAN_BUS_ENABLED: "true", CAPSTAN_MESSAGES_ENABLED: "true" } });
  const callers = await setUp(s);
  let cells = 0;
  const missing: string[] = [];
  for (const r of s.routes) {
    // PostgreSQL: the snapshot routes answer an allowed owner 409 BACKUP_NOT_AVAILABLE (pg_dump's job)
    const expected = s.db.kind === "postgres" && /\/backup(\/sqlite)?$/.test(key(r)) ? RBAC_MATRIX[key(r)]?.map((c) => (c === 200 ? 409 : c)) : RBAC_MATRIX[key(r)];
    const observed: number[] = [];
    for (const [i, column] of COLUMNS.entries()) {
      const res = await call(s, callers, r, column);
      observed.push(res.status);
      cells++;
      if (!expected) continue;
      const code = res.body?.error?.code as string | undefined;
      t.equal(res.status, expected[i], `${key(r)} as ${column}: ${expected[i]} (got ${res.status} ${code ?? ""})`);
      t.notOk(res.status >= 500, `${key(r)} as ${column}: no 5xx`);
      // an allowed caller is never refused by the auth layer; a refused one is refused by it, not by a handler
      if (!r.page && (res.status === 401 || res.status === 403) && r.auth !== "public") {
        t.ok(AUTH_CODES.has(code ?? ""), `${key(r)} as ${column}: refused with an auth code (${code})`);
      }
    }
    if (!expected) missing.push(`  ${JSON.stringify(key(r))}: [${observed.join(", ")}],`);
  }
  if (missing.length) t.fail(`routes without a matrix row; the server currently answers (review before copying):\n${missing.join("\n")}`);
  t.comment(`${cells} cells checked (${s.routes.length} routes x ${COLUMNS.length} callers)`);
});
