// /api/agents/:agentId/bus/events: an agent publishes a Capsule Bus event (404 while the bus is off: feature: "bus").
import { route } from "../../context.js";
import { ingestEvent } from "../../domain/bus/ingest.js";
import { takeIngestSlot } from "../../domain/bus/rateLimit.js";
import { ok } from "../../http/reply.js";
import { PublishEventBody } from "../../schemas/bus.js";
import { parseBody } from "../../schemas/common.js";

// Events are notifications, not documents: a small limit keeps the stored events table small too.
const EVENT_BODY_LIMIT = 64 * 1024;

export const agentBusRoutes = [
  route({
    method: "POST", path: "/api/agents/:agentId/bus/events", auth: "agent", feature: "bus", name: "publishBusEvent", bodyLimit: EVENT_BODY_LIMIT,
    handler: async (ctx) => {
      const agentId = ctx.agent!.agentId;
      // counted before validation: a publisher sending garbage in a loop is throttled too
      await takeIngestSlot(ctx.app, agentId, ctx.requestId);
      const body = parseBody(PublishEventBody, await ctx.body());
      const { eventId, matchedRoutes, commandIds } = await ingestEvent(ctx.app, agentId, body, ctx.requestId);
      return ok({ eventId, matchedRoutes, commandIds });
    },
  }),
];
