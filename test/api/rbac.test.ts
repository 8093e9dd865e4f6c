// RBAC over the route table: every route x {no credentials, viewer, operator, owner (sessions
// and API tokens), agent token}. Who may call what comes from the shared matrix (test/rbacMatrix.ts):
// every route must have a row there, and its declared auth must be what the row says. A route whose
// auth kind this test does not know fails it.
import t from "tap";
import { createApiToken } from "../../src/domain/apiTokens.js";
import { ROLE_RANK, type Role } from "../../src/auth/roles.js";
import type { AnyRoute } from "../../src/context.js";
import { startTestServer, type Client } from "../helpers.js";
import { RBAC_MATRIX, whoMayCall } from "../rbacMatrix.js";

const FAKE_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
const PARAM_PREFIX: Record<string, string> = {
  agentId: "agt", commandId: "cmd", serviceId: "svc", tokenId: "tok", userId: "usr", auditEventId: "aud", routeId: "brr", eventId: "bev", approvalId: "apr", policyId: "apl",
};
const concretePath = (r: AnyRoute) =>
  r.path.replace(/:(\w+)/g, (_m: string, name: string) => (PARAM_PREFIX[name] ? `${PARAM_PREFIX[name]}_${FAKE_ID}` : "x"));
const AUTH_CODES = new Set(["UNAUTHORIZED", "FORBIDDEN", "CSRF_INVALID", "AGENT_TOKEN_INVALID", "SESSION_INVALID", "SESSION_EXPIRED"]);

async function call(client: Client, r: AnyRoute) {
  return client.req(r.method, concretePath(r), r.method === "GET" ? undefined : {});
}

t.test("every route enforces its declared auth", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_METRICS: "token" } });
  const roles: Role[] = ["viewer", "operator", "owner"];
  const sessions: Record<string, Client> = {};
  const tokens: Record<string, Client> = {};
  for (const role of roles) {
    sessions[role] = await s.loginAs(role);
    const tok = await createApiToken(s.app, { type: "SYSTEM", id: null }, sessions[role]!.userId!, { name: `rbac-${role}` });
    tokens[role] = s.clientWith({ token: tok.rawToken });
  }
  const agentLike = s.clientWith({ token: "opstage_agent_0000000000000000000000000000000000000000000" });
  const known = new Set(["public", "agent", ...roles]);

  for (const r of s.routes) {
    const label = `${r.method} ${r.path} (${r.name})`;
    t.ok(known.has(r.auth), `${label}: auth kind ${r.auth} is known`);
    const key = `${r.method} ${r.path}`;
    if (!t.ok(RBAC_MATRIX[key], `${label}: has a row in test/rbacMatrix.ts`)) continue;
    const may = whoMayCall(key);
    t.equal(r.auth, may, `${label}: declared auth is the matrix's (${may})`);
    if (may === "public") continue;
    if (r.path.includes("logout")) continue; // covered in the auth tests; it would end the session under test

    const anon = await call(s.anon, r);
    if (may === "agent") {
      t.equal(anon.status, 401, `${label}: no token -> 401`);
      const pat = await call(tokens.owner!, r);
      t.equal(pat.status, 401, `${label}: an admin API token is refused on the agent API`);
      continue;
    }
    if (r.page) {
      t.ok(anon.status === 303 || anon.status === 401, `${label}: no credentials -> login (${anon.status})`);
    } else {
      t.equal(anon.status, 401, `${label}: no credentials -> 401`);
      t.equal((await call(agentLike, r)).status, 401, `${label}: agent token refused on the admin API`);
    }
    for (const role of roles) {
      const allowed = ROLE_RANK[role] >= ROLE_RANK[may];
      for (const [kind, client] of [["session", sessions[role]!], ["apiToken", tokens[role]!]] as const) {
        const res = await call(client, r);
        // the CSRF endpoint rotates the session's token: keep the client's copy current
        if (r.name === "adminCsrf" && kind === "session" && res.status === 200) {
          sessions[role] = s.clientWith({ cookie: client.cookie!, csrf: res.body.data.csrfToken, userId: client.userId! });
        }
        const code = res.body?.error?.code as string | undefined;
        if (allowed) {
          t.notOk(AUTH_CODES.has(code ?? "") && (res.status === 401 || res.status === 403), `${label}: ${role} via ${kind} passes auth (got ${res.status} ${code ?? ""})`);
        } else {
          t.equal(res.status, 403, `${label}: ${role} via ${kind} -> 403`);
        }
      }
      if (allowed && r.method !== "GET" && !r.noCsrf) {
        const noCsrf = s.clientWith({ cookie: sessions[role]!.cookie! });
        const res = await call(noCsrf, r);
        t.equal(res.status, 403, `${label}: ${role} session without CSRF -> 403`);
        if (!r.page) t.equal(res.body?.error?.code, "CSRF_INVALID");
      }
    }
  }
});
