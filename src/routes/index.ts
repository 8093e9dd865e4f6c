// The only list of routes. Each file exports its routes; the order here is the matching order.
import type { AnyRoute, App } from "../context.js";
import { systemRoutes } from "./api/system.js";
import { openApiRoutes } from "./api/openapi.js";
import { authRoutes } from "./api/admin/auth.js";
import { userRoutes } from "./api/admin/users.js";
import { apiTokenRoutes } from "./api/admin/apiTokens.js";
import { auditRoutes } from "./api/admin/audit.js";
import { dashboardRoutes } from "./api/admin/dashboard.js";
import { operationsRoutes } from "./api/admin/operations.js";
import { metricsRoutes } from "./api/metrics.js";
import { pageRoutes } from "./pages/index.js";
import { agentCommandRoutes } from "./api/agentCommands.js";
import { actionRoutes } from "./api/admin/actions.js";
import { commandRoutes } from "./api/admin/commands.js";
import { approvalRoutes } from "./api/admin/approvals.js";
import { packageInstallRoutes } from "./api/admin/packageInstalls.js";
import { agentRoutes } from "./api/agents.js";
import { adminAgentRoutes } from "./api/admin/agents.js";
import { registrationTokenRoutes } from "./api/admin/registrationTokens.js";
import { adminServiceRoutes } from "./api/admin/services.js";
import { agentBusRoutes } from "./api/agentBus.js";
import { adminBusRoutes } from "./api/admin/bus.js";
import { busPages } from "./pages/bus.js";
import { webhookRoutes } from "./api/admin/webhooks.js";
import { messageRoutes } from "./api/messages.js";
import { adminMessageRoutes } from "./api/admin/messageRoutes.js";
import { channelRoutes } from "./api/admin/channels.js";
import { messagePages } from "./pages/messages.js";
import { packageRoutes } from "./api/admin/packages.js";
import { registryRoutes } from "./api/registry.js";
import { packagePages } from "./pages/packages.js";

export function allRoutes(app: App): AnyRoute[] {
  const routes: AnyRoute[] = [
    ...systemRoutes,
    ...openApiRoutes(() => routes, app.version),
    ...authRoutes,
    ...userRoutes,
    ...apiTokenRoutes,
    ...auditRoutes,
    ...dashboardRoutes,
    ...operationsRoutes,
    ...metricsRoutes,
    ...agentRoutes,
    ...adminAgentRoutes,
    ...registrationTokenRoutes,
    ...adminServiceRoutes,
    ...agentCommandRoutes,
    ...actionRoutes,
    ...commandRoutes,
    ...approvalRoutes,
    ...packageInstallRoutes,
    ...agentBusRoutes,
    ...adminBusRoutes,
    ...webhookRoutes,
    ...busPages,
    ...messageRoutes,
    ...adminMessageRoutes,
    ...channelRoutes,
    ...messagePages,
    ...packageRoutes,
    ...registryRoutes,
    ...packagePages,
    ...pageRoutes,
  ];
  return routes;
}
