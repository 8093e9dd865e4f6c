// The bus tables' SQL, run directly against a migrated database.
import t from "tap";
import { join } from "node:path";
import { openTestDb } from "../testDb.js";
import { deleteBusEventsBefore, getBusEvent, getBusEventByClientId, insertBusEvent, listBusEvents, type BusEventRow } from "../../src/db/busEvents.js";
import { deleteBusRoute, getBusRoute, insertBusRoute, listBusRoutes, liveRoutesFor, touchBusRouteMatched, updateBusRoute, type BusRouteRow } from "../../src/db/busRoutes.js";

const route = (id: string, over: Partial<BusRouteRow> = {}): BusRouteRow => ({
  id, name: id, description: null, status: "ENABLED", eventType: "a.b", sourceServiceCode: null, targetServiceCode: "svc", actionName: "echo",
  payloadTemplate: { m: "{{event.data.m}}" }, confirmed: false, confirmedByUserId: null, confirmedAt: null, createdByUserId: null,
  lastMatchedAt: null, createdAt: `2026-01-01T00:00:0${id.slice(-1)}.000Z`, updatedAt: "2026-01-01T00:00:00.000Z", ...over,
});
const event = (id: string, over: Partial<BusEventRow> = {}): BusEventRow => ({
  id, clientEventId: null, agentId: null, sourceServiceId: null, sourceServiceCode: "shop", eventType: "a.b", occurredAt: null,
  data: { m: 1 }, metadata: null, outcome: "UNMATCHED", errorCode: null, matches: [], commandIds: [], createdAt: `2026-01-0${id.slice(-1)}T00:00:00.000Z`, ...over,
});

t.test("bus_routes: insert, get, update, live lookup, list, delete", async (t) => {
  const db = await openTestDb(t);
  await insertBusRoute(db, route("brr_1"));
  await insertBusRoute(db, route("brr_2", { status: "DRY_RUN", sourceServiceCode: "shop" }));
  await insertBusRoute(db, route("brr_3", { status: "DISABLED" }));
  await insertBusRoute(db, route("brr_4", { eventType: "other" }));
  t.same(await getBusRoute(db, "brr_1"), route("brr_1"), "round trip");
  t.same((await liveRoutesFor(db, "a.b")).map((r) => r.id), ["brr_1", "brr_2"], "DISABLED and other types left out, oldest first");
  await updateBusRoute(db, { ...route("brr_1"), status: "DISABLED", confirmed: true, confirmedAt: "2026-02-01T00:00:00.000Z", payloadTemplate: null });
  t.match(await getBusRoute(db, "brr_1"), { status: "DISABLED", confirmed: true, payloadTemplate: null });
  await touchBusRouteMatched(db, "brr_2", "2026-03-01T00:00:00.000Z");
  t.equal((await getBusRoute(db, "brr_2"))!.lastMatchedAt, "2026-03-01T00:00:00.000Z");
  const { rows, total } = await listBusRoutes(db, { status: ["DISABLED"] }, [{ field: "createdAt", desc: false }], 1, 10);
  t.same([rows.map((r) => r.id), total], [["brr_1", "brr_3"], 2]);
  t.equal((await listBusRoutes(db, { q: "brr_4" }, [{ field: "name", desc: true }], 1, 10)).total, 1);
  t.equal(await deleteBusRoute(db, "brr_1"), true);
  t.equal(await deleteBusRoute(db, "brr_1"), false);
});

t.test("bus_events: insert, lookups, list filters, retention", async (t) => {
  const db = await openTestDb(t);
  await db.run(`INSERT INTO agents (id, code, registered_at, created_at, updated_at) VALUES ('agt_1', 'a', '', '', '')`);
  const match = { routeId: "brr_1", routeName: "r", status: "ENABLED" as const, outcome: "COMMAND_CREATED" as const, commandId: "cmd_1" };
  await insertBusEvent(db, event("bev_1", { agentId: "agt_1", clientEventId: "c-1", matches: [match], commandIds: ["cmd_1"], outcome: "DISPATCHED", metadata: { correlationId: "x" } }));
  await insertBusEvent(db, event("bev_2", { eventType: "c.d", outcome: "REFUSED", errorCode: "BUS_DEPTH_EXCEEDED" }));
  await insertBusEvent(db, event("bev_3", { sourceServiceCode: "mailer" }));
  t.same((await getBusEvent(db, "bev_1"))!.matches, [match]);
  t.equal((await getBusEventByClientId(db, "agt_1", "c-1"))!.id, "bev_1");
  t.equal(await getBusEventByClientId(db, "agt_1", "c-2"), undefined);
  await t.rejects(() => insertBusEvent(db, event("bev_4", { agentId: "agt_1", clientEventId: "c-1" })), "client ids are unique per agent");
  const ids = async (f: Parameters<typeof listBusEvents>[1]) => (await listBusEvents(db, f, [{ field: "createdAt", desc: false }], 1, 10)).rows.map((e) => e.id);
  t.same(await ids({}), ["bev_1", "bev_2", "bev_3"]);
  t.same(await ids({ outcome: ["REFUSED", "DISPATCHED"] }), ["bev_1", "bev_2"]);
  t.same(await ids({ source: ["mailer"] }), ["bev_3"]);
  t.same(await ids({ eventType: ["c.d"], agentId: ["agt_1"] }), []);
  t.equal(await deleteBusEventsBefore(db, "2026-01-03T00:00:00.000Z", 1), 1, "batched");
  t.equal(await deleteBusEventsBefore(db, "2026-01-03T00:00:00.000Z", 10), 1);
  t.same(await ids({}), ["bev_3"]);
});
