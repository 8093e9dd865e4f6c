// Inputs of the operations endpoints: maintenance run and backup take no parameters.
import { z } from "zod";

/** `{}` (or no body); any field is refused so a typo does not pass silently. */
export const EmptyBody = z.strictObject({});

/**
 * PATCH /api/admin/settings/maintenance (Opstage v0.4): any subset of the three, bounded as their
 * CAPSTAN_* variables are (src/config.ts). The offline threshold must also stay at least twice the
 * heartbeat interval; the domain checks that against the running configuration.
 */
export const MaintenanceSettingsBody = z
  .strictObject({
    agentOfflineThresholdSeconds: z.number().int().min(1).max(86400).optional(),
    auditRetentionDays: z.number().int().min(0).max(36500).optional(),
    maintenanceIntervalSeconds: z.number().int().min(0).max(86400).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "send at least one setting to change" });
export type MaintenanceSettingsInput = z.output<typeof MaintenanceSettingsBody>;
