// The demo Capsule Service: every SDK feature in one small service. It imports the built SDK
// bundle, exactly as a real service would import the `capstan-agent` package.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import { CapsuleAgent } from "../sdk/dist/index.mjs";

export const DEMO_CODE = "demo-capsule-service";
const MAX_QUEUE_DEPTH = 50;
const REINDEX_STEPS = 20;
/** The demo's package descriptor (catalog.md): the SDK reports its name and version as manifest.package. */
export const DEMO_CAPSULE_FILE = fileURLToPath(new URL("./capsule.json", import.meta.url));

/**
 * Builds the demo agent. `options` are passed to CapsuleAgent (backendUrl, registrationToken,
 * tokenFile, logger, ...); `reindexStepMs` shortens slowReindex for tests (default 1000 = 20 s).
 * `events` emits "reindex:started", "reindex:stopped" ({reason}), "item:created".
 */
export function createDemoService({ reindexStepMs = 1000, ...options } = {}) {
  const events = new EventEmitter();
  const state = {
    queueDepth: 3,
    items: [
      { id: "itm_1", name: "First item", createdAt: new Date().toISOString() },
      { id: "itm_2", name: "Second item", createdAt: new Date().toISOString() },
    ],
    failOnceTriggered: false,
    keyVersion: 1,
  };

  const agent = new CapsuleAgent({
    agent: { code: DEMO_CODE, name: "Demo Capsule Service" },
    service: {
      code: DEMO_CODE,
      name: "Demo Capsule Service",
      version: "1.0.0",
      description: "Shows every Capstan feature: health, configs, actions with progress, cancel, one-time keys, the bus.",
      capabilities: ["demo.echo", "demo.items"],
      labels: { tier: "demo" },
      events: [{ name: "demo.item.created", direction: "publish", description: "an item was created by createItem" }],
    },
    capsuleFile: DEMO_CAPSULE_FILE,
    ...options,
  });

  const health = () =>
    state.queueDepth > MAX_QUEUE_DEPTH
      ? { status: "DEGRADED", message: `queue depth ${state.queueDepth} is over ${MAX_QUEUE_DEPTH}`, details: { queueDepth: state.queueDepth, max: MAX_QUEUE_DEPTH } }
      : { status: "UP", message: `queue depth ${state.queueDepth}`, details: { queueDepth: state.queueDepth, max: MAX_QUEUE_DEPTH } };
  agent.health(health);

  // Conversation messages routed here (CAPSTAN_MESSAGES_ENABLED): /status answers from the health
  // check, any other text gets a short answer that quotes it.
  agent.onMessage((message) => {
    if (/^\/status(@\w+)?(\s|$)/i.test(message.text.trim())) {
      const h = health();
      return { text: `Demo Capsule Service is ${h.status}: ${h.message}; ${state.items.length} items.`, data: { health: h.status, items: state.items.length } };
    }
    return { text: `Demo Capsule Service heard: ${message.text}` };
  }, { supportedTypes: ["QUERY", "COMMAND"], commands: ["/status"] });

  agent.configs(() => [
    { key: "DEMO_GREETING", label: "Greeting", type: "string", source: "env", valuePreview: process.env.DEMO_GREETING ?? "hello" },
    { key: "DEMO_API_KEY", label: "Upstream API key", type: "secretRef", source: "env", sensitive: true, secretRef: "env://DEMO_API_KEY" },
    { key: "DEMO_MAX_QUEUE_DEPTH", label: "Queue depth before DEGRADED", type: "number", valuePreview: String(MAX_QUEUE_DEPTH), defaultValue: "50" },
  ]);

  agent.action({
    name: "echo", label: "Echo", description: "Returns the message it was given.", dangerLevel: "LOW", timeoutSeconds: 10,
    inputSchema: { type: "object", properties: { message: { type: "string", minLength: 1, maxLength: 1000, default: "hello" } }, required: ["message"] },
    handler: (payload) => ({ success: true, message: payload.message, data: { message: payload.message, echoedAt: new Date().toISOString() } }),
  });

  agent.action({
    name: "runHealthCheck", label: "Run health check", description: "Runs the health check now and returns its answer.", dangerLevel: "LOW",
    handler: () => {
      const h = health();
      return { success: true, message: `${h.status}: ${h.message}`, data: h };
    },
  });

  agent.action({
    name: "listItems", label: "List items", description: "Lists the items, with row actions.", dangerLevel: "LOW",
    handler: () => ({
      success: true,
      message: `${state.items.length} items`,
      data: {
        columns: [{ key: "id", label: "ID" }, { key: "name", label: "Name" }, { key: "createdAt", label: "Created" }],
        list: state.items,
        rowActions: [
          { action: "echo", label: "Echo name", params: { message: "name" } },
          { action: "createItem", label: "Duplicate", params: { name: "name" } },
        ],
      },
    }),
  });

  agent.action({
    name: "createItem", label: "Create item", description: "Creates an item and publishes demo.item.created on the bus.", dangerLevel: "MEDIUM",
    inputSchema: { type: "object", properties: { name: { type: "string", minLength: 1, maxLength: 200 } }, required: ["name"] },
    handler: async (payload) => {
      const item = { id: `itm_${randomBytes(4).toString("hex")}`, name: payload.name, createdAt: new Date().toISOString() };
      state.items.push(item);
      events.emit("item:created", item);
      const published = await agent.publishEvent({ eventType: "demo.item.created", data: item });
      return { success: true, message: `created ${item.id}`, data: { item, eventPublished: published.ok } };
    },
  });

  agent.action({
    name: "slowReindex", label: "Reindex (slow)", description: "Takes 20 s with progress and logs; cancellable.", dangerLevel: "MEDIUM",
    timeoutSeconds: 120,
    inputSchema: { type: "object", properties: { collection: { type: "string", enum: ["items", "archive"], default: "items" } } },
    prepare: () => ({ initialPayload: { collection: "items" }, currentState: { items: state.items.length, lastReindexAt: state.lastReindexAt ?? null } }),
    handler: async (payload, ctx) => {
      events.emit("reindex:started", { commandId: ctx.commandId });
      ctx.log("info", `reindexing ${payload.collection ?? "items"}`);
      for (let step = 1; step <= REINDEX_STEPS; step++) {
        const stopped = await wait(reindexStepMs, ctx.signal);
        if (stopped) {
          const reason = ctx.signal.reason?.code ?? "CANCELLED";
          events.emit("reindex:stopped", { commandId: ctx.commandId, reason, step });
          ctx.log("warn", `stopped at step ${step}/${REINDEX_STEPS} (${reason})`);
          return { success: false, message: `stopped at step ${step}`, error: { code: reason, message: `reindex stopped at step ${step}/${REINDEX_STEPS}` } };
        }
        ctx.progress(step / REINDEX_STEPS, `step ${step}/${REINDEX_STEPS}`);
        ctx.log("info", `indexed batch ${step}`);
      }
      state.lastReindexAt = new Date().toISOString();
      events.emit("reindex:stopped", { commandId: ctx.commandId, reason: "DONE", step: REINDEX_STEPS });
      return { success: true, message: "reindex complete", data: { batches: REINDEX_STEPS } };
    },
  });

  agent.action({
    name: "rotateKey", label: "Rotate API key", description: "Issues a new key, shown once.", dangerLevel: "HIGH", requiresConfirmation: true,
    handler: () => {
      state.keyVersion++;
      // Shown once to the first admin read of the command, then stored as "[REDACTED]".
      return { success: true, message: `key rotated to version ${state.keyVersion}`, data: { keyVersion: state.keyVersion, generatedKey: `demo_${randomBytes(24).toString("base64url")}` } };
    },
  });

  agent.action({
    name: "failOnce", label: "Fail once", description: "Fails the first time (DEMO_FAILURE), succeeds on retry.", dangerLevel: "LOW",
    handler: () => {
      if (!state.failOnceTriggered) {
        state.failOnceTriggered = true;
        throw Object.assign(new Error("the first run fails on purpose; retry it"), { code: "DEMO_FAILURE" });
      }
      return { success: true, message: "succeeded on retry" };
    },
  });

  return { agent, state, events };
}

/** Resolves true when the signal aborted first. */
function wait(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(true);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
