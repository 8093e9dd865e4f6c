// The OpenAPI request components, generated from the zod schemas the routes parse with
// (src/schemas/*), so the document cannot promise a body shape the server does not accept.
// Response components have no zod source and stay hand-written in schemas.ts.
import { z } from "zod";
import { RegisterAgentBody } from "../schemas/agents.js";
import { CreateApiTokenBody } from "../schemas/apiTokens.js";
import { ApproveBody, CancelApprovalBody, RejectBody, SetApprovalPolicyBody } from "../schemas/approvals.js";
import { CreateBusRouteBody, PreviewBusRouteBody, PublishEventBody, ReplaceBusRouteBody, UpdateBusRouteBody, V04BusRouteBody } from "../schemas/bus.js";
import { MaintenanceSettingsBody } from "../schemas/operations.js";
import { InstallRequestBody } from "../schemas/servicePackage.js";
import { ExecuteBody, ProgressBody, ResultBody, RetryBody } from "../schemas/commands.js";
import { CreateRegistrationTokenBody } from "../schemas/registrationTokens.js";
import { CreateWebhookBody, UpdateWebhookBody } from "../schemas/webhooks.js";
import { CreateMessageRouteBody, PreviewMessageRouteBody, PutTelegramBody, SendMessageBody, UpdateMessageRouteBody } from "../schemas/messages.js";
import {
  ActionDefinitionInput, CapsuleManifest, ConfigItemInput, HealthInput, HeartbeatBody, ReportedService, ServiceReportBody,
} from "../schemas/services.js";
import { CreateUserBody, LoginBody, ResetPasswordBody, UpdateUserBody } from "../schemas/users.js";
import { PackageDescriptor } from "../schemas/packageDescriptor.js";
import { DeprecateBody, YankBody } from "../schemas/packages.js";

type Schema = Record<string, unknown>;

/** Component name -> the zod schema its route parses. Shared parts get a name so they become $refs. */
const REQUESTS: [string, z.ZodType][] = [
  // next and _csrf belong to the console's login form, not to the API
  ["AdminLoginRequest", LoginBody.pick({ username: true, password: true })],
  ["CreateUserRequest", CreateUserBody],
  ["UpdateUserRequest", UpdateUserBody],
  ["ResetUserPasswordRequest", ResetPasswordBody],
  ["CreateApiTokenRequest", CreateApiTokenBody],
  ["CreateRegistrationTokenRequest", CreateRegistrationTokenBody],
  ["CreateActionCommandRequest", ExecuteBody],
  ["RetryCommandRequest", RetryBody],
  ["RegisterAgentRequest", RegisterAgentBody],
  ["AgentHeartbeatRequest", HeartbeatBody],
  ["ServiceReportRequest", ServiceReportBody],
  ["ReportedService", ReportedService],
  ["CapsuleManifest", CapsuleManifest],
  ["HealthReportInput", HealthInput],
  ["ConfigItemInput", ConfigItemInput],
  ["ActionDefinitionInput", ActionDefinitionInput],
  ["ReportCommandResultRequest", ResultBody],
  ["CommandProgressRequest", ProgressBody],
  ["CreateBusRouteRequest", CreateBusRouteBody],
  ["UpdateBusRouteRequest", UpdateBusRouteBody],
  ["PreviewBusRouteRequest", PreviewBusRouteBody],
  ["V04BusRouteRequest", V04BusRouteBody],
  ["ReplaceBusRouteRequest", z.union([V04BusRouteBody, ReplaceBusRouteBody])],
  ["MaintenanceSettingsRequest", MaintenanceSettingsBody],
  ["PublishBusEventRequest", PublishEventBody],
  ["ApproveApprovalRequest", ApproveBody],
  ["RejectApprovalRequest", RejectBody],
  ["CancelApprovalRequest", CancelApprovalBody],
  ["SetApprovalPolicyRequest", SetApprovalPolicyBody],
  ["PackageInstallRequest", InstallRequestBody],
  ["CreateWebhookRequest", CreateWebhookBody],
  ["UpdateWebhookRequest", UpdateWebhookBody],
  ["SendMessageRequest", SendMessageBody],
  ["CreateMessageRouteRequest", CreateMessageRouteBody],
  ["UpdateMessageRouteRequest", UpdateMessageRouteBody],
  ["PreviewMessageRouteRequest", PreviewMessageRouteBody],
  ["PutTelegramChannelRequest", PutTelegramBody],
  ["PackageDescriptor", PackageDescriptor],
  ["YankPackageVersionRequest", YankBody],
  ["DeprecatePackageVersionRequest", DeprecateBody],
];

/**
 * What JSON Schema cannot learn from zod: refinements ("send at least one field") and the manifest,
 * which the route takes as a free object and checks against CapsuleManifest itself (so a bad
 * manifest answers CAPSULE_SERVICE_MANIFEST_INVALID rather than a generic 422).
 */
const AMEND: Record<string, (s: Schema) => void> = {
  UpdateUserRequest: (s) => { s.minProperties = 1; },
  UpdateBusRouteRequest: (s) => { s.minProperties = 1; },
  MaintenanceSettingsRequest: (s) => { s.minProperties = 1; },
  UpdateWebhookRequest: (s) => { s.minProperties = 1; },
  UpdateMessageRouteRequest: (s) => { s.minProperties = 1; },
  ReportedService: (s) => {
    (s.properties as Schema).manifest = { $ref: "#/components/schemas/CapsuleManifest", description: "checked by the server; errors answer CAPSULE_SERVICE_MANIFEST_INVALID" };
  },
};

function generate(): Record<string, Schema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of REQUESTS) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io: "input", // what a client sends: defaults are optional, coerced fields take their input type
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
    override: (ctx) => {
      const s = ctx.jsonSchema;
      if (ctx.path.at(-1) === "password" && s.type === "string") s.format = "password";
      // the format says it; zod's long ISO-8601 regex would only make the document hard to read
      if (s.format === "date-time") delete s.pattern;
    },
  });
  const out: Record<string, Schema> = {};
  for (const [id] of REQUESTS) {
    const { $schema: _schema, $id: _id, ...body } = schemas[id] as Schema;
    AMEND[id]?.(body);
    out[id] = body;
  }
  return out;
}

export const REQUEST_SCHEMAS: Record<string, Schema> = generate();
