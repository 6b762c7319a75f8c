import { randomUUID } from "node:crypto";
import { testPassword } from "../harness";
import type { IsolationCase } from "./types";

const interimPassword = "an interim password, 2026";

/** Console admins, profile creation and the signed-in admin's own password. */
export const adminsCases: IsolationCase[] = [
  { path: "admins.list", call: (api) => api.admins.list(), sessionScoped: true },
  {
    path: "admins.invite",
    call: (api) => api.admins.invite({ email: `invited-${randomUUID()}@example.com`, name: "Invited Person", role: "viewer" }),
    sessionScoped: true,
  },
  { path: "admins.remove", call: (api, t) => api.admins.remove({ adminId: t.admins.admin.adminId }) },
  { path: "admins.changeRole", call: (api, t) => api.admins.changeRole({ adminId: t.admins.admin.adminId, role: "viewer" }) },
  { path: "profiles.create", call: (api) => api.profiles.create({ region: "eu-central-1" }), sessionScoped: true },
  { path: "profiles.get", call: (api, t) => api.profiles.get({ profileId: t.profileId }) },
  {
    path: "session.changePassword",
    // There and back, so the world's admins keep the password the other cases sign in with.
    call: async (api) => {
      await api.session.changePassword({ currentPassword: testPassword, newPassword: interimPassword });
      return api.session.changePassword({ currentPassword: interimPassword, newPassword: testPassword });
    },
    sessionScoped: true,
    viewerMay: "any admin changes their own password",
  },
];
