// Registration tokens as the console shows them: list rows, the form's values as the shared body,
// and the ready-to-paste environment snippet shown once with a new raw token.
import type { App, Ctx } from "../context.js";
import type { RegistrationTokenWire } from "../domain/registrationTokens.js";
import { badge, when } from "./format.js";

/** Where agents reach this server: the configured public URL, else what the browser used. */
export function baseUrl(ctx: Ctx<unknown>): string {
  if (ctx.app.config.publicUrl) return ctx.app.config.publicUrl;
  const proto = ctx.app.config.trustProxy && ctx.req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  return `${proto}://${ctx.req.headers.host ?? "localhost"}`;
}

export const envSnippet = (ctx: Ctx<unknown>, raw: string, agentCode?: string | null): string =>
  [`CAPSTAN_URL=${baseUrl(ctx)}`, `CAPSTAN_REGISTRATION_TOKEN=${raw}`, ...(agentCode ? [`# re-enrols agent code ${agentCode}`] : [])].join("\n");

/** Form strings to the shared body schema's types (numbers stay strings when not numeric, so zod says why). */
export function tokenInput(values: Record<string, string>) {
  const num = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v);
  return { ...values, expiresInSeconds: num(values.expiresInSeconds), maxUses: num(values.maxUses) };
}

export function tokenRowView(app: App, t: RegistrationTokenWire) {
  const now = app.now();
  return {
    id: t.id, name: t.name, status: badge(t.status), revocable: t.status === "ACTIVE", uses: `${t.useCount} / ${t.maxUses}`,
    agentCode: t.agentCode ?? "", created: when(t.createdAt, now), expires: when(t.expiresAt, now), used: when(t.usedAt, now),
  };
}
