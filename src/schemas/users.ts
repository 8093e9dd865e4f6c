// Inputs of login and user administration.
import { z } from "zod";
import { MIN_PASSWORD_LENGTH } from "../auth/passwords.js";
import { ROLES, USER_STATUSES } from "../vocabulary.js";
import { page, pageSize, q, sortParam } from "./common.js";

const role = z.enum(ROLES);
const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024);

export const LoginBody = z.object({
  username: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
  next: z.string().max(2000).optional(), // console form only
  _csrf: z.string().optional(),
});

export const CreateUserBody = z.object({
  username: z.string().trim().min(1).max(320),
  password,
  displayName: z.string().trim().max(200).optional(),
  role,
});

export const UpdateUserBody = z
  .object({
    displayName: z.string().trim().max(200).nullable().optional(),
    role: role.optional(),
    status: z.enum(USER_STATUSES).optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "give at least one of displayName, role, status");

export const ResetPasswordBody = z.object({ password });

export const ListUsersQuery = {
  page, pageSize, q: q.optional(),
  sort: sortParam(["createdAt", "username"]),
  role: z.array(role).optional(),
  status: z.array(z.enum(USER_STATUSES)).optional(),
};
export const USER_QUERY_ARRAYS = ["role", "status"] as const;
