// Secret payload fields (format: password / writeOnly) are found wherever the schema puts them:
// nested objects, $ref into $defs/definitions, array items and prefixItems, additionalProperties,
// patternProperties, allOf/anyOf. None reaches the database, its WAL, audit metadata or a viewer;
// the agent still receives every real value in its place. Positions Capstan cannot locate soundly
// are refused when the service reports the schema.
import t from "tap";
import { busKit, TARGET_ACTIONS } from "../bus/_kit.js";
import { reportedService } from "../fixtures.js";
import { databaseText } from "../testDb.js";

const pw = { type: "string", format: "password" };
const wo = { type: "string", writeOnly: true };

const SECRET_ACTION = {
  name: "deepSecrets", label: "Deep secrets", dangerLevel: "LOW",
  inputSchema: {
    type: "object",
    $defs: { cred: { type: "object", properties: { token: wo, user: { type: "string" } } } },
    definitions: { pin: pw },
    properties: {
      top: pw,
      nested: { type: "object", properties: { deeper: { type: "object", properties: { pin: pw, note: { type: "string" } } } } },
      viaRef: { $ref: "#/$defs/cred" },
      viaDefinitions: { $ref: "#/definitions/pin" },
      list: { type: "array", items: { type: "object", properties: { key: wo, name: { type: "string" } } } },
      tuple: { type: "array", prefixItems: [{ type: "string" }, pw] },
      map: { type: "object", additionalProperties: pw },
      pat: { type: "object", patternProperties: { "^s_": wo }, additionalProperties: { type: "string" } },
      combo: { allOf: [{ type: "object", properties: { a: pw } }, { type: "object", properties: { b: { type: "string" } } }] },
      choice: { anyOf: [{ type: "object", properties: { c: wo }, required: ["c"] }, { type: "string" }] },
      whole: { type: "object", writeOnly: true },
    },
  },
};

const S = (name: string) => `raw-secret-${name}-9c4e1f`;
const PAYLOAD = {
  top: S("top"),
  nested: { deeper: { pin: S("nested"), note: "visible-note" } },
  viaRef: { token: S("ref"), user: "visible-user" },
  viaDefinitions: S("definitions"),
  list: [{ key: S("item0"), name: "first" }, { key: S("item1"), name: "second" }],
  tuple: ["visible-head", S("prefix")],
  map: { anything: S("additional") },
  pat: { s_one: S("pattern"), plain: "visible-plain" },
  combo: { a: S("allof"), b: "visible-b" },
  choice: { c: S("anyof") },
  whole: { inner: S("whole") },
};
const SECRETS = JSON.stringify(PAYLOAD).match(/raw-secret-[a-z0-9]+-9c4e1f/g)!;

t.test("secrets in every position stay out of storage and reach the agent in place", async (t) => {
  const k = await busKit(t);
  const reported = await k.target.agent.post(`/api/agents/${k.target.agentId}/services/report`, {
    services: [reportedService("mailer", { actions: [...TARGET_ACTIONS, SECRET_ACTION] })],
  });
  t.equal(reported.status, 200, `the schema is accepted: ${reported.text.slice(0, 300)}`);
  t.equal(SECRETS.length, 12, "twelve secret values in eleven positions");

  const exec = await k.operator.post(`/api/admin/capsule-services/${k.target.serviceId}/actions/deepSecrets`, { payload: PAYLOAD });
  t.equal(exec.status, 200, exec.text.slice(0, 300));
  const id = exec.body.data.id as string;
  t.same(exec.body.data.payload.list, [{ key: "[REDACTED]", name: "first" }, { key: "[REDACTED]", name: "second" }], "items: each element's secret replaced");
  t.same(exec.body.data.payload.pat, { s_one: "[REDACTED]", plain: "visible-plain" }, "patternProperties: only the matching key");
  t.same(exec.body.data.payload.whole, "[REDACTED]", "a secret object is replaced whole");
  t.equal(exec.body.data.payload.nested.deeper.note, "visible-note", "non-secret siblings are kept");

  const viewer = k.viewer;
  for (const path of [`/api/admin/commands/${id}`, "/api/admin/commands", `/api/admin/commands?actionName=deepSecrets`, "/api/admin/audit-events?pageSize=100"]) {
    const res = await (path.startsWith("/api/admin/audit") ? k.operator : viewer).get(path);
    t.equal(res.status, 200, `${path} answers`);
    t.same(SECRETS.filter((s) => res.text.includes(s)), [], `${path} shows no secret value`);
  }
  const audit = (await k.audit("service.action.requested")).map((a) => JSON.stringify(a.metadata)).join("\n");
  t.ok(audit.includes("visible-note"), "the audit metadata does carry the payload");
  t.same(SECRETS.filter((s) => audit.includes(s)), [], "but none of its secrets");

  const polled = await k.target.agent.get(`/api/agents/${k.target.agentId}/commands`);
  const cmd = polled.body.data.find((c: { id: string }) => c.id === id);
  t.same(cmd?.payload, PAYLOAD, "the agent receives every real value in its place");

  // a dry-run bus route into the secret field: its audit shows what would run, without the secret
  const route = await k.createRoute({
    name: "dry secrets", status: "DRY_RUN", trigger: { eventType: "shop.login", sourceServiceCode: "shop" },
    action: { targetServiceCode: "mailer", actionName: "deepSecrets", payloadTemplate: { top: "{{event.data.v}}", list: [{ key: "{{event.data.v}}" }] } },
  });
  t.equal(route.status, 200);
  t.equal((await k.publish({ eventType: "shop.login", data: { v: S("bus") } })).status, 200);
  const dry = JSON.stringify((await k.audit("bus.route.matched")).map((a) => a.metadata));
  t.ok(dry.includes("wouldRun"), "the dry run is audited");
  t.notOk(dry.includes(S("bus")), "without the value of the secret field");

  await k.s.close();
  // the SQLite file and its WAL, or a pg_dump of the PostgreSQL database
  const where = k.s.db.kind === "postgres" ? "pg_dump" : "capstan.db(+wal)";
  const bytes = databaseText(k.s);
  t.same(SECRETS.filter((s) => bytes.includes(s)), [], `${where} holds none of the secret values`);
  t.ok(bytes.includes("visible-note"), `${where} was really scanned`);
});

t.test("secrets where Capstan cannot tell which values they are: refused at report time", async (t) => {
  const k = await busKit(t);
  const cases: [string, Record<string, unknown>, string][] = [
    ["underNot", { type: "object", properties: { x: { not: pw } } }, 'under "not"'],
    ["underContains", { type: "object", properties: { x: { type: "array", contains: pw } } }, 'under "contains"'],
    ["underPropertyNames", { type: "object", propertyNames: pw }, 'under "propertyNames"'],
    ["viaRefUnderContains", { $defs: { s: pw }, type: "object", properties: { x: { type: "array", contains: { $ref: "#/$defs/s" } } } }, 'under "contains"'],
    ["rootSecret", { type: "object", writeOnly: true }, "the payload itself cannot be secret"],
    ["remoteSecretRef", { type: "object", properties: { x: { $ref: "https://example.com/secret.json" } } }, "only local refs"],
  ];
  for (const [name, inputSchema, text] of cases) {
    const res = await k.target.agent.post(`/api/agents/${k.target.agentId}/services/report`, {
      services: [reportedService("mailer", { actions: [...TARGET_ACTIONS, { name, label: name, inputSchema }] })],
    });
    t.equal(res.status, 422, `${name}: refused`);
    t.equal(res.body.error?.code, "VALIDATION_FAILED");
    t.match(res.body.error?.message, `action ${name} of mailer`, `${name}: names the action`);
    const why = [res.body.error?.message, ...(res.body.error?.details?.issues ?? []).map((i: { message: string }) => i.message)].join("\n");
    t.match(why, text, `${name}: says why (${text})`);
  }
});
