// Inputs of the registration-token admin API.
import { z } from "zod";
import { TOKEN_STATUSES } from "../vocabulary.js";
import { agentCode } from "./agents.js";
import { page, pageSize, sortParam } from "./common.js";

export const MAX_TOKEN_LIFETIME_SECONDS = 365 * 86_400;

export const CreateRegistrationTokenBody = z
  .object({
    name: z.string().trim().min(1).max(200).default("Default registration token"),
    expiresInSeconds: z.number().int().min(60).max(MAX_TOKEN_LIFETIME_SECONDS).optional(),
    maxUses: z.number().int().min(1).max(10_000).default(1).describe("> 1 requires expiresInSeconds"),
    agentCode: agentCode.optional().describe("binds the token to this agent code (re-enrolment)"),
  })
  // A reusable token that never expires would be a standing credential for creating agents.
  .refine((b) => b.maxUses === 1 || b.expiresInSeconds !== undefined, {
    message: "maxUses above 1 needs expiresInSeconds", path: ["expiresInSeconds"],
  });
export type CreateRegistrationTokenInput = z.output<typeof CreateRegistrationTokenBody>;

export const ListRegistrationTokensQuery = {
  page, pageSize,
  sort: sortParam(["createdAt", "expiresAt"]),
  status: z.array(z.enum(TOKEN_STATUSES)).optional(),
};
export const LIST_REGISTRATION_TOKENS_ARRAYS = ["status"] as const;
