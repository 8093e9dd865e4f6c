// Message routing is off unless CAPSTAN_MESSAGES_ENABLED. Its routes say `feature: "messages"`; app.ts
// calls this gate before their handler (after authentication): the console shows no Messages page
// (404), the APIs answer 503 saying how to turn it on.
import type { AnyRoute, App } from "../../context.js";
import { AppError } from "../../errors.js";

export function requireMessagesFeature(app: App, route: AnyRoute): void {
  if (app.config.messagesEnabled) return;
  if (!route.page) throw new AppError("MESSAGES_DISABLED", "message routing is off; start Capstan with CAPSTAN_MESSAGES_ENABLED=true to use it");
  throw new AppError("NOT_FOUND", "no such route");
}
