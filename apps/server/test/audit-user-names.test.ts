import { describe, expect, it } from "vitest";
import { recordAudit } from "../src/services/audit";
import { callerAs, harnessForFile, makeTenant } from "./harness";

const h = harnessForFile({ resetClock: true });

describe("audit.list names the group of a membership change (the user page's audit history, issue 15)", () => {
  it("a user's entries name the group that moved their subscription, by its current name", async () => {
    const t = await makeTenant(h, { users: 2 });
    const [ada] = t.userIds as [string];
    const owner = callerAs(h, t.admins.owner);
    const { id: groupId } = await owner.directory.createGroup({ displayName: "Platform" });
    await owner.subscriptions.subscribe({ profileId: t.profileId, groupIds: [groupId], tier: "pro_plus" });
    await owner.directory.addMembers({ groupId, userIds: [ada] });

    // What the user page asks: this profile's entries about this user.
    const page = await callerAs(h, t.admins.viewer).audit.list({ profileId: t.profileId, targetId: ada });
    const membership = page.entries.find((e) => e.action === "subscription.group-membership");
    expect(membership).toMatchObject({ targetType: "user", targetId: ada, group: { id: groupId, name: "Platform" } });
    // Entries that name no group carry none.
    const all = (await callerAs(h, t.admins.viewer).audit.list({})).entries;
    const without = all.filter((e) => !JSON.stringify([e.before, e.after]).includes("groupId"));
    expect(without.length).toBeGreaterThan(0);
    for (const e of without) expect("group" in e, e.action).toBe(false);
  });

  it("another account's group of the same id never lends its name", async () => {
    const mine = await makeTenant(h, { users: 1 });
    const theirs = await makeTenant(h, { users: 1 });
    const { id: theirGroup } = await callerAs(h, theirs.admins.owner).directory.createGroup({ displayName: "Secret team" });
    // An entry in my account whose after names their group's id (no console call can write one: the lookup is scoped by the entry's account regardless).
    await recordAudit(h.database.db, mine.accountId, { type: "system", id: null, label: "test" }, [
      { profileId: mine.profileId, action: "subscription.group-membership", targetType: "user", targetId: mine.userIds[0]!, before: null, after: { groupId: theirGroup } },
    ], h.clock.now());
    const page = await callerAs(h, mine.admins.viewer).audit.list({ profileId: mine.profileId, targetId: mine.userIds[0]! });
    expect(page.entries[0]!.group).toEqual({ id: theirGroup, name: null });
  });
});
