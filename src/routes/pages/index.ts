// Every console page route, in matching order.
import type { AnyRoute } from "../../context.js";
import { authPages } from "./auth.js";
import { staticPages } from "./static.js";
import { auditPages } from "./audit.js";
import { agentPages } from "./agents.js";
import { dashboardPages } from "./dashboard.js";
import { servicePages } from "./services.js";
import { servicePackagePages } from "./servicePackages.js";
import { actionPages } from "./actions.js";
import { commandPages } from "./commands.js";
import { approvalPages } from "./approvals.js";
import { tokenPages } from "./tokens.js";
import { userPages } from "./users.js";
import { settingsPages } from "./settings.js";
import { notificationPages } from "./notifications.js";

export const pageRoutes: AnyRoute[] = [
  ...staticPages,
  ...authPages,
  ...dashboardPages,
  ...agentPages,
  ...tokenPages,
  ...actionPages,
  ...servicePages,
  ...servicePackagePages,
  ...commandPages,
  ...approvalPages,
  ...auditPages,
  ...userPages,
  ...settingsPages,
  ...notificationPages,
];
