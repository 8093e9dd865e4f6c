// Payload templates: exact placeholders only, missing values left out, no prototype access.
import t from "tap";
import { renderPayload, templateIssues } from "../../src/domain/bus/template.js";

const LIMIT = 1_048_576;
const event = { eventId: "bev_X", eventType: "shop.item.created", sourceServiceCode: "shop", data: { item: { name: "Mug", tags: ["a", "b"], n: 0 }, ok: false } };

t.test("placeholders are replaced by values of any JSON type; other strings are literal", async (t) => {
  const out = renderPayload({
    name: "{{event.data.item.name}}", spaced: "{{ event.data.item.name }}", item: "{{event.data.item}}", zero: "{{event.data.item.n}}",
    flag: "{{event.data.ok}}", first: "{{event.data.item.tags.0}}", type: "{{event.eventType}}", source: "{{event.sourceServiceCode}}",
    id: "{{event.eventId}}", all: "{{event.data}}", literal: "hello {{event.eventType}}", braces: "{{", nested: { list: ["{{event.data.item.n}}", 1, null] },
  }, event, LIMIT);
  t.same(out, {
    name: "Mug", spaced: "Mug", item: event.data.item, zero: 0, flag: false, first: "a", type: "shop.item.created", source: "shop",
    id: "bev_X", all: event.data, literal: "hello {{event.eventType}}", braces: "{{", nested: { list: [0, 1, null] },
  });
  t.same(renderPayload(null, event, LIMIT), {}, "no template: empty payload");
});

t.test("a missing value drops its key (null inside arrays) and never reads prototypes", async (t) => {
  const out = renderPayload({ a: "{{event.data.nope}}", b: "{{event.data.item.name.length}}", c: ["{{event.data.x.y}}"], d: "{{event.data.constructor}}", e: "{{event.data.__proto__}}" }, event, LIMIT);
  t.same(out, { c: [null] });
  const proto = renderPayload(JSON.parse('{"__proto__": {"polluted": true}}'), event, LIMIT);
  t.equal(Object.getPrototypeOf(proto), Object.prototype, "a __proto__ key stays a key");
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});

t.test("unknown placeholders are reported with their path", async (t) => {
  t.same(templateIssues({ a: "{{event.data.x}}", b: ["ok", "{{event.eventType}}"] }), []);
  const issues = templateIssues({ a: "{{event.dta.x}}", b: [1, "{{ secrets.key }}"], c: { d: "{{event.data..x}}" }, e: "{{}}" });
  t.same(issues.map((i) => i.path), ["action.payloadTemplate.a", "action.payloadTemplate.b.1", "action.payloadTemplate.c.d", "action.payloadTemplate.e"]);
});
