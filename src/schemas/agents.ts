// Inputs of the agent API (registration) and the agents admin API.
import { z } from "zod";
import { AGENT_STATUSES } from "../vocabulary.js";
import { page, pageSize, q, sortParam } from "./common.js";
import { ReportedService } from "./services.js";

/** Agent codes are often derived from host names, so dots are allowed. */
export const agentCode = z.string().min(1).max(120).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, . _ and -, starting with a letter or digit");
const fact = (max: number) => z.string().max(max).optional();

export const RegisterAgentBody = z.object({
  registrationToken: z.string().min(1).max(200),
  agent: z.object({
    code: agentCode,
    name: z.string().min(1).max(200).optional(),
    // an OpHub (upstream v0.3) governs several services and registers without one
    mode: z.enum(["embedded", "ophub"]).default("embedded"),
    runtime: fact(40),
    version: fact(80),
    hostname: fact(255),
    os: fact(80),
    arch: fact(40),
  }),
  service: ReportedService.optional(),
});
export type RegisterAgentInput = z.output<typeof RegisterAgentBody>;

export const ListAgentsQuery = {
  page, pageSize,
  sort: sortParam(["createdAt", "lastSeenAt", "name"]),
  status: z.array(z.enum(AGENT_STATUSES)).optional(),
  q: q.optional(),
};
export const LIST_AGENTS_ARRAYS = ["status"] as const;
