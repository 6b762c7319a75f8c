import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { directoryUsers } from "@seatdesk/db";
import type { IsolationCase } from "./types";

/** A CSV naming the other account's people and group names: it must land in the caller's own directory only. */
function csvNaming(emails: string[]): string {
  return ["email,display_name,groups", ...emails.map((e, i) => `${e},Imported ${i},Group 0;Group 1`)].join("\n");
}

export const directoryCases: IsolationCase[] = [
  { path: "directory.listUsers", call: (api) => api.directory.listUsers({ limit: 200 }), sessionScoped: true },
  { path: "directory.getUser", call: (api, t) => api.directory.getUser({ userId: t.userIds[0]! }) },
  { path: "directory.listGroups", call: (api) => api.directory.listGroups({ limit: 200 }), sessionScoped: true },
  { path: "directory.groupMembers", call: (api, t) => api.directory.groupMembers({ groupId: t.groupIds[0]! }) },
  {
    path: "directory.createUser",
    call: (api) => api.directory.createUser({ displayName: "Made by hand", email: `hand-${randomUUID().slice(0, 8)}@example.com` }),
    sessionScoped: true,
  },
  { path: "directory.createGroup", call: (api) => api.directory.createGroup({ displayName: `Hand group ${randomUUID().slice(0, 8)}` }), sessionScoped: true },
  { path: "directory.addMembers", call: (api, t) => api.directory.addMembers({ groupId: t.groupIds[1]!, userIds: t.userIds.slice(5, 7) }) },
  { path: "directory.removeMembers", call: (api, t) => api.directory.removeMembers({ groupId: t.groupIds[0]!, userIds: t.userIds.slice(0, 2) }) },
  {
    // No ids: the file names the target's users by e-mail (their user names) and its groups by name.
    path: "directory.importCsv",
    call: async (api, t, w) => {
      const theirs = await w.h.database.db.select({ userName: directoryUsers.userName }).from(directoryUsers).where(eq(directoryUsers.accountId, t.accountId));
      return api.directory.importCsv({ csv: csvNaming(theirs.map((u) => u.userName)), mode: "import" });
    },
    sessionScoped: true,
  },
];
