// The bus is off unless CAPSTAN_BUS_ENABLED. Routes that belong to it say `feature: "bus"` in the route
// table and app.ts calls this gate before their handler (after authentication, as a handler would be):
// agents and the console then see no bus at all (404, as if the route did not exist), while the admin
// API answers 503 saying how to turn it on, with the code the Opstage v0.4 console recognises
// (CAPSULE_BUS_DISABLED; earlier releases sent BUS_DISABLED, docs/errors.md).
import type { AnyRoute, App } from "../../context.js";
import { AppError } from "../../errors.js";

export function requireBusFeature(app: App, route: AnyRoute): void {
  if (app.config.busEnabled) return;
  const adminApi = route.auth !== "agent" && route.auth !== "public" && !route.page;
  if (adminApi) throw new AppError("CAPSULE_BUS_DISABLED", "the Capsule Bus is off; start Capstan with CAPSTAN_BUS_ENABLED=true to use it");
  throw new AppError("NOT_FOUND", "no such route");
}
