import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  computeCharge,
  defaultCatalog,
  getTier,
  highestTier,
  noteActive,
  periodOf,
  previewChange,
  reconcile,
  type MonthLedger,
  type Subscription,
  type TierId,
} from "@seatdesk/domain";
import { formatCents } from "./format";
// As in client.test.ts: the server, its clock, the demo seed and the test harness are reached by path, in tests only.
import { fixedClock } from "../../../apps/server/src/clock";
import { seedDemo } from "../../../apps/server/src/demo/seed";
import { createApp } from "../../../apps/server/src/http/app";
import { makeTenant, openHarness, testPassword, writeCounts, type Harness } from "../../../apps/server/test/harness";
import { main } from "./cli";
import { createClient, type SeatdeskClient } from "./index";
import { walkthrough, type Preview, type UsersRow, type WalkthroughResult } from "./walkthrough";

const now = new Date(Date.UTC(2026, 0, 8, 12));
const firstOfFebruary = "2026-02-01T00:00:00.000Z";
const catalog = defaultCatalog;
const price = (tier: TierId) => getTier(catalog, tier).priceCents;
const demoPassword = "walkthrough demo password";

let h: Harness;
let server: Server;
let url: string;
let demo: { accountId: string; profileId: string; adminEmail: string };
/** The first walkthrough's answers (the command's run comes after it, on the same account). */
let result: WalkthroughResult;

beforeAll(async () => {
  h = await openHarness();
  const clock = fixedClock(now);
  // The same server the command talks to, standing still at 2026-01-08 12:00 UTC, with the demo account seeded at that instant.
  demo = await seedDemo(h.database.db, { catalog, now, adminEmail: `demo-${crypto.randomUUID()}@northwind.example`, adminPassword: demoPassword });
  server = createServer(createApp({ ...h.deps, clock }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

/** A value as it crosses the API (instants as ISO strings). */
const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

/** The subscription a Users tab row shows, as the rules see it (activatedAt plays no part in a change). */
function subscriptionOf(r: UsersRow): Subscription {
  const date = (iso: string | null) => (iso ? new Date(iso) : null);
  return {
    tier: r.tier!,
    status: r.status!,
    scheduledTier: r.scheduledTier,
    scheduledAt: date(r.scheduledAt),
    accessEndsAt: date(r.accessEndsAt),
    activatedAt: null,
    lastActiveAt: date(r.lastActiveAt),
  };
}

/**
 * The month so far as a Users tab row shows it: the fee tier is the tier whose allowance the row shows
 * (edge case 4: the same tier sets the fee and the allowance), with the row's credits. The demo profile
 * bills the first month in full, so when the user became Active does not matter.
 */
function ledgerOf(r: UsersRow): MonthLedger {
  const usage = r.usage!;
  const feeTier = catalog.tiers.find((t) => t.allowanceCenticredits === usage.allowanceCc)!.id;
  return { periodId: periodOf(now).id, feeTier, activeAtStart: true, firstActivatedAt: null, firstMonthProrated: false, includedCc: usage.includedCc, overageCc: usage.overageCc, unbilledCc: usage.unbilledCc };
}

/** The tiers of the groups that cover a person (their own assignment is what the walkthrough changes). */
const groupTiers = (r: UsersRow): TierId[] => r.source.groups.map((g) => g.tier);

/** What the domain says a change does: the effective tier is the highest assignment covering the person (DESIGN.md §2). */
function expectedChange(sub: Subscription, ledger: MonthLedger, covers: TierId[]) {
  return previewChange({ catalog, subscription: sub, ledger, effectiveTier: highestTier(catalog, covers), now, cancelAccess: "end-of-month", firstMonth: "full" });
}

/** The parts of a preview the rules decide (`after` also carries activatedAt, which the row does not show). */
const decided = (p: Preview | ReturnType<typeof previewChange>) =>
  wire({ outcome: p.outcome, effectiveAt: p.effectiveAt, when: p.when, thisMonthEstimateCents: p.thisMonthEstimateCents, nextMonthCents: p.nextMonthCents });

describe("the walkthrough on the demo account (issue 4)", () => {
  let client: SeatdeskClient;
  let printed: string[];
  let billBefore: Awaited<ReturnType<SeatdeskClient["billing"]["estimate"]["query"]>>;

  beforeAll(async () => {
    client = await createClient(url, { email: demo.adminEmail, password: demoPassword });
    const settings = await client.settings.get.query({ profileId: demo.profileId });
    // The rules below assume the profile's defaults: access until the month ends, the first month billed in full.
    expect([settings.cancelAccess, settings.firstMonth]).toEqual(["end-of-month", "full"]);
    billBefore = await client.billing.estimate.query({ profileId: demo.profileId });
    expect(billBefore.nextCursor).toBeNull();
    printed = [];
    result = await walkthrough(client, { region: "us-east-1", out: (line = "") => void printed.push(line), now: () => now });
  });
  afterAll(() => client.signOut());

  it("chooses A and B Active on Pro, and C Active on their own Pro only, three different people", () => {
    const { a, b, c } = result.before;
    expect(result.profileId).toBe(demo.profileId);
    expect([a.status, b.status, c.status]).toEqual(["active", "active", "active"]);
    expect([a.tier, b.tier]).toEqual(["pro", "pro"]);
    expect(c.source).toEqual({ direct: c.tier, groups: [] });
    expect(new Set([a.userId, b.userId, c.userId]).size).toBe(3);
    // Each is charged Pro this month so far: the fee tier (shown by the allowance) is Pro, and no credits are used yet.
    for (const r of [a, b, c]) expect(ledgerOf(r)).toMatchObject({ feeTier: "pro", includedCc: 0, overageCc: 0, unbilledCc: 0 });
  });

  it("subscribing the group at Pro changes nothing for A and B, who are already on Pro", () => {
    const { a, b } = result.before;
    for (const [r, answer] of [[a, result.subscribed.a], [b, result.subscribed.b]] as const) {
      const covers = [...groupTiers(r), ...(r.source.direct ? [r.source.direct] : []), "pro" as const];
      expect(answer.outcome).toEqual(wire(reconcile(catalog, subscriptionOf(r), highestTier(catalog, covers), now, "end-of-month").outcome));
      expect(answer.outcome).toEqual({ kind: "unchanged", tier: "pro" });
    }
  });

  it("A's upgrade to Power is immediate, and the month is charged at Power in full", () => {
    const a = result.before.a;
    const expected = expectedChange(subscriptionOf(a), ledgerOf(a), [...groupTiers(a), "pro", "power"]);
    expect(decided(result.upgradeA.preview)).toEqual(decided(expected));
    // Written out: Pro → Power now; this month's fee goes from Pro's $20 to Power's $200 (+$180), then $200 a month.
    expect(decided(result.upgradeA.preview)).toEqual({
      outcome: { kind: "upgraded", from: "pro", to: "power" },
      effectiveAt: now.toISOString(),
      when: "now",
      thisMonthEstimateCents: { before: 2_000, after: 20_000, delta: price("power") - price("pro") },
      nextMonthCents: 20_000,
    });
    expect(result.upgradeA.answer).toMatchObject({ outcome: { kind: "upgraded", from: "pro", to: "power" }, when: "now", status: "active", tier: "power", scheduledTier: null });
  });

  it("B is raised to Pro+ of their own first, then the change back to Pro is a downgrade on Feb 1 (the group keeps Pro)", () => {
    const b = result.before.b;
    const raise = expectedChange(subscriptionOf(b), ledgerOf(b), [...groupTiers(b), "pro", "pro_plus"]);
    expect(decided(result.raiseB.preview)).toEqual(decided(raise));
    expect(result.raiseB.answer).toMatchObject({ outcome: { kind: "upgraded", from: "pro", to: "pro_plus" }, when: "now", tier: "pro_plus" });

    // After the raise B holds Pro+ while Active: the month's fee tier is Pro+, which a downgrade does not take back.
    const raised = raise.after!;
    const raisedLedger = noteActive(catalog, ledgerOf(b), "pro_plus", now, "full");
    const down = expectedChange(raised, raisedLedger, [...groupTiers(b), "pro", "pro"]);
    expect(decided(result.downgradeB.preview)).toEqual(decided(down));
    // Written out: Pro+ → Pro on 2026-02-01 00:00 UTC; this month stays Pro+'s $40; from February $20 a month.
    expect(decided(result.downgradeB.preview)).toEqual({
      outcome: { kind: "downgrade-scheduled", from: "pro_plus", to: "pro", at: firstOfFebruary },
      effectiveAt: firstOfFebruary,
      when: "next-month",
      thisMonthEstimateCents: { before: 4_000, after: 4_000, delta: 0 },
      nextMonthCents: 2_000,
    });
    expect(result.downgradeB.answer).toMatchObject({ outcome: { kind: "downgrade-scheduled", from: "pro_plus", to: "pro", at: firstOfFebruary }, when: "next-month", at: firstOfFebruary, tier: "pro_plus", scheduledTier: "pro" });
  });

  it("C, covered by nothing else, is Canceled with access until Feb 1, and January stays charged", () => {
    const c = result.before.c;
    const expected = expectedChange(subscriptionOf(c), ledgerOf(c), []);
    expect(decided(result.unsubscribeC.preview)).toEqual(decided(expected));
    expect(decided(result.unsubscribeC.preview)).toEqual({
      outcome: { kind: "canceled", accessEndsAt: firstOfFebruary },
      effectiveAt: firstOfFebruary,
      when: "next-month",
      thisMonthEstimateCents: { before: 2_000, after: 2_000, delta: 0 },
      nextMonthCents: 0,
    });
    expect(result.unsubscribeC.answer).toMatchObject({ outcome: { kind: "canceled", accessEndsAt: firstOfFebruary }, when: "next-month", at: firstOfFebruary, status: "canceled" });
  });

  it("the Users tab rows show the outcome: A Power now, B Pro+ with Pro scheduled, C Canceled until Feb 1", () => {
    const { a, b, c } = result.after;
    const ours = { groupId: result.groupId, displayName: "Walkthrough 2026-01-08T12:00:00.000Z", tier: "pro" };
    expect(a).toMatchObject({ tier: "power", status: "active", scheduledTier: null, accessEndsAt: null, source: { direct: "power" } });
    expect(a.source.groups).toContainEqual(ours);
    // The allowance follows the fee tier (edge case 4): Power's 10,000 credits at once, Pro+'s 2,000 for B all month.
    expect(a.usage).toMatchObject({ allowanceCc: 1_000_000, usedCc: 0 });
    expect(b).toMatchObject({ tier: "pro_plus", status: "active", scheduledTier: "pro", scheduledAt: firstOfFebruary, source: { direct: "pro" } });
    expect(b.source.groups).toContainEqual(ours);
    expect(b.usage).toMatchObject({ allowanceCc: 200_000, usedCc: 0 });
    expect(c).toMatchObject({ tier: "pro", status: "canceled", scheduledTier: null, accessEndsAt: firstOfFebruary, source: { direct: null, groups: [] } });
    expect(c.usage).toMatchObject({ allowanceCc: 100_000, usedCc: 0 });
    expect(c.lastActiveAt).toBe(result.before.c.lastActiveAt);
  });

  it("the running bill charges each the highest tier held while Active, and the totals move by exactly that", () => {
    const { a, b, c } = result.before;
    const period = periodOf(now);
    const fee = (ledger: MonthLedger) => computeCharge(catalog, ledger, period).feeCents;
    // The domain's charge of each month: A noted Active at Power, B at Pro+ (the later downgrade changes no ledger), C as it was.
    const feeA = fee(noteActive(catalog, ledgerOf(a), "power", now, "full"));
    const feeB = fee(noteActive(catalog, ledgerOf(b), "pro_plus", now, "full"));
    const feeC = fee(ledgerOf(c));
    expect([feeA, feeB, feeC]).toEqual([20_000, 4_000, 2_000]);

    const { lines } = result.bill;
    expect(lines.a).toMatchObject({ userId: a.userId, feeTier: "power", feeCents: feeA, overageCents: 0, totalCents: feeA, proration: null });
    expect(lines.b).toMatchObject({ userId: b.userId, feeTier: "pro_plus", feeCents: feeB, overageCents: 0, totalCents: feeB });
    expect(lines.c).toMatchObject({ userId: c.userId, feeTier: "pro", feeCents: feeC, overageCents: 0, totalCents: feeC });

    // Before, each of the three had a Pro line of $20; nobody else's bill changed.
    const lineBefore = (userId: string) => billBefore.lines.find((l) => l.userId === userId);
    for (const r of [a, b, c]) expect(lineBefore(r.userId)).toMatchObject({ feeTier: "pro", feeCents: price("pro") });
    expect(result.bill.periodId).toBe("2026-01");
    expect(result.bill.lineCount).toBe(billBefore.lineCount);
    expect(result.bill.feesCents).toBe(billBefore.feesCents + (feeA - 2_000) + (feeB - 2_000) + (feeC - 2_000));
    expect(result.bill.overageCents).toBe(billBefore.overageCents);
    expect(result.bill.totalCents).toBe(result.bill.feesCents + result.bill.overageCents);
  });

  it("prints each step's answer in plain words, the rows and the bill with those figures", () => {
    const text = printed.join("\n");
    const lines = text.split("\n");
    const { a, b, c } = result.after;
    expect(lines[0]).toBe(`1. Signed in as ${demo.adminEmail} (owner) to Northwind Labs; profile in us-east-1.`);
    expect(text).toContain('3. Created the group "Walkthrough 2026-01-08T12:00:00.000Z" with A and B, and subscribed it at Pro:');
    expect(text).toContain("   preview: upgraded now: Pro → Power; the fee this month goes $20.00 → $200.00 (+$180.00); from next month $200.00 a month");
    expect(text).toContain("   A: upgraded now: Pro → Power, +$180.00 this month");
    expect(text).toContain("   B: upgraded now: Pro → Pro+, +$20.00 this month");
    expect(text).toContain("   preview: downgrade to Pro on Feb 1 (Pro+ until then); the fee this month stays $40.00; from next month $20.00 a month");
    expect(text).toContain("   B: downgrade to Pro on Feb 1 (Pro+ until then)");
    expect(text).toContain("   C: canceled: access until Feb 1, this month stays charged");

    // The Users tab table: a row per person, cells two or more spaces apart, each under its header.
    const cells = (letter: string) => lines.find((l) => l.startsWith(`   ${letter}  `))!.trim().split(/ {2,}/);
    expect(cells("A").slice(0, 8)).toEqual(["A", a.displayName, "Power", "Active", "—", "—", `${a.lastActiveAt!.slice(0, 16).replace("T", " ")} UTC`, "0 / 10,000"]);
    expect(cells("B").slice(0, 8)).toEqual(["B", b.displayName, "Pro+", "Active", "Pro on Feb 1", "—", `${b.lastActiveAt!.slice(0, 16).replace("T", " ")} UTC`, "0 / 2,000"]);
    expect(cells("C")).toEqual(["C", c.displayName, "Pro", "Canceled", "—", "2026-02-01 00:00 UTC", `${c.lastActiveAt!.slice(0, 16).replace("T", " ")} UTC`, "0 / 1,000", "—"]);
    expect(cells("A")[8]).toBe("own Power, " + a.source.groups.map((g) => `${g.displayName} ${getTier(catalog, g.tier).name}`).join(", "));

    // The bill's lines of the three (the second row of each letter) and the profile's totals.
    const billRow = (letter: string) => lines.filter((l) => l.startsWith(`   ${letter}  `))[1]!.trim().split(/ {2,}/);
    expect(billRow("A")).toEqual(["A", a.displayName, "Power", "$200.00", "$0.00", "$200.00"]);
    expect(billRow("B")).toEqual(["B", b.displayName, "Pro+", "$40.00", "$0.00", "$40.00"]);
    expect(billRow("C")).toEqual(["C", c.displayName, "Pro", "$20.00", "$0.00", "$20.00"]);
    expect(text).toContain("The running bill of 2026-01 (an estimate as of 2026-01-08 12:00 UTC), their lines:");
    const { lineCount, feesCents, overageCents, totalCents } = result.bill;
    expect(lines.at(-1)).toBe(
      `   The profile: ${lineCount} charged users, fees ${formatCents(feesCents)}, overage ${formatCents(overageCents)}, total ${formatCents(totalCents)}.`,
    );
  });
});

describe("pnpm seatdesk walkthrough", () => {
  const run = async (...args: string[]) => {
    let stdout = "";
    let stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
    const code = await main(args).finally(() => vi.restoreAllMocks());
    return { code, stdout, stderr };
  };

  it("runs again on the same account with three other people (the first three no longer qualify), and exits 0", async () => {
    const { code, stdout, stderr } = await run("walkthrough", "--url", url, "--email", demo.adminEmail, "--password", demoPassword);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^1\. Signed in as .*\n2\. Three Active people from the Users tab:\n/);
    const chosen = stdout.split("\n").slice(2, 5).join("\n");
    expect(chosen.match(/^ {3}[ABC] .*<[^>]+@[^>]+>/gm)).toHaveLength(3);
    for (const r of Object.values(result.before)) expect(chosen).not.toContain(r.email);
    expect(stdout).toContain("A: upgraded now: Pro → Power, +$180.00 this month\n");
    expect(stdout).toContain("B: downgrade to Pro on Feb 1 (Pro+ until then)\n");
    expect(stdout).toContain("C: canceled: access until Feb 1, this month stays charged\n");
  });

  it("on an account without the people it needs, explains, changes nothing and exits 2", async () => {
    const t = await makeTenant(h, { users: 3, groups: 1 });
    const before = await writeCounts(h, t.accountId);
    const { code, stdout, stderr } = await run("walkthrough", "--url", url, "--email", t.admins.admin.email, "--password", testPassword);
    expect(code).toBe(2);
    expect(stdout).toMatch(/^1\. Signed in as /);
    expect(stderr).toBe(
      "seatdesk walkthrough: the profile needs two Active people on Pro (A and B) and an Active person covered only by a direct assignment (C); each run uses three people up, and a fresh demo account has them (start the server on an empty data folder)\n",
    );
    expect(await writeCounts(h, t.accountId)).toEqual(before);
  });
});
