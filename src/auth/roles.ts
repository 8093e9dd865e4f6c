// Admin roles and their order: every "at least this role" check (route table, console menus) uses this rank.
// The list itself is part of the one vocabulary (src/vocabulary.ts).
import type { Role } from "../vocabulary.js";

export type { Role } from "../vocabulary.js";
export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, owner: 3 };
export const roleAtLeast = (role: Role, min: Role): boolean => ROLE_RANK[role] >= ROLE_RANK[min];
