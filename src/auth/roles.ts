// Admin roles and their order: every "at least this role" check (route table, console menus) uses this rank.
export type Role = "viewer" | "operator" | "owner";
export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, owner: 3 };
export const roleAtLeast = (role: Role, min: Role): boolean => ROLE_RANK[role] >= ROLE_RANK[min];
