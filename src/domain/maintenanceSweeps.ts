// The status and expiry sweeps, owned by their domain modules and run by the maintenance scheduler
// in this order: agents go OFFLINE before services are judged, so a silent agent's services walk
// HEALTHY -> STALE -> OFFLINE in step with what the list filters show.
import { markOfflineAgents } from "./agents.js";
import { expireCommands } from "./commands/expire.js";
import type { MaintenanceTask } from "./maintenance.js";
import { expireRegistrationTokens } from "./registrationTokens.js";
import { markStaleServices } from "./services.js";

export const MAINTENANCE_SWEEPS: MaintenanceTask[] = [
  { name: "agentsOffline", run: markOfflineAgents },
  { name: "servicesStale", run: markStaleServices },
  { name: "commandsExpired", run: expireCommands },
  { name: "registrationTokensExpired", run: expireRegistrationTokens },
];
