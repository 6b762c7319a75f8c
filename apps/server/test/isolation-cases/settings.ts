import { TRPCError } from "@trpc/server";
import type { IsolationCase } from "./types";

/**
 * Calls first with the target's profile, then with the caller's own profile and the target's user or
 * group: the second shows that an id from another account is refused even inside one's own profile.
 * The first must be refused (NOT_FOUND or FORBIDDEN); the second's answer is the case's outcome.
 */
async function refusedThen(first: () => Promise<unknown>, then: () => Promise<unknown>): Promise<unknown> {
  const e = await first().then(
    () => new Error("answered with another account's profile"),
    (err: unknown) => err,
  );
  if (!(e instanceof TRPCError) || (e.code !== "NOT_FOUND" && e.code !== "FORBIDDEN")) throw e;
  return then();
}

export const settingsCases: IsolationCase[] = [
  { path: "settings.get", call: (api, t) => api.settings.get({ profileId: t.profileId }) },
  { path: "settings.update", call: (api, t) => api.settings.update({ profileId: t.profileId, overagesEnabled: true, defaultCapCredits: 50, budgetCents: 10_000 }) },
  {
    path: "settings.setUserOverride",
    call: (api, t, w) =>
      refusedThen(
        () => api.settings.setUserOverride({ profileId: t.profileId, userId: t.userIds[0]!, cap: 10, overage: "on" }),
        () => api.settings.setUserOverride({ profileId: w.mine.profileId, userId: t.userIds[0]!, cap: 10, overage: "on" }),
      ),
  },
  {
    path: "settings.setGroupOverride",
    call: (api, t, w) =>
      refusedThen(
        () => api.settings.setGroupOverride({ profileId: t.profileId, groupId: t.groupIds[0]!, cap: "unlimited" }),
        () => api.settings.setGroupOverride({ profileId: w.mine.profileId, groupId: t.groupIds[0]!, cap: "unlimited" }),
      ),
  },
  {
    path: "settings.effectiveLimits",
    call: (api, t, w) =>
      refusedThen(
        () => api.settings.effectiveLimits({ profileId: t.profileId, userId: t.userIds[0]! }),
        () => api.settings.effectiveLimits({ profileId: w.mine.profileId, userId: t.userIds[0]! }),
      ),
  },
];
