// The bus is off unless CAPSTAN_BUS_ENABLED: agents and the console then see no bus at all (404, as
// if the route did not exist), while the admin API answers 503 saying how to turn it on.
import type { App } from "../../context.js";
import { AppError } from "../../errors.js";

export const busEnabled = (app: App): boolean => app.config.busEnabled;

export function requireBusForAdmin(app: App): void {
  if (!app.config.busEnabled) throw new AppError("BUS_DISABLED", "the Capsule Bus is off; start Capstan with CAPSTAN_BUS_ENABLED=true to use it");
}

export function requireBusVisible(app: App): void {
  if (!app.config.busEnabled) throw new AppError("NOT_FOUND", "no such route");
}
