/**
 * `pnpm seatdesk walkthrough`: the plan changes of DESIGN.md §2 end to end through the typed client, on
 * the demo account (issue 4, "a workspace script with the typed client"). It subscribes a new group,
 * upgrades one member, downgrades another, unsubscribes a third person, saying after each step what
 * happened, when, and the money; then it prints the three people's Users tab rows and the running bill.
 */
import type { TierId } from "@seatdesk/domain";
import { formatCenticredits, formatCents } from "./format";
import { CommandError, formatTable, instant, profileIn, statusName, tierName } from "./cli";
import type { SeatdeskClient } from "./index";

type Api = SeatdeskClient["subscriptions"];
export type UsersRow = Awaited<ReturnType<Api["list"]["query"]>>["rows"][number];
export type Preview = Awaited<ReturnType<Api["previewChange"]["query"]>>["users"][number];
export type Answer = Awaited<ReturnType<Api["changePlan"]["mutate"]>>["results"][number];
type Estimate = Awaited<ReturnType<SeatdeskClient["billing"]["estimate"]["query"]>>;
export type BillLine = Estimate["lines"][number];

/** The account lacks the people the walkthrough needs; nothing has been changed. */
export class NotEnoughPeople extends Error {}

/** One change: what the preview said it would do, and what the server answered when it was made. */
export interface Step {
  preview: Preview;
  answer: Answer;
}

export interface WalkthroughResult {
  profileId: string;
  groupId: string;
  /** The three people as the Users tab showed them before anything changed. */
  before: { a: UsersRow; b: UsersRow; c: UsersRow };
  subscribed: { a: Answer; b: Answer };
  upgradeA: Step;
  /** B is moved to Pro+ of their own first: below the group's Pro there is nothing to downgrade to. */
  raiseB: Step;
  downgradeB: Step;
  unsubscribeC: Step;
  after: { a: UsersRow; b: UsersRow; c: UsersRow };
  bill: { periodId: string; lines: { a: BillLine | null; b: BillLine | null; c: BillLine | null }; lineCount: number; feesCents: number; overageCents: number; totalCents: number };
}

export interface WalkthroughOptions {
  region: string;
  /** Where the lines for people go (stdout in the command). */
  out: (line?: string) => void;
  /** Names the new group "Walkthrough <ISO time>"; the wall clock by default. */
  now?: () => Date;
}

/** "Feb 1": the day a change takes effect (always a 1st at 00:00 UTC, or now). */
const onDay = (iso: string) => new Date(iso).toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const signed = (cents: number) => `${cents < 0 ? "-" : "+"}${formatCents(Math.abs(cents))}`;
const who = (r: UsersRow) => `${r.displayName} <${r.email}>`;

/** What happened to one person, in the words of DESIGN.md §2. */
export function outcomeWords(o: Answer["outcome"]): string {
  switch (o.kind) {
    case "upgraded":
      return `upgraded now: ${tierName(o.from)} → ${tierName(o.to)}`;
    case "downgrade-scheduled":
      return `downgrade to ${tierName(o.to)} on ${onDay(o.at)} (${tierName(o.from)} until then)`;
    case "canceled":
      return `canceled: access until ${onDay(o.accessEndsAt)}, this month stays charged`;
    case "access-ended":
      return `access ended ${onDay(o.at)} (the identity provider deactivated them)`;
    case "unchanged":
      return `no change (already ${tierName(o.tier)})`;
    case "subscribed":
      return `subscribed at ${tierName(o.tier)} (Pending until they use the tool)`;
    case "changed-now":
      return `tier changed now: ${tierName(o.from)} → ${tierName(o.to)} (still Pending, nothing charged)`;
    case "restored":
      return `re-subscribed at ${tierName(o.tier)} (no second charge this month)`;
    case "scheduled-change-cleared":
      return `scheduled downgrade cleared (stays ${tierName(o.tier)})`;
    case "removed":
      return "Pending subscription removed";
    case "none":
      return "not subscribed";
  }
}

/** The money of a preview: this month's fee change, then the monthly fee from next month on. */
function previewMoney(p: Preview): string {
  const m = p.thisMonthEstimateCents;
  const thisMonth = m.delta === 0 ? `the fee this month stays ${formatCents(m.after)}` : `the fee this month goes ${formatCents(m.before)} → ${formatCents(m.after)} (${signed(m.delta)})`;
  return `${thisMonth}; from next month ${formatCents(p.nextMonthCents)} a month`;
}

/** A, B and C from the Users tab's Active people, page after page until all three are found. */
async function choosePeople(client: SeatdeskClient, profileId: string) {
  const seen: UsersRow[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page: Awaited<ReturnType<Api["list"]["query"]>> = await client.subscriptions.list.query({ profileId, status: "active", limit: 200, cursor });
    seen.push(...page.rows.filter((r) => r.status === "active" && r.directoryActive));
    // C first: only a direct assignment covers them, so unsubscribing them cancels (edge case 2).
    const c = seen.find((r) => r.source.groups.length === 0 && r.source.direct !== null);
    const [a, b] = seen.filter((r) => r.tier === "pro" && r.scheduledTier === null && r.userId !== c?.userId);
    if (a && b && c) return { a, b, c };
    cursor = page.nextCursor;
    if (!cursor) {
      const missing = [
        ...(a && b ? [] : ["two Active people on Pro (A and B)"]),
        ...(c ? [] : ["an Active person covered only by a direct assignment (C)"]),
      ];
      throw new NotEnoughPeople(`the profile needs ${missing.join(" and ")}; each run uses three people up, and a fresh demo account has them (start the server on an empty data folder)`);
    }
  }
}

/** The Users tab row of one person, found by their e-mail. */
async function rowOf(client: SeatdeskClient, profileId: string, person: UsersRow): Promise<UsersRow> {
  const page = await client.subscriptions.list.query({ profileId, search: person.email, limit: 200 });
  const row = page.rows.find((r) => r.userId === person.userId);
  if (!row) throw new CommandError(`${person.email} is missing from the Users tab`);
  return row;
}

/** The running bill's lines of these people (paging through it) and its totals. */
async function billOf(client: SeatdeskClient, profileId: string, userIds: string[]) {
  const lines = new Map<string, BillLine>();
  let cursor: string | null = null;
  let first: Estimate | null = null;
  do {
    const page: Estimate = await client.billing.estimate.query({ profileId, cursor });
    first ??= page;
    for (const l of page.lines) if (userIds.includes(l.userId)) lines.set(l.userId, l);
    cursor = lines.size < userIds.length ? page.nextCursor : null;
  } while (cursor);
  return { estimate: first, lines };
}

export async function walkthrough(client: SeatdeskClient, options: WalkthroughOptions): Promise<WalkthroughResult> {
  const { out } = options;
  const me = await client.session.me.query();
  const profileId = await profileIn(client, options.region);
  out(`1. Signed in as ${me.email} (${me.role}) to ${me.account.name}; profile in ${options.region}.`);

  const before = await choosePeople(client, profileId);
  const { a, b, c } = before;
  out("2. Three Active people from the Users tab:");
  out(`   A ${who(a)}, ${tierName(a.tier)}`);
  out(`   B ${who(b)}, ${tierName(b.tier)}`);
  out(`   C ${who(c)}, ${tierName(c.tier)} of their own, in no subscribed group`);

  const name = `Walkthrough ${(options.now ?? (() => new Date()))().toISOString()}`;
  const group = await client.directory.createGroup.mutate({ displayName: name });
  await client.directory.addMembers.mutate({ groupId: group.id, userIds: [a.userId, b.userId] });
  const subscribed = await client.subscriptions.subscribe.mutate({ profileId, groupIds: [group.id], tier: "pro" });
  const subA = forUser(subscribed.results, a.userId);
  const subB = forUser(subscribed.results, b.userId);
  out(`3. Created the group "${name}" with A and B, and subscribed it at Pro:`);
  out(`   A ${outcomeWords(subA.outcome)}`);
  out(`   B ${outcomeWords(subB.outcome)}`);

  /** Previews a change of one person's own plan (null: unsubscribe), makes it, and says both. */
  const change = async (letter: string, person: UsersRow, tier: TierId | null): Promise<Step> => {
    const targets = { profileId, userIds: [person.userId] };
    const preview = forUser((await client.subscriptions.previewChange.query({ ...targets, tier })).users, person.userId);
    out(`   preview: ${outcomeWords(preview.outcome)}; ${previewMoney(preview)}`);
    const made = tier ? await client.subscriptions.changePlan.mutate({ ...targets, tier }) : await client.subscriptions.unsubscribe.mutate(targets);
    const answer = forUser(made.results, person.userId);
    const money = preview.thisMonthEstimateCents.delta === 0 ? "" : `, ${signed(preview.thisMonthEstimateCents.delta)} this month`;
    out(`   ${letter}: ${outcomeWords(answer.outcome)}${money}`);
    return { preview, answer };
  };

  out("4. Upgrade A to Power");
  const upgradeA = await change("A", a, "power");
  out("5. Downgrade B to Pro. The group keeps B at Pro (the highest assignment wins), so B is moved to Pro+ first:");
  const raiseB = await change("B", b, "pro_plus");
  out("   ... and now down to Pro of their own:");
  const downgradeB = await change("B", b, "pro");
  out("6. Unsubscribe C");
  const unsubscribeC = await change("C", c, null);

  const after = { a: await rowOf(client, profileId, a), b: await rowOf(client, profileId, b), c: await rowOf(client, profileId, c) };
  out("7. Their rows in the Users tab:");
  out(indent(formatTable(["", "Name", "Tier", "Status", "Scheduled change", "Access end", "Last active", "Credits used / allowance", "From"], Object.entries(after).map(([letter, r]) => usersTabCells(letter.toUpperCase(), r)))));

  const { estimate, lines } = await billOf(client, profileId, [a.userId, b.userId, c.userId]);
  const line = (r: UsersRow) => lines.get(r.userId) ?? null;
  out();
  out(`   The running bill of ${estimate.periodId} (an estimate as of ${instant(estimate.asOf)}), their lines:`);
  const billRows = Object.entries(after).map(([letter, r]) => {
    const l = line(r);
    if (!l) return [letter.toUpperCase(), r.displayName, "no line (nothing charged)", "", "", ""];
    return [letter.toUpperCase(), r.displayName, tierName(l.feeTier), formatCents(l.feeCents), formatCents(l.overageCents), formatCents(l.totalCents)];
  });
  out(indent(formatTable(["", "Name", "Fee tier", "Fee", "Overage", "Total"], billRows)));
  out(
    `   The profile: ${estimate.lineCount} charged user${estimate.lineCount === 1 ? "" : "s"}, fees ${formatCents(estimate.feesCents)}, overage ${formatCents(estimate.overageCents)}, total ${formatCents(estimate.totalCents)}.`,
  );

  return {
    profileId,
    groupId: group.id,
    before,
    subscribed: { a: subA, b: subB },
    upgradeA,
    raiseB,
    downgradeB,
    unsubscribeC,
    after,
    bill: {
      periodId: estimate.periodId,
      lines: { a: line(a), b: line(b), c: line(c) },
      lineCount: estimate.lineCount,
      feesCents: estimate.feesCents,
      overageCents: estimate.overageCents,
      totalCents: estimate.totalCents,
    },
  };
}

/** One person's part of an answer about many. */
function forUser<T extends { userId: string }>(items: T[], userId: string): T {
  const found = items.find((x) => x.userId === userId);
  if (!found) throw new CommandError(`the server's answer leaves out user ${userId}`);
  return found;
}

const indent = (text: string) => text.replace(/^/gm, "   ");

/** A Users tab row as the console shows it (DESIGN.md §4: tier and where it comes from, status, scheduled change, ...). */
function usersTabCells(letter: string, r: UsersRow): string[] {
  const usage = r.usage ? `${formatCenticredits(r.usage.usedCc)} / ${formatCenticredits(r.usage.allowanceCc)}` : "—";
  const from = [...(r.source.direct ? [`own ${tierName(r.source.direct)}`] : []), ...r.source.groups.map((g) => `${g.displayName} ${tierName(g.tier)}`)];
  return [
    letter,
    r.displayName,
    tierName(r.tier),
    statusName(r.status),
    r.scheduledTier && r.scheduledAt ? `${tierName(r.scheduledTier)} on ${onDay(r.scheduledAt)}` : "—",
    instant(r.accessEndsAt),
    instant(r.lastActiveAt),
    usage,
    from.join(", ") || "—",
  ];
}
