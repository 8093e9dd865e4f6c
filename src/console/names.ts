// Who did it, as the console shows it: a username for USER actors, the agent code for AGENT actors,
// "system" for SYSTEM; the id stays available on hover (title). Names come from one batched lookup
// per page (domain/names.ts), never from a query per row.
import type { Names } from "../domain/names.js";

export type { Names } from "../domain/names.js";
export { lookupNames } from "../domain/names.js";

export interface Who {
  /** What the cell says: "admin", "billing-agent", "system". */
  text: string;
  /** The id behind it, for the title attribute ("" when there is none). */
  title: string;
}

export function actorView(type: string, id: string | null, names: Names): Who {
  const title = id ?? "";
  if (type === "USER") return { text: names.user(id) ?? (id || "unknown user"), title };
  if (type === "AGENT") return { text: names.agent(id) ?? (id || "unknown agent"), title };
  if (type === "SYSTEM") return { text: "system", title };
  return { text: type.toLowerCase(), title };
}

/** The ids of user and agent actors among audit-like rows, for lookupNames. */
export const actorRefs = (rows: readonly { actorType: string; actorId: string | null }[]) => ({
  users: rows.filter((r) => r.actorType === "USER").map((r) => r.actorId),
  agents: rows.filter((r) => r.actorType === "AGENT").map((r) => r.actorId),
});
