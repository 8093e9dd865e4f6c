// Users as the console shows them (owner's /users page).
import type { App } from "../context.js";
import type { UserWire } from "../domain/users.js";
import { badge, when } from "./format.js";

export function userRowView(app: App, u: UserWire, selfId: string) {
  const now = app.now();
  return {
    id: u.id, username: u.username, displayName: u.displayName ?? "", role: u.role, status: badge(u.status), statusValue: u.status,
    lastLogin: when(u.lastLoginAt, now), created: when(u.createdAt, now), isSelf: u.id === selfId,
  };
}
