import type { AppRouter } from "@seatdesk/server/router";
import type { inferRouterClient } from "@trpc/client";
import type { Me } from "../../app/trpc";

type Api = inferRouterClient<AppRouter>;

/** A console admin as `admins.list` answers it (dates as ISO strings; `you` marks the one signed in). */
export type AdminRow = Awaited<ReturnType<Api["admins"]["list"]["query"]>>["admins"][number];
export type AdminRole = Me["role"];

/** The roles, most power first, with what each may do (DESIGN.md §1, "console admin"). */
export const roleOptions: Record<AdminRole, { label: string; help: string }> = {
  owner: {
    label: "Owner",
    help: "Everything an admin can do, and invites, removes and changes the role of admins; creates profiles and SCIM tokens.",
  },
  admin: {
    label: "Admin",
    help: "Subscribes people and changes plans, settings and API keys, in every region.",
  },
  viewer: {
    label: "Viewer",
    help: "Sees everything in the console and changes nothing.",
  },
};

export const roleOrder = Object.keys(roleOptions) as AdminRole[];

export const roleLabel = (role: string): string => roleOptions[role as AdminRole]?.label ?? role;

/** "an owner", "an admin", "a viewer": the role inside a sentence. */
export const roleWord = (role: string): string => ({ owner: "an owner", admin: "an admin", viewer: "a viewer" })[role] ?? role;
