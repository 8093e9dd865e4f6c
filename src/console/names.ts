// Display names for ids in lists (a command shows its service code and agent code): looked up once
// per id per request through the data layer's getters, never by SQL here.
import type { App } from "../context.js";
import { getAgent } from "../db/agents.js";
import { getService } from "../db/services.js";

export interface Names {
  service(id: string | null): { code: string; name: string } | null;
  agent(id: string | null): string | null;
}

export function namesFor(app: App): Names {
  const services = new Map<string, { code: string; name: string } | null>();
  const agents = new Map<string, string | null>();
  return {
    service(id) {
      if (!id) return null;
      if (!services.has(id)) {
        const s = getService(app.db, id);
        services.set(id, s ? { code: s.code, name: s.name } : null);
      }
      return services.get(id)!;
    },
    agent(id) {
      if (!id) return null;
      if (!agents.has(id)) agents.set(id, getAgent(app.db, id)?.code ?? null);
      return agents.get(id)!;
    },
  };
}
