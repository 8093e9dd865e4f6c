// Inputs of personal API token endpoints.
import { z } from "zod";

export const CreateApiTokenBody = z.object({
  name: z.string().trim().min(1).max(120),
  expiresInSeconds: z.coerce.number().int().min(60).max(10 * 365 * 86400).optional(),
  /** Owners may create a token for another user (e.g. a CI account). */
  userId: z.string().regex(/^usr_[0-9A-HJKMNP-TV-Z]{26}$/).optional(),
});
