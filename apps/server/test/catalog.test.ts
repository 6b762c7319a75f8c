import { describe, expect, it } from "vitest";
import { defaultCatalog, type Catalog } from "@seatdesk/domain";
import { callerAs, harnessForFile, makeTenant, memoryJar, rejection } from "./harness";
import { createCallerFactory } from "../src/trpc/init";
import { appRouter } from "../src/routers/_app";

const h = harnessForFile();

describe("catalog.get (DESIGN.md §2, Catalog)", () => {
  it("answers the catalog the server runs with, to every role, the same in every account", async () => {
    const a = await makeTenant(h, { users: 0 });
    const b = await makeTenant(h, { users: 0 });
    const expected = {
      tiers: [
        { id: "pro", name: "Pro", rank: 1, priceCents: 2_000, allowanceCenticredits: 100_000 },
        { id: "pro_plus", name: "Pro+", rank: 2, priceCents: 4_000, allowanceCenticredits: 200_000 },
        { id: "power", name: "Power", rank: 3, priceCents: 20_000, allowanceCenticredits: 1_000_000 },
      ],
      overageCentsPerCredit: 4,
    };
    for (const session of [a.admins.owner, a.admins.admin, a.admins.viewer, b.admins.owner]) {
      expect(await callerAs(h, session).catalog.get()).toEqual(expected);
    }
  });

  it("is the injected catalog, not the default one: a server started with another catalog answers that one", async () => {
    const t = await makeTenant(h, { users: 0 });
    const custom: Catalog = {
      tiers: [
        { id: "pro", name: "Starter", rank: 1, priceCents: 1_250, allowanceCenticredits: 50_000 },
        { id: "power", name: "Max", rank: 5, priceCents: 99_900, allowanceCenticredits: 5_000_000 },
      ],
      overageCentsPerCredit: 7,
    };
    const caller = createCallerFactory(appRouter)({ ...h.deps, catalog: custom, session: t.admins.viewer, sessionToken: undefined, cookies: memoryJar(), bearer: undefined });
    expect(await caller.catalog.get()).toEqual(custom);
    expect(custom).not.toEqual(defaultCatalog);
  });

  it("signed out: UNAUTHORIZED", async () => {
    const e = await rejection(callerAs(h, null).catalog.get());
    expect(e.code).toBe("UNAUTHORIZED");
  });
});
