import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { auditLog } from "@seatdesk/db";
import { appRouter } from "../src/routers/_app";
import { tenantFingerprint } from "./fingerprint";
import { addMembers, callerAs, makeTenant, openHarness, type Harness } from "./harness";
import { isolationCases } from "./isolation-cases/index";
import type { World } from "./isolation-cases/types";

/**
 * Issue 4, "Rules of the road": every procedure, called with another account's ids, answers NOT_FOUND
 * (or FORBIDDEN) and changes nothing of that account; every mutation, called by a viewer, is FORBIDDEN
 * and changes nothing. A procedure added without a case in test/isolation-cases fails here.
 */
let h: Harness;
let w: World;

async function populate(world: World) {
  for (const t of [world.mine, world.theirs]) {
    const api = callerAs(world.h, t.admins.owner);
    await addMembers(world.h, t, t.groupIds[0]!, t.userIds.slice(0, 3));
    await api.subscriptions.subscribe({ profileId: t.profileId, userIds: t.userIds.slice(3, 5), tier: "pro_plus" });
  }
}

beforeAll(async () => {
  h = await openHarness();
  w = { h, mine: await makeTenant(h, { users: 8, groups: 2 }), theirs: await makeTenant(h, { users: 8, groups: 2 }) };
  await populate(w);
});
afterAll(() => h.close());

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>).map(([path, p]) => ({ path, type: p._def.type }));

async function outcome(p: Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; error: TRPCError }> {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    expect(e).toBeInstanceOf(TRPCError);
    return { ok: false, error: e as TRPCError };
  }
}

describe("every procedure has an isolation case", () => {
  it("no procedure is missing and no case names a procedure that does not exist", () => {
    const known = new Set(procedures.map((p) => p.path));
    const covered = new Set(isolationCases.map((c) => c.path));
    expect([...known].filter((p) => !covered.has(p))).toEqual([]);
    expect([...covered].filter((p) => !known.has(p))).toEqual([]);
    expect(procedures.length).toBeGreaterThan(5);
  });
});

describe("another account's ids: NOT_FOUND or FORBIDDEN, nothing changed", () => {
  for (const c of isolationCases) {
    it(c.path, async () => {
      const theirsBefore = await tenantFingerprint(h.database, w.theirs.accountId);
      const result = await outcome(c.call(callerAs(h, w.mine.admins.owner), w.theirs, w));
      if (c.sessionScoped) {
        expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
        const text = JSON.stringify(result.ok ? result.value : null) ?? "";
        for (const id of [w.theirs.accountId, w.theirs.profileId, ...w.theirs.userIds, ...w.theirs.groupIds, w.theirs.admins.owner.email]) {
          expect(text).not.toContain(id);
        }
      } else {
        expect(result.ok, `${c.path} answered with another account's ids`).toBe(false);
        if (!result.ok) {
          if (c.expectCode) expect(result.error.code).toBe(c.expectCode);
          else expect(["NOT_FOUND", "FORBIDDEN"]).toContain(result.error.code);
        }
      }
      if (c.auditsTarget) {
        // Exactly one entry of that action was written there; without it the account is as it was.
        const audited = and(eq(auditLog.accountId, w.theirs.accountId), eq(auditLog.action, c.auditsTarget));
        expect(await h.database.db.delete(auditLog).where(audited).returning({ id: auditLog.id })).toHaveLength(1);
      }
      expect(await tenantFingerprint(h.database, w.theirs.accountId)).toEqual(theirsBefore);
    });
  }
});

describe("a viewer changes nothing: every mutation is FORBIDDEN", () => {
  const mutations = procedures.filter((p) => p.type === "mutation").map((p) => p.path);
  it("there are mutations to check", () => expect(mutations.length).toBeGreaterThan(1));
  for (const path of mutations) {
    const c = isolationCases.find((x) => x.path === path);
    if (c?.viewerMay) continue;
    it(path, async () => {
      expect(c, `no case for ${path}`).toBeDefined();
      const before = await tenantFingerprint(h.database, w.mine.accountId);
      const result = await outcome(c!.call(callerAs(h, w.mine.admins.viewer), w.mine, w));
      expect(result.ok ? "succeeded" : result.error.code).toBe("FORBIDDEN");
      expect(await tenantFingerprint(h.database, w.mine.accountId)).toEqual(before);
    });
  }
});
