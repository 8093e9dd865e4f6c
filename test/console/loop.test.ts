// Acceptance 1 + 2: the whole governance loop, driven like a browser with JavaScript off.
import t from "tap";
import { startTestServer } from "../helpers.js";
import { loginBrowser } from "./_browser.js";
import { enrol } from "./_agent.js";

const ACTIONS = [
  {
    name: "echo", label: "Echo", dangerLevel: "LOW",
    inputSchema: {
      type: "object",
      properties: {
        message: { type: "string", minLength: 1, maxLength: 100, description: "what to say back" },
        times: { type: "integer", minimum: 1, maximum: 5, default: 1 },
        mode: { type: "string", enum: ["plain", "loud"] },
        dryRun: { type: "boolean" },
      },
      required: ["message"],
    },
  },
  { name: "rotateKey", label: "Rotate key", dangerLevel: "HIGH", inputSchema: { type: "object", properties: { reason: { type: "string" } } } },
];

t.test("log in, enrol, run an action, watch it finish, read the audit and export it", async (t) => {
  const s = await startTestServer(t);
  const b = await loginBrowser(s, "owner", "ona");

  // a registration token: raw value and env snippet once, then never again
  const created = await b.post("/tokens", { name: "billing on host-1", expiresInSeconds: "3600", maxUses: "1" });
  t.equal(created.status, 303);
  const tokens = await b.follow(created);
  const raw = /id="secret-value" class="secret" type="text" readonly value="(opstage_reg_[0-9A-Za-z]+)"/.exec(tokens.text)?.[1];
  t.ok(raw, "raw token shown");
  t.match(tokens.text, `CAPSTAN_REGISTRATION_TOKEN=${raw}`);
  t.match(tokens.text, /CAPSTAN_URL=http:\/\/127\.0\.0\.1:\d+/);
  t.match(tokens.text, 'data-copy="#secret-value"');
  t.match(tokens.text, "billing on host-1");
  t.notMatch((await b.get("/tokens")).text, raw!, "shown only once");

  // the service starts with it: agent and service appear
  const agent = await enrol(s, raw!, { code: "billing-agent", serviceCode: "billing", actions: ACTIONS, name: "Billing worker" });
  const agents = await b.get("/agents");
  t.match(agents.text, `id="agent-${agent.agentId}"`);
  t.match(agents.text, ">ONLINE<");
  const services = await b.get("/services");
  t.match(services.text, `id="service-${agent.serviceId}"`);
  t.match(services.text, "Billing worker");
  const detail = await b.get(`/services/${agent.serviceId}`);
  t.match(detail.text, `href="/services/${agent.serviceId}/actions/echo"`, "run link for an operator");

  // open the action: the page waits for the agent's prepare answer
  const opening = b.get(`/services/${agent.serviceId}/actions/echo`);
  const prep = await agent.next();
  t.equal(prep.type, "ACTION_PREPARE");
  await agent.result(prep.id, { success: true, data: { initialPayload: { message: "hello" }, currentState: { queued: 3 } } });
  const form = await opening;
  t.equal(form.status, 200);
  t.match(form.text, 'id="action-run"');
  t.match(form.text, 'name="p.message" value="hello"', "initial payload prefilled");
  t.match(form.text, 'name="p.times" value="1" type="number" step="1"', "schema default, integer input");
  t.match(form.text, /<select id="f-mode" name="p.mode">\s*<option value="">/);
  t.match(form.text, 'type="checkbox" name="p.dryRun" value="true"');
  t.match(form.text, "what to say back");
  t.match(form.text, "&quot;queued&quot;: 3", "current state shown");
  t.match(form.text, `hx-post="/services/${agent.serviceId}/actions/echo"`);

  // bad input comes back as the form with 422 and the field's message
  const bad = await b.post(`/services/${agent.serviceId}/actions/echo`, { "p.message": "hi", "p.times": "9", "p.dryRun": "false" });
  t.equal(bad.status, 422);
  t.match(bad.text, 'id="error-times"');
  t.match(bad.text, 'name="p.message" value="hi"', "typed values kept");
  const notNumber = await b.post(`/services/${agent.serviceId}/actions/echo`, { "p.message": "hi", "p.times": "two" });
  t.equal(notNumber.status, 422);
  t.match(notNumber.text, "must be a whole number");

  // run it: redirect to the live command
  const run = await b.post(`/services/${agent.serviceId}/actions/echo`, { "p.message": "hi there", "p.times": "2", "p.mode": "loud", "p.dryRun": ["false", "true"] });
  t.equal(run.status, 303);
  t.match(run.location, /^\/commands\/cmd_/);
  const pending = await b.follow(run);
  t.match(pending.text, ">PENDING<");
  t.match(pending.text, `hx-get="${run.location}" hx-trigger="every 2s"`, "live view polls");
  t.match(pending.text, "&quot;dryRun&quot;: true");

  const cmd = await agent.next();
  t.equal(cmd.actionName, "echo");
  t.same(cmd.payload, { message: "hi there", times: 2, mode: "loud", dryRun: true });
  await agent.progress(cmd.id, { percent: 0.4, message: "warming up", logs: [{ level: "info", message: "said hi once" }] });
  const running = await b.get(run.location!, { hx: true });
  t.equal(running.headers.get("vary"), "HX-Request");
  t.match(running.text, /^<section id="command-live"/, "the fragment alone for htmx");
  t.match(running.text, ">RUNNING<");
  t.match(running.text, '<progress id="command-progress" max="100" value="40">');
  t.match(running.text, "warming up");
  t.match(running.text, "INFO said hi once");
  t.match(running.text, 'hx-trigger="every 2s"');
  await agent.result(cmd.id, { success: true, message: "said it twice", data: { count: 2 } });
  const done = await b.get(run.location!);
  t.match(done.text, ">SUCCEEDED<");
  t.match(done.text, 'id="result-message">said it twice<');
  t.match(done.text, "&quot;count&quot;: 2");
  t.notMatch(done.text, 'hx-trigger="every 2s"', "polling stops at a terminal state");
  t.match(done.text, "command.completed", "audit trail on the command page");

  // audit with filters and export links of the same filter
  const audit = await b.get(`/audit?targetId=${cmd.id}`);
  t.match(audit.text, "command.dispatched");
  t.match(audit.text, "command.completed");
  const csvHref = /href="(\/api\/admin\/audit-events\/export\?[^"]+)"/.exec(audit.text)![1]!.replace(/&amp;/g, "&");
  t.match(csvHref, `targetId=${cmd.id}`);
  t.match(csvHref, "format=csv");
  const csv = await b.get(csvHref);
  t.equal(csv.status, 200);
  t.match(csv.headers.get("content-type"), /^text\/csv/);
  t.match(csv.text, /^id,createdAt,actorType/);
  t.match(csv.text, "command.completed");
  const htmxAudit = await b.get("/audit?result=SUCCESS", { hx: true });
  t.match(htmxAudit.text, /^<div id="audit-rows">/);
});

t.test("HIGH actions ask for confirmation; a generated key is shown once", async (t) => {
  const s = await startTestServer(t, { env: { CAPSTAN_PREPARE_TIMEOUT_SECONDS: "0.2" } });
  const b = await loginBrowser(s, "operator", "opal");
  const tok = await b.post("/tokens", { name: "keys" });
  const raw = /value="(opstage_reg_[0-9A-Za-z]+)"/.exec((await b.follow(tok)).text)![1]!;
  const agent = await enrol(s, raw, { code: "keys-agent", serviceCode: "keys", actions: ACTIONS });

  // the agent does not answer the prepare: the declared form still works
  const form = await b.get(`/services/${agent.serviceId}/actions/rotateKey`);
  t.equal(form.status, 200);
  t.match(form.text, 'id="prepare-notice"');
  t.match(form.text, "Continue Rotate key");
  const step = await b.post(`/services/${agent.serviceId}/actions/rotateKey`, { "p.reason": "leaked" });
  t.equal(step.status, 200, "confirmation step, nothing created yet");
  t.match(step.text, "You are about to run <strong>Rotate key</strong>");
  t.match(step.text, "&quot;reason&quot;: &quot;leaked&quot;");
  t.match(step.text, '<input type="hidden" name="p.reason" value="leaked">');
  t.match(step.text, '<input type="hidden" name="confirmed" value="yes">');
  const list = await b.get("/commands?type=ACTION_EXECUTE");
  t.match(list.text, "No commands", "not executed before confirming");
  const run = await b.post(`/services/${agent.serviceId}/actions/rotateKey`, { "p.reason": "leaked", confirmed: "yes" });
  t.equal(run.status, 303);
  const cmd = await agent.next();
  await agent.result(cmd.id, { success: true, message: "rotated", data: { generatedKey: "sk-live-ONE-TIME-123" } });
  const first = await b.get(run.location!);
  t.match(first.text, 'id="generated-key-value" class="secret" type="text" readonly aria-label="Generated key" value="sk-live-ONE-TIME-123"');
  t.equal(first.text.split("sk-live-ONE-TIME-123").length, 2, "the key appears exactly once in the page");
  const second = await b.get(run.location!);
  t.notMatch(second.text, "sk-live-ONE-TIME-123");
  t.match(second.text, "It is shown once, within 15 minutes, to the user who ran the command or an owner");

  // retry needs the confirmation again
  t.match(second.text, 'name="confirmation" value="true" required');
  const unconfirmed = await b.post(`${run.location}/retry`, {});
  t.equal(unconfirmed.status, 422);
  t.match(unconfirmed.text, "must be confirmed");
  const retried = await b.post(`${run.location}/retry`, { confirmation: "true" });
  t.equal(retried.status, 303);
  t.not(retried.location, run.location);
  const retry = await b.follow(retried);
  t.match(retry.text, "Retry of");
  // cancel the pending retry
  const cancelled = await b.post(`${retried.location}/cancel`);
  t.equal(cancelled.status, 303);
  t.match((await b.follow(cancelled)).text, ">CANCELLED<");
});
