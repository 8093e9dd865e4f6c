// Names for the ids on one page (usernames, agent codes, service codes), fetched in one batch per
// table before the rows are shaped, so a list of n rows costs at most three queries, not n.
import type { App } from "../context.js";
import { agentCodesOf, serviceNamesOf, usernamesOf } from "../db/names.js";

type Ids = Iterable<string | null | undefined>;

export interface NameRefs {
  users?: Ids;
  agents?: Ids;
  services?: Ids;
}

export interface Names {
  user(id: string | null | undefined): string | null;
  agent(id: string | null | undefined): string | null;
  service(id: string | null | undefined): { code: string; name: string } | null;
}

const distinct = (ids: Ids | undefined): string[] => [...new Set([...(ids ?? [])].filter((x): x is string => !!x))];

export async function lookupNames(app: App, refs: NameRefs): Promise<Names> {
  const users = await usernamesOf(app.db, distinct(refs.users));
  const agents = await agentCodesOf(app.db, distinct(refs.agents));
  const services = await serviceNamesOf(app.db, distinct(refs.services));
  return {
    user: (id) => (id ? (users.get(id) ?? null) : null),
    agent: (id) => (id ? (agents.get(id) ?? null) : null),
    service: (id) => {
      const s = id ? services.get(id) : undefined;
      return s ? { code: s.code, name: s.name } : null;
    },
  };
}
