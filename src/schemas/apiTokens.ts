// Inputs of personal API token endpoints.
import { z } from "zod";
import { API_TOKEN_SCOPES } from "../vocabulary.js";
import { idOf } from "./common.js";

export const CreateApiTokenBody = z.object({
  name: z.string().trim().min(1).max(120),
  expiresInSeconds: z.coerce.number().int().min(60).max(10 * 365 * 86400).optional(),
  /** Owners may create a token for another user (e.g. a CI account). */
  userId: idOf("usr").optional(),
  /** admin (default): the admin API with the owner's role; messages: /api/messages only. */
  scopes: z.array(z.enum(API_TOKEN_SCOPES)).min(1).max(API_TOKEN_SCOPES.length)
    .refine((l) => new Set(l).size === l.length, { message: "each scope once" }).optional(),
});
