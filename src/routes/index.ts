// The only list of routes. Each file exports its routes; the order here is the matching order.
import type { AnyRoute, App } from "../context.js";
import { systemRoutes } from "./api/system.js";
import { authRoutes } from "./api/admin/auth.js";
import { userRoutes } from "./api/admin/users.js";
import { apiTokenRoutes } from "./api/admin/apiTokens.js";
import { auditRoutes } from "./api/admin/audit.js";

// eslint-disable-next-line @typescript-eslint/no-unused-vars
export function allRoutes(_app: App): AnyRoute[] {
  return [
    ...systemRoutes,
    ...authRoutes,
    ...userRoutes,
    ...apiTokenRoutes,
    ...auditRoutes,
  ];
}
