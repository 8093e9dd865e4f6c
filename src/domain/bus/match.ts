// Matching: the one rule deciding whether a route fires for an event (used by ingest), and the
// console's "test against a sample event" preview built on the same rule and template code.
import type { App } from "../../context.js";
import { getAgent } from "../../db/agents.js";
import { getServiceByCode } from "../../db/services.js";
import { getActionDefinition } from "../../db/serviceParts.js";
import { AppError } from "../../errors.js";
import type { PreviewBusRouteInput } from "../../schemas/bus.js";
import { isAgentAvailable } from "../agents.js";
import { needsConfirmation } from "../commands/execute.js";
import { checkPayload } from "../commands/payload.js";
import { assertTemplate } from "./routes.js";
import { renderPayload } from "./template.js";

export interface Trigger {
  eventType: string;
  sourceServiceCode?: string | null | undefined;
}

/** Type equal, and source equal when the route names one. Empty means it matches; otherwise why not, for people. */
export function triggerMismatches(trigger: Trigger, event: { eventType: string; sourceServiceCode: string }): string[] {
  const reasons: string[] = [];
  if (trigger.eventType !== event.eventType) reasons.push(`event type ${event.eventType} is not ${trigger.eventType}`);
  if (trigger.sourceServiceCode && trigger.sourceServiceCode !== event.sourceServiceCode) {
    reasons.push(`source ${event.sourceServiceCode} is not ${trigger.sourceServiceCode}`);
  }
  return reasons;
}

export interface Preview {
  matches: boolean;
  reasons: string[];
  payload: Record<string, unknown>;
  /** Problems that would make an ENABLED route fail right now (each is an error code and a sentence). */
  problems: { code: string; message: string }[];
  wouldCreateCommand: boolean;
}

export async function previewRoute(app: App, input: PreviewBusRouteInput): Promise<Preview> {
  assertTemplate(input.action.payloadTemplate);
  const sample = input.sampleEvent;
  const reasons = triggerMismatches(input.trigger, sample);
  const payload = renderPayload(input.action.payloadTemplate ?? null, {
    eventId: "bev_PREVIEW", eventType: sample.eventType, sourceServiceCode: sample.sourceServiceCode, data: sample.data ?? null,
  }, app.config.bodyLimitBytes);
  const problems: Preview["problems"] = [];
  const service = await getServiceByCode(app.db, input.action.targetServiceCode);
  const action = service ? await getActionDefinition(app.db, service.id, input.action.actionName) : undefined;
  const agent = service?.agentId ? await getAgent(app.db, service.agentId) : undefined;
  if (!service) problems.push({ code: "CAPSULE_SERVICE_NOT_FOUND", message: `no service with code ${input.action.targetServiceCode} has reported yet` });
  else if (!action) problems.push({ code: "ACTION_NOT_FOUND", message: `${input.action.targetServiceCode} declares no action ${input.action.actionName}` });
  else {
    if (!action.enabled) problems.push({ code: "ACTION_DISABLED", message: "the service disabled this action" });
    if (needsConfirmation(action) && !input.confirmed) {
      problems.push({ code: "BUS_ROUTE_CONFIRMATION_REQUIRED", message: `${action.label} (${action.dangerLevel}) runs only from a route an operator confirmed` });
    }
    try {
      checkPayload(action.inputSchema, payload);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      problems.push({ code: err.code, message: err.message });
    }
  }
  if (service && (!agent || !isAgentAvailable(app, agent))) {
    problems.push({ code: "AGENT_NOT_AVAILABLE", message: "the target's agent is offline, disabled or revoked right now" });
  }
  return { matches: reasons.length === 0, reasons, payload, problems, wouldCreateCommand: reasons.length === 0 && problems.length === 0 };
}
