// Audit free-text search through the real server: the admin API list, the console page /audit and the
// export answer the same events for the same q (indexed path, scan path for q under 3 characters,
// after a retention run), and a q matching more than the cap says so in each place.
import t from "tap";
import { insertAuditEvent, SEARCH_COUNT_CAP, type AuditRow } from "../../src/db/audit.js";
import { runMaintenance } from "../../src/domain/maintenance.js";
import { startTestServer, type Client } from "../helpers.js";

t.setTimeout(300_000); // 10,000+ inserts and a retention run on a loaded machine

const DAY = 86_400_000;
let n = 0;
const event = (createdAt: Date, over: Partial<AuditRow> = {}): AuditRow => ({
  id: `aud_01TEST${String(++n).padStart(20, "0")}`, createdAt: createdAt.toISOString(), actorType: "SYSTEM", actorId: null,
  action: "bench.event", targetType: null, targetId: null, result: "SUCCESS", message: null, metadata: null, requestId: null, ...over,
});

async function three(c: Client, q: string): Promise<{ api: string[]; page: string[]; exported: string[]; total: number }> {
  const api = await c.get(`/api/admin/audit-events?pageSize=100&action=bench.event&q=${encodeURIComponent(q)}`);
  const html = await c.get(`/audit?pageSize=100&action=bench.event&q=${encodeURIComponent(q)}`);
  const nd = await c.get(`/api/admin/audit-events/export?format=ndjson&action=bench.event&q=${encodeURIComponent(q)}`);
  return {
    api: api.body.data.map((e: { id: string }) => e.id),
    page: [...html.text.matchAll(/<tr id="audit-(aud_\w+)"/g)].map((m) => m[1]!),
    exported: nd.text.trim() ? nd.text.trim().split("\n").map((l) => (JSON.parse(l) as { id: string }).id) : [],
    total: api.body.pagination.total,
  };
}

t.test("API, console and export agree on q, before and after retention deletes events", async (t) => {
  const now = new Date();
  const s = await startTestServer(t, { env: { CAPSTAN_AUDIT_RETENTION_DAYS: "30" }, now: () => now });
  const owner = await s.loginAs("owner");
  const old = event(new Date(now.getTime() - 40 * DAY), { message: "Disk FULL on node-7 (100%)" });
  const fresh = event(new Date(now.getTime() - DAY), { message: "disk full on node-8 (100%)" });
  const other = event(new Date(now.getTime() - DAY + 1000), { message: "disk_full", targetType: "Agent", targetId: "agt_disk" });
  for (const e of [old, fresh, other]) await insertAuditEvent(s.app.db, e);

  const cases: [string, string[]][] = [["disk full", [fresh.id, old.id]], ["(100%)", [fresh.id, old.id]], ["k_f", [other.id]], ["%", [fresh.id, old.id]], ["node-", [fresh.id, old.id]], ["agt_d", [other.id]]];
  for (const [q, want] of cases) {
    const got = await three(owner, q);
    t.same([got.api, got.page, got.exported, got.total], [want, want, want, want.length], `q=${q}`);
  }
  await runMaintenance(s.app);
  for (const [q, want] of cases) {
    const left = want.filter((id) => id !== old.id);
    const got = await three(owner, q);
    t.same([got.api, got.page, got.exported, got.total], [left, left, left, left.length], `after retention, q=${q}`);
  }
});

t.test(`a q matching more than ${SEARCH_COUNT_CAP} events: pagination.totalCapped, "of ${SEARCH_COUNT_CAP}+" and a next page in the console`, async (t) => {
  const s = await startTestServer(t);
  const owner = await s.loginAs("owner");
  const t0 = Date.now() - DAY;
  await s.app.db.transaction(async () => {
    for (let i = 0; i <= SEARCH_COUNT_CAP; i++) await insertAuditEvent(s.app.db, event(new Date(t0 + i), { message: `many ${i}` }));
  });
  const capped = await owner.get("/api/admin/audit-events?q=many&pageSize=100");
  t.same(capped.body.pagination, { page: 1, pageSize: 100, total: SEARCH_COUNT_CAP, totalCapped: true });
  const exact = await owner.get("/api/admin/audit-events?q=many%2010000&pageSize=100");
  t.same(exact.body.pagination, { page: 1, pageSize: 100, total: 1 }, "an exact total carries no flag");
  const last = await owner.get(`/audit?q=many&pageSize=100&page=${SEARCH_COUNT_CAP / 100}`);
  t.match(last.text, `${SEARCH_COUNT_CAP - 99}-${SEARCH_COUNT_CAP} of ${SEARCH_COUNT_CAP}+`);
  t.match(last.text, /rel="next"/, "the capped last page still links to the next one");
  const beyond = await owner.get(`/audit?q=many&pageSize=100&page=${SEARCH_COUNT_CAP / 100 + 1}`);
  t.same([...beyond.text.matchAll(/<tr id="audit-(aud_\w+)"/g)].length, 1, "the event past the cap is on the next page");
});
