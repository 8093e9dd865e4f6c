// The HTTP channel end to end: a messages-scoped token submits a message, the route sends it to the
// real demo service (Node SDK bundle, onMessage) as a MESSAGE command, the reply comes back through a
// long poll. Plus: unrouted answers, scope limits, audit, and the feature switch.
import t from "tap";
import { startTestServer } from "../helpers.js";
import { addRoute, auditActions, DEMO, messagesServer, startDemo, tokenClient } from "./_kit.js";

t.setTimeout(120_000);

t.test("a /status message and a free-text message reach the demo and its replies come back", async (t) => {
  const s = await messagesServer(t);
  const op = await s.loginAs("operator");
  const demo = await startDemo(t, s);
  const service = await op.get(`/api/admin/capsule-services/${demo.agent.serviceId}`);
  t.match(service.body.data.manifest.message, { supportedTypes: ["QUERY", "COMMAND"], commands: ["/status"] }, "the SDK declared message support");
  const statusRoute = await addRoute(op, { name: "status", priority: 10, match: { commandPrefix: "/status" } });
  const helloRoute = await addRoute(op, { name: "hello", priority: 20, match: { textPrefix: "hello" } });
  const chat = await tokenClient(s, ["messages"]);

  const sent = await chat.post("/api/messages", { channel: "http", conversationId: "c-1", sender: { id: "u-1", name: "Ann" }, type: "COMMAND", text: "/status" });
  t.equal(sent.status, 202, sent.text);
  const id = sent.body.data.messageId as string;
  t.match(id, /^msg_/);
  const answered = await chat.get(`/api/messages/${id}?wait=20`);
  t.equal(answered.status, 200, answered.text);
  t.match(answered.body.data, { status: "ANSWERED", routeId: statusRoute, serviceCode: DEMO, reply: { messageId: id, format: "text" } });
  t.match(answered.body.data.reply.text, /^Demo Capsule Service is UP: queue depth 3; 2 items\.$/);
  t.equal(answered.body.data.reply.data.items, 2);
  t.ok(answered.body.data.latencyMs >= 0);

  const cmd = await op.get(`/api/admin/commands/${answered.body.data.commandId}`);
  t.match(cmd.body.data, { type: "MESSAGE", status: "SUCCEEDED", serviceId: demo.agent.serviceId, payload: { messageId: id, text: "/status" } }, "delivered as a MESSAGE command");

  const free = await chat.post("/api/messages", { conversationId: "c-1", sender: { id: "u-1" }, text: "hello there" });
  const freeReply = await chat.get(`/api/messages/${free.body.data.messageId}?wait=20`);
  t.match(freeReply.body.data, { status: "ANSWERED", routeId: helloRoute, type: "QUERY", reply: { text: "Demo Capsule Service heard: hello there" } });

  const lost = await chat.post("/api/messages", { conversationId: "c-1", sender: { id: "u-1" }, text: "what is the weather" });
  t.equal(lost.status, 202);
  t.equal(lost.body.data.status, "UNROUTED", "answered at once");
  const lostRead = await chat.get(`/api/messages/${lost.body.data.messageId}`);
  t.match(lostRead.body.data, { status: "UNROUTED", routeId: null, reply: { text: s.config.messagesUnroutedReply } });

  t.same(await auditActions(s, id), ["message.received", "message.routed", "message.answered"], "the message and its reply are audited");
  t.same(await auditActions(s, lost.body.data.messageId), ["message.received", "message.unrouted"]);
  const answeredAudit = await s.db.get<{ metadata_json: string }>(`SELECT metadata_json FROM audit_events WHERE action = 'message.answered' AND target_id = ?`, [id]);
  t.match(JSON.parse(answeredAudit!.metadata_json), { reply: answered.body.data.reply.text, serviceCode: DEMO });

  // the Messages list (admin API) shows all three with route, service and reply
  const list = await op.get("/api/admin/messages?conversationId=c-1");
  t.equal(list.body.data.length, 3);
});

t.test("a messages-only token reaches /api/messages and nothing else; tokens default to admin", async (t) => {
  const s = await messagesServer(t);
  const chat = await tokenClient(s, ["messages"], "operator");
  const denied = await chat.get("/api/admin/capsule-services");
  t.equal(denied.status, 403);
  t.equal(denied.body.error.code, "TOKEN_SCOPE_FORBIDDEN");
  const admin = await s.loginAs("operator");
  const made = await admin.post("/api/admin/api-tokens", { name: "plain" });
  t.same(made.body.data.scopes, ["admin"], "default scope is today's behaviour");
  const adminToken = s.clientWith({ token: made.body.data.rawToken });
  t.equal((await adminToken.get("/api/admin/capsule-services")).status, 200);
  t.equal((await adminToken.post("/api/messages", { conversationId: "c", sender: { id: "x" }, text: "hi" })).status, 202, "an admin token may send messages too");
  const bad = await admin.post("/api/admin/api-tokens", { name: "bad", scopes: ["root"] });
  t.equal(bad.status, 422);
  // another user's message is invisible to a messages-only token
  const other = await adminToken.post("/api/messages", { conversationId: "c", sender: { id: "x" }, text: "mine" });
  const peek = await chat.get(`/api/messages/${other.body.data.messageId}`);
  t.equal(peek.status, 404);
  t.equal(peek.body.error.code, "MESSAGE_NOT_FOUND");
});

t.test("a service that did not declare message support never receives a message", async (t) => {
  const s = await messagesServer(t);
  const { registerTestAgent } = await import("../fixtures.js");
  const plain = await registerTestAgent(s, { serviceCode: "plain-service" });
  const op = await s.loginAs("operator");
  await addRoute(op, { name: "to plain", match: {}, target: { serviceCode: "plain-service" } });
  const chat = await tokenClient(s, ["messages"]);
  const sent = await chat.post("/api/messages", { conversationId: "c", sender: { id: "u" }, text: "anything" });
  t.equal(sent.status, 202);
  const read = await chat.get(`/api/messages/${sent.body.data.messageId}?wait=2`);
  t.match(read.body.data, { status: "FAILED", errorCode: "MESSAGE_TARGET_UNSUPPORTED", serviceCode: "plain-service", commandId: null });
  const polled = await plain.agent.get(`/api/agents/${plain.agentId}/commands?limit=10`);
  t.same(polled.body.data, [], "the agent's poll finds nothing");
  const n = await s.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM commands WHERE type = 'MESSAGE'`);
  t.equal(Number(n!.n), 0, "no MESSAGE command was ever created");
  t.same(await auditActions(s, sent.body.data.messageId), ["message.received", "message.refused"]);
});

t.test("message routing is off by default: 503 on the APIs", async (t) => {
  const s = await startTestServer(t);
  const op = await s.loginAs("operator");
  const res = await op.post("/api/messages", { conversationId: "c", sender: { id: "u" }, text: "hi" });
  t.equal(res.status, 503);
  t.equal(res.body.error.code, "MESSAGES_DISABLED");
  t.equal((await op.get("/api/admin/message-routes")).status, 503);
});
