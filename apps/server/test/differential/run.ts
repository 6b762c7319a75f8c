import { randomUUID } from "node:crypto";
import { defaultCatalog, nextPeriod, periodClosesAt, periodOf, previousPeriod, type Cap, type ChangeOutcome, type TierId } from "@seatdesk/domain";
import { advanceTo, applyEvent, createProfileModel, type ProfileEvent, type ProfileModel } from "@seatdesk/domain/testing";
import { accounts, consoleAdmins, directoryGroups, directoryUsers, groupMembers } from "@seatdesk/db";
import { createSession } from "../../src/auth/sessions";
import type { Harness } from "../harness";
import { scimSchemas, type Answer, type Api } from "./api";
import { agree, Disagreement } from "./compare";
import { describeAction, stepTimes, type Action, type Timeline } from "./timeline";
import {
  actualRow,
  currentOf,
  expectedCheck,
  expectedDashboard,
  expectedEstimate,
  expectedRow,
  inFilter,
  lineView,
  listFilters,
  sortLines,
  type ClientTally,
  type LineView,
} from "./views";

/**
 * One timeline through the HTTP API, compared with the domain's profile model after every step: the step's
 * answer (accepted with what, or refused with which code), the Users tab (every row, and a filter), the
 * dashboard and (every third step, and before a month ends) the running estimate of each profile; at the
 * end, past the last month, every invoice line by line. A difference throws a Disagreement naming the step.
 */

export interface Env {
  h: Harness;
  api: Api;
  /** The instant console sessions are made at: the session clock, which the billing clock's moves never touch. */
  sessionNow: Date;
  /** What the timelines exercised (outcomes, refusals, reasons), counted when given: to see that the generator reaches the rules. */
  stats?: Map<string, number>;
}

const note = (env: Env, key: string) => env.stats?.set(key, (env.stats.get(key) ?? 0) + 1);

interface Accepted {
  key: string;
  cc: number;
  body: Record<string, unknown>;
  answer: Record<string, unknown>;
}

interface ProfileState {
  id: string;
  key: string;
  model: ProfileModel;
  accepted: Accepted[];
  lastRefusedKey: string | null;
  clients: Map<string, ClientTally>;
}

interface World {
  cookie: string;
  scimToken: string;
  profiles: ProfileState[];
  users: { id: string; userName: string }[];
  groups: string[];
  inactive: Set<number>;
  deleted: Set<number>;
  keys: number;
}

/** What a refusal must carry: the tRPC code, and (once the server sends one, edge case 16) the domain's code. */
interface Refusal {
  code: string;
  domainCode?: string;
  /** Checked when the server sends no domain code yet. */
  message?: RegExp;
}

const refusals = {
  "not-subscribed": { code: "PRECONDITION_FAILED", domainCode: "not-subscribed", message: /no subscription/ },
  "access-ended": { code: "PRECONDITION_FAILED", domainCode: "access-ended", message: /access (has )?ended/ },
  "unknown-user": { code: "NOT_FOUND", domainCode: "unknown-user", message: /no (such )?user/ },
  "idempotency-conflict": { code: "CONFLICT", domainCode: "idempotency-conflict", message: /already used/ },
} satisfies Record<string, Refusal>;

const regions = ["us-east-1", "eu-central-1"];

function ok<T>(what: string, a: Answer): T {
  if (!a.ok) throw new Disagreement(what, `${what}: the model accepts it; the API refused it: ${a.error.code}${a.error.domainCode ? ` (${a.error.domainCode})` : ""} "${a.error.message}"`);
  return a.data as T;
}

function refused(what: string, a: Answer, r: Refusal): void {
  if (a.ok) throw new Disagreement(what, `${what}: the model refuses it (${r.domainCode ?? r.code}); the API accepted it: ${JSON.stringify(a.data)}`);
  const e = a.error;
  const codeOk = e.code === r.code;
  const domainOk = e.domainCode === undefined || r.domainCode === undefined || e.domainCode === r.domainCode;
  const messageOk = e.domainCode !== undefined || r.message === undefined || r.message.test(e.message);
  if (!codeOk || !domainOk || !messageOk) {
    throw new Disagreement(
      what,
      `${what}: the model refuses it with ${r.code}${r.domainCode ? ` (${r.domainCode})` : ""}; the API refused it with ${e.code}${e.domainCode ? ` (${e.domainCode})` : ""} "${e.message}"`,
    );
  }
}

async function setUp(env: Env, tl: Timeline): Promise<World> {
  const { h, api } = env;
  h.clock.set(tl.start);
  const db = h.database.db;
  const tag = randomUUID().slice(0, 8);
  // Given before the timeline starts, written directly as the harness's makeTenant does (there is no sign-up API):
  // the account, its owner's session, the directory. Everything after goes through HTTP.
  const [account] = await db.insert(accounts).values({ name: `Differential ${tag}` }).returning();
  const accountId = account!.id;
  const [owner] = await db
    .insert(consoleAdmins)
    .values({ accountId, email: `owner-${tag}@example.com`, name: `Owner ${tag}`, role: "owner", passwordHash: "not-a-password-hash" })
    .returning();
  const cookie = `seatdesk_session=${await createSession(db, accountId, owner!.id, env.sessionNow)}`;
  const userRows = await db
    .insert(directoryUsers)
    .values(Array.from({ length: tl.users }, (_, i) => ({ accountId, userName: `u${i}-${tag}@example.com`, email: `u${i}-${tag}@example.com`, displayName: `User ${i}`, createdAt: tl.start, updatedAt: tl.start })))
    .returning({ id: directoryUsers.id, userName: directoryUsers.userName });
  const groupRows = await db
    .insert(directoryGroups)
    .values([0, 1].map((g) => ({ accountId, displayName: `Group ${g}`, createdAt: tl.start, updatedAt: tl.start })))
    .returning({ id: directoryGroups.id });
  const users = userRows.map((r) => ({ id: r.id, userName: r.userName }));
  const groups = groupRows.map((r) => r.id);
  const memberships = tl.members.flatMap((list, g) => list.map((u) => ({ accountId, groupId: groups[g]!, userId: users[u]!.id })));
  if (memberships.length > 0) await db.insert(groupMembers).values(memberships);

  // The console's set-up calls, independent ones together: the identity provider's SCIM token, each profile and its API key.
  const [token, profiles] = await Promise.all([
    api.mutation(cookie, "scimTokens.create", { name: "identity provider" }),
    Promise.all(
      Array.from({ length: tl.profiles }, async (_, p): Promise<ProfileState> => {
        const { id } = ok<{ id: string }>("profiles.create", await api.mutation(cookie, "profiles.create", { region: regions[p] }));
        const { key } = ok<{ key: string }>("keys.create", await api.mutation(cookie, "keys.create", { profileId: id, name: "tool" }));
        return { id, key, model: createProfileModel(defaultCatalog, tl.start), accepted: [], lastRefusedKey: null, clients: new Map() };
      }),
    ),
  ]);
  const scimToken = ok<{ token: string }>("scimTokens.create", token).token;
  for (const p of profiles) for (const [g, members] of tl.members.entries()) for (const u of members) applyEvent(p.model, { type: "join-group", at: tl.start, groupId: groups[g]!, userId: users[u]!.id });
  return { cookie, scimToken, profiles, users, groups, inactive: new Set(), deleted: new Set(), keys: 0 };
}

/** Runs a model event for one user and returns what it did to them, as the server answers it (edge case 15's `unchanged` included). */
function outcomeOf(m: ProfileModel, userId: string, now: Date, run: () => void): ChangeOutcome {
  const before = currentOf(m, userId, now);
  const n = m.changes.length;
  run();
  const mine = m.changes.slice(n).filter((c) => c.userId === userId);
  if (mine.length > 1) throw new Error(`the model changed ${userId} ${mine.length} times in one reconcile`);
  if (mine[0]) return mine[0].outcome;
  return before ? { kind: "unchanged", tier: before.tier } : { kind: "none" };
}

const capWire = (c: Cap | null | undefined) => (c === undefined || c === null ? null : c === "unlimited" ? c : c / 100);

function tallyOf(p: ProfileState): ClientTally {
  const id = p.model.period.id;
  let t = p.clients.get(id);
  if (!t) p.clients.set(id, (t = new Map()));
  return t;
}

function tally(p: ProfileState, client: string, cc: number, split: { includedCc: number; overageCc: number; unbilledCc: number }) {
  const t = tallyOf(p);
  const c = t.get(client) ?? { events: 0, usedCc: 0, includedCc: 0, overageCc: 0, unbilledCc: 0 };
  t.set(client, { events: c.events + 1, usedCc: c.usedCc + cc, includedCc: c.includedCc + split.includedCc, overageCc: c.overageCc + split.overageCc, unbilledCc: c.unbilledCc + split.unbilledCc });
}

type UseOutcome = { accepted: true; answer: Record<string, unknown>; split: { includedCc: number; overageCc: number; unbilledCc: number } } | { accepted: false; refusal: Refusal };

/** One usage event through the model: its answer as usage.record gives it (or the refusal). */
function useInModel(m: ProfileModel, userId: string, cc: number, key: string, now: Date): UseOutcome {
  const before = currentOf(m, userId, now);
  applyEvent(m, { type: "use", at: now, userId, creditsCc: cc });
  const r = m.uses.at(-1)!;
  if (!r.accepted) return { accepted: false, refusal: refusals[r.reason] };
  const ledger = m.ledgers.get(userId)!;
  const split = { includedCc: r.includedCc, overageCc: r.overageCc, unbilledCc: r.unbilledCc };
  return {
    accepted: true,
    split,
    answer: {
      idempotencyKey: key,
      userId,
      ...split,
      stoppedBy: r.stoppedBy,
      activated: before?.status === "pending",
      state: {
        periodId: m.period.id,
        periodEnd: m.period.end.toISOString(),
        allowanceCc: r.allowanceCc,
        usedCc: ledger.includedCc + ledger.overageCc + ledger.unbilledCc,
        includedCc: ledger.includedCc,
        overageCc: ledger.overageCc,
        unbilledCc: ledger.unbilledCc,
      },
      replayed: false,
    },
  };
}

/** Audit entries of the account at the instant `now` (at most 200). */
async function auditCount(env: Env, w: World, now: Date): Promise<number> {
  const [page] = await env.api.queries(w.cookie, [{ path: "audit.list", input: { from: now.toISOString(), to: new Date(now.getTime() + 1).toISOString(), limit: 200 } }]);
  return ok<{ entries: unknown[] }>("audit.list", page!).entries.length;
}

/** The step's action through the API and through the model, with the answers compared. */
async function perform(env: Env, w: World, a: Action, now: Date): Promise<void> {
  const { api } = env;
  const uid = (u: number) => w.users[u]!.id;
  const ref = (u: number, by: "id" | "name") => (by === "id" ? { userId: uid(u) } : { userName: w.users[u]!.userName });
  switch (a.t) {
    case "assign": {
      const P = w.profiles[a.p]!;
      const m = P.model;
      const input = { profileId: P.id, userIds: a.users.map(uid), groupIds: a.groups.map((g) => w.groups[g]!), ...(a.op === "unsubscribe" ? {} : { tier: a.tier }) };
      const what = `subscriptions.${a.op}`;
      const tier: TierId | null = a.op === "unsubscribe" ? null : a.tier;
      // Every target already has this assignment: if no subscription moves either, nothing changed and nothing is audited (edge case 15).
      const sameAssignments =
        a.users.every((u) => (m.direct.get(uid(u)) ?? null) === tier) && a.groups.every((g) => (m.groupTiers.get(w.groups[g]!) ?? null) === tier);
      const auditBefore = sameAssignments ? await auditCount(env, w, now) : null;
      const answer = await api.mutation(w.cookie, what, input);
      // The call is all or nothing: an unknown (deleted) user, or a plan change for a group without a plan, and nothing is written.
      if (a.users.some((u) => w.deleted.has(u))) return refused(what, answer, { code: "NOT_FOUND" });
      if (a.op === "changePlan" && a.groups.some((g) => !m.groupTiers.has(w.groups[g]!))) return refused(what, answer, { code: "PRECONDITION_FAILED" });
      // One call writes every target's assignment, then the rules run once for each user it touches (as one admin action).
      for (const u of a.users) {
        if (tier) m.direct.set(uid(u), tier);
        else m.direct.delete(uid(u));
      }
      for (const g of a.groups) {
        if (tier) m.groupTiers.set(w.groups[g]!, tier);
        else m.groupTiers.delete(w.groups[g]!);
      }
      const affected = [...new Set([...a.users.map(uid), ...a.groups.flatMap((g) => [...(m.members.get(w.groups[g]!) ?? [])])])];
      const expected = affected.map((userId) => {
        const outcome = outcomeOf(m, userId, now, () => applyEvent(m, { type: "assign-user", at: now, userId, tier: m.direct.get(userId) ?? null }));
        const after = currentOf(m, userId, now);
        return { userId, outcome, status: after?.status ?? null, tier: after?.tier ?? null, scheduledTier: after?.scheduledTier ?? null };
      });
      for (const e of expected) note(env, `${what} → ${e.outcome.kind}`);
      const data = ok<{ results: { userId: string; outcome: unknown; status: unknown; tier: unknown; scheduledTier: unknown }[] }>(what, answer);
      const actual = data.results.map((r) => ({ userId: r.userId, outcome: r.outcome, status: r.status, tier: r.tier, scheduledTier: r.scheduledTier }));
      const byId = (x: { userId: string }, y: { userId: string }) => (x.userId < y.userId ? -1 : 1);
      agree(`${what}: the answer per user`, expected.sort(byId), actual.sort(byId));
      if (auditBefore !== null && expected.every((e) => e.outcome.kind === "unchanged" || e.outcome.kind === "none")) {
        note(env, `${what} that changes nothing`);
        agree(`${what} that changes nothing: audit entries written (edge case 15)`, auditBefore, await auditCount(env, w, now));
      }
      return;
    }

    case "member": {
      const groupId = w.groups[a.g]!;
      const join = a.op === "join";
      if (a.via === "scim") {
        // The identity provider only names people it has; one it deleted is no longer in its directory.
        const users = a.users.filter((u) => !w.deleted.has(u));
        if (users.length === 0) return;
        const ops = join
          ? [{ op: "add", path: "members", value: users.map((u) => ({ value: uid(u) })) }]
          : users.map((u) => ({ op: "remove", path: `members[value eq "${uid(u)}"]` }));
        const res = await api.scim(w.scimToken, "PATCH", `/Groups/${groupId}`, { schemas: [scimSchemas.patchOp], Operations: ops });
        if (res.status !== 200 && res.status !== 204) throw new Disagreement("SCIM PATCH /Groups", `SCIM PATCH /Groups: the model accepts it; the API answered ${res.status}: ${JSON.stringify(res.body)}`);
        for (const p of w.profiles) for (const u of users) applyEvent(p.model, { type: join ? "join-group" : "leave-group", at: now, groupId, userId: uid(u) });
        return;
      }
      const what = `directory.${join ? "addMembers" : "removeMembers"}`;
      const answer = await api.mutation(w.cookie, what, { groupId, userIds: a.users.map(uid) });
      if (a.users.some((u) => w.deleted.has(u))) return refused(what, answer, { code: "NOT_FOUND" });
      const expected: { userId: string; profileId: string; outcome: ChangeOutcome; status: string | null; tier: string | null }[] = [];
      for (const p of w.profiles) {
        // The rules re-run where the group has a plan; elsewhere the membership changes nothing.
        const assigned = p.model.groupTiers.has(groupId);
        for (const u of a.users) {
          const userId = uid(u);
          const outcome = outcomeOf(p.model, userId, now, () => applyEvent(p.model, { type: join ? "join-group" : "leave-group", at: now, groupId, userId }));
          const after = currentOf(p.model, userId, now);
          if (assigned) expected.push({ userId, profileId: p.id, outcome, status: after?.status ?? null, tier: after?.tier ?? null });
          else if (outcome.kind !== "unchanged" && outcome.kind !== "none") throw new Error(`the model changed ${userId} in a profile where ${groupId} has no plan: ${JSON.stringify(outcome)}`);
        }
      }
      for (const e of expected) note(env, `${what} → ${e.outcome.kind}`);
      const data = ok<{ results: { userId: string; profileId: string; outcome: unknown; status: unknown; tier: unknown }[] }>(what, answer);
      const key = (x: { userId: string; profileId: string }) => `${x.userId}/${x.profileId}`;
      const sort = <T extends { userId: string; profileId: string }>(l: T[]) => l.sort((x, y) => (key(x) < key(y) ? -1 : 1));
      return agree(`${what}: the answer per user and profile`, sort(expected), sort(data.results.map((r) => ({ userId: r.userId, profileId: r.profileId, outcome: r.outcome, status: r.status, tier: r.tier }))));
    }

    case "idp": {
      const userId = uid(a.u);
      const res =
        a.what === "delete"
          ? await api.scim(w.scimToken, "DELETE", `/Users/${userId}`)
          : await api.scim(w.scimToken, "PATCH", `/Users/${userId}`, { schemas: [scimSchemas.patchOp], Operations: [{ op: "replace", path: "active", value: a.what === "reactivate" }] });
      const what = `SCIM ${a.what === "delete" ? "DELETE" : "PATCH"} /Users`;
      if (w.deleted.has(a.u)) {
        if (res.status !== 404) throw new Disagreement(what, `${what}: the person was deleted, so 404; the API answered ${res.status}`);
        return;
      }
      const want = a.what === "delete" ? 204 : 200;
      if (res.status !== want) throw new Disagreement(what, `${what}: expected ${want}; the API answered ${res.status}: ${JSON.stringify(res.body)}`);
      const type: ProfileEvent["type"] = a.what === "delete" ? "idp-delete" : a.what === "deactivate" ? "idp-deactivate" : "idp-reactivate";
      for (const p of w.profiles) note(env, `${what} ${a.what} → ${outcomeOf(p.model, userId, now, () => applyEvent(p.model, { type, at: now, userId } as ProfileEvent)).kind}`);
      if (a.what === "delete") w.deleted.add(a.u);
      else if (a.what === "deactivate") w.inactive.add(a.u);
      else w.inactive.delete(a.u);
      return;
    }

    case "activate": {
      const P = w.profiles[a.p]!;
      const m = P.model;
      const userId = uid(a.u);
      const answer = await api.usage(P.key, "usage.activate", ref(a.u, a.by));
      if (w.deleted.has(a.u)) return refused("usage.activate", answer, refusals["unknown-user"]);
      const before = currentOf(m, userId, now);
      if (!before) return refused("usage.activate", answer, m.subscriptions.get(userId)?.status === "canceled" ? refusals["access-ended"] : refusals["not-subscribed"]);
      applyEvent(m, { type: "activate", at: now, userId });
      const after = currentOf(m, userId, now)!;
      return agree("usage.activate: the answer", { userId, activated: before.status === "pending", status: after.status, tier: after.tier, lastActiveAt: now.toISOString() }, ok("usage.activate", answer));
    }

    case "use": {
      const P = w.profiles[a.p]!;
      const userId = uid(a.u);
      const key = a.reuseRejectedKey && P.lastRefusedKey ? P.lastRefusedKey : `k${++w.keys}`;
      const body = { ...ref(a.u, a.by), credits: a.cc / 100, client: a.client, occurredAt: now.toISOString(), idempotencyKey: key };
      const answer = await api.usage(P.key, "usage.record", body);
      const again = a.retryNow ? await api.usage(P.key, "usage.record", body) : null;
      const r = useInModel(P.model, userId, a.cc, key, now);
      note(env, `usage.record → ${r.accepted ? `accepted${r.split.overageCc ? " with overage" : ""}${r.split.unbilledCc ? ` with unbilled (${String(r.answer.stoppedBy)})` : ""}` : r.refusal.domainCode}`);
      if (!r.accepted) {
        refused("usage.record", answer, r.refusal);
        // A refused event stores nothing (edge case 8): the same request again is refused the same way, and its key stays free.
        if (again) refused("usage.record, the same request again", again, r.refusal);
        P.lastRefusedKey = key;
        return;
      }
      agree("usage.record: the answer", r.answer, ok("usage.record", answer));
      if (again) agree("usage.record, the same request again: the first answer (edge case 8)", { ...r.answer, replayed: true }, ok("usage.record again", again));
      if (P.lastRefusedKey === key) P.lastRefusedKey = null;
      // A retry names the user by id: a person renamed or deleted by the identity provider keeps their id.
      P.accepted.push({ key, cc: a.cc, body: { ...body, userName: undefined, userId }, answer: r.answer });
      tally(P, a.client, a.cc, r.split);
      return;
    }

    case "retry": {
      const P = w.profiles[a.p]!;
      if (P.accepted.length === 0) return;
      const first = P.accepted[a.pick % P.accepted.length]!;
      const body = a.conflict ? { ...first.body, credits: (first.cc + 1) / 100 } : first.body;
      const answer = await api.usage(P.key, "usage.record", body);
      const late = (first.answer.state as { periodId: string }).periodId !== P.model.period.id;
      note(env, `retry${a.conflict ? " (conflict)" : ""}${late ? " of an earlier month's event" : ""}${w.deleted.has(w.users.findIndex((u) => u.id === first.body.userId)) ? " of a deleted user's event" : ""}`);
      if (a.conflict) return refused("usage.record with a used key and other credits (edge case 8)", answer, refusals["idempotency-conflict"]);
      // Edge cases 8 and 14: the same key and body answer the first result, whenever the retry comes.
      return agree("usage.record retried: the first answer (edge cases 8, 14)", { ...first.answer, replayed: true }, ok("usage.record retried", answer));
    }

    case "batch": {
      const P = w.profiles[a.p]!;
      // A batch is all or nothing: it runs on a copy of the model, kept only if every event is accepted.
      const m = structuredClone(P.model);
      const sent: { body: Record<string, unknown>; cc: number; client: string; dup: boolean }[] = [];
      for (const e of a.events) {
        const last = sent.at(-1);
        if (e === "dup") {
          if (last) sent.push({ ...last, dup: true });
          continue;
        }
        const key = `k${++w.keys}`;
        sent.push({ body: { userId: uid(e.u), credits: e.cc / 100, client: e.client, occurredAt: now.toISOString(), idempotencyKey: key }, cc: e.cc, client: e.client, dup: false });
      }
      if (sent.length === 0) return;
      const answer = await api.usage(P.key, "usage.recordBatch", { events: sent.map((s) => s.body) });
      // Every event's user is looked up before any rule runs: an unknown (deleted) one refuses the batch whatever comes before it.
      if (a.events.some((e) => e !== "dup" && w.deleted.has(e.u))) return refused("usage.recordBatch (all or nothing)", answer, refusals["unknown-user"]);
      const expected: Record<string, unknown>[] = [];
      const splits: { client: string; cc: number; split: { includedCc: number; overageCc: number; unbilledCc: number } }[] = [];
      for (const s of sent) {
        if (s.dup) {
          expected.push({ ...expected.at(-1)!, replayed: true });
          continue;
        }
        const r = useInModel(m, String(s.body.userId), s.cc, String(s.body.idempotencyKey), now);
        if (!r.accepted) {
          P.lastRefusedKey = String(s.body.idempotencyKey);
          return refused("usage.recordBatch (all or nothing)", answer, r.refusal);
        }
        expected.push(r.answer);
        splits.push({ client: s.client, cc: s.cc, split: r.split });
      }
      agree("usage.recordBatch: the answers", expected, ok<{ results: unknown[] }>("usage.recordBatch", answer).results);
      P.model = m;
      for (const [i, s] of sent.entries()) if (!s.dup) P.accepted.push({ key: String(s.body.idempotencyKey), cc: s.cc, body: s.body, answer: expected[i]! });
      for (const s of splits) tally(P, s.client, s.cc, s.split);
      return;
    }

    case "settings": {
      const P = w.profiles[a.p]!;
      const { defaultCap, ...rest } = a.patch;
      const input = { profileId: P.id, ...rest, ...(defaultCap !== undefined ? { defaultCapCredits: defaultCap === null ? null : defaultCap / 100 } : {}) };
      const answer = await api.mutation(w.cookie, "settings.update", input);
      applyEvent(P.model, { type: "settings", at: now, settings: { ...rest, ...(defaultCap !== undefined ? { defaultCap } : {}) } });
      const s = P.model.settings;
      const data = ok<Record<string, unknown>>("settings.update", answer);
      return agree(
        "settings.update: the settings after",
        { overagesEnabled: s.overagesEnabled, cancelAccess: s.cancelAccess, firstMonth: s.firstMonth, defaultCapCredits: capWire(s.defaultCap), budgetCents: s.budgetCents },
        { overagesEnabled: data.overagesEnabled, cancelAccess: data.cancelAccess, firstMonth: data.firstMonth, defaultCapCredits: data.defaultCapCredits, budgetCents: data.budgetCents },
      );
    }

    case "userOverride": {
      const P = w.profiles[a.p]!;
      const userId = uid(a.u);
      const answer = await api.mutation(w.cookie, "settings.setUserOverride", {
        profileId: P.id,
        userId,
        ...(a.cap !== undefined ? { cap: capWire(a.cap) } : {}),
        ...(a.overage !== undefined ? { overage: a.overage } : {}),
      });
      if (w.deleted.has(a.u)) return refused("settings.setUserOverride", answer, { code: "NOT_FOUND" });
      const s = P.model.settings;
      const userCaps = { ...s.userCaps };
      if (a.cap === null) delete userCaps[userId];
      else if (a.cap !== undefined) userCaps[userId] = a.cap;
      const userSwitches = { ...s.userSwitches };
      if (a.overage === "inherit") delete userSwitches[userId];
      else if (a.overage !== undefined) userSwitches[userId] = a.overage;
      applyEvent(P.model, { type: "settings", at: now, settings: { userCaps, userSwitches } });
      const data = ok<{ cap: unknown; overage: unknown }>("settings.setUserOverride", answer);
      return agree("settings.setUserOverride: the override after", { cap: capWire(userCaps[userId]), overage: userSwitches[userId] ?? "inherit" }, { cap: data.cap, overage: data.overage });
    }

    case "groupOverride": {
      const P = w.profiles[a.p]!;
      const groupId = w.groups[a.g]!;
      const answer = await api.mutation(w.cookie, "settings.setGroupOverride", { profileId: P.id, groupId, cap: capWire(a.cap) });
      const groupCaps = { ...P.model.settings.groupCaps };
      if (a.cap === null) delete groupCaps[groupId];
      else groupCaps[groupId] = a.cap;
      applyEvent(P.model, { type: "settings", at: now, settings: { groupCaps } });
      return agree("settings.setGroupOverride: the override after", { cap: capWire(a.cap) }, { cap: ok<{ cap: unknown }>("settings.setGroupOverride", answer).cap });
    }

    case "check": {
      const P = w.profiles[a.p]!;
      const answer = await api.usage(P.key, "usage.check", ref(a.u, a.by));
      if (w.deleted.has(a.u)) return refused("usage.check", answer, refusals["unknown-user"]);
      note(env, `usage.check → ${expectedCheck(P.model, uid(a.u), now).reason}`);
      return agree("usage.check: the entitlement", expectedCheck(P.model, uid(a.u), now), ok("usage.check", answer));
    }
  }
}

interface ListPage {
  rows: Parameters<typeof actualRow>[0][];
  nextCursor: string | null;
}

/**
 * The Users tab (all rows, and one filter, a different one each step), the dashboard and, with `estimate`, the
 * running estimate of every profile, in one batched GET.
 */
async function compareState(env: Env, w: World, now: Date, index: number, estimate: boolean): Promise<void> {
  const filter = listFilters[index % listFilters.length]!;
  const perProfile = estimate ? 4 : 3;
  const calls = w.profiles.flatMap((p) => [
    { path: "subscriptions.list", input: { profileId: p.id, limit: 200 } },
    { path: "subscriptions.list", input: { profileId: p.id, limit: 200, ...filter } },
    { path: "dashboard.summary", input: { profileId: p.id } },
    ...(estimate ? [{ path: "billing.estimate", input: { profileId: p.id } }] : []),
  ]);
  const answers = await env.api.queries(w.cookie, calls);
  const listed = w.users.flatMap((u, i) => (w.deleted.has(i) ? [] : [{ id: u.id, active: !w.inactive.has(i) }]));
  const byUser = (x: { userId: string }, y: { userId: string }) => (x.userId < y.userId ? -1 : 1);
  for (const [pi, p] of w.profiles.entries()) {
    const m = p.model;
    const [all, filtered, dash, est] = answers.slice(pi * perProfile, (pi + 1) * perProfile) as [Answer, Answer, Answer, Answer | undefined];
    const where = `p${pi}`;
    const rows = ok<ListPage>(`${where} subscriptions.list`, all).rows;
    agree(`${where} Users tab rows`, listed.map((u) => expectedRow(m, u.id, now, u.active)).sort(byUser), rows.map(actualRow).sort(byUser));
    const got = ok<ListPage>(`${where} subscriptions.list ${JSON.stringify(filter)}`, filtered).rows.map((r) => r.userId);
    if (got.length > 0) note(env, `filter ${JSON.stringify(filter)} not empty`);
    agree(`${where} Users tab filter ${JSON.stringify(filter)}: the users listed`, listed.filter((u) => inFilter(m, u.id, now, filter)).map((u) => u.id).sort(), got.sort());
    const d = ok<Record<string, unknown>>(`${where} dashboard.summary`, dash);
    const expected = expectedDashboard(m, now, p.clients.get(m.period.id) ?? new Map());
    agree(`${where} dashboard`, expected, { periodId: d.periodId, subscriptions: d.subscriptions, activeUsers: d.activeUsers, credits: d.credits, overage: d.overage });
    if (!est) continue;
    const e = ok<{ periodId: string; feesCents: number; overageCents: number; totalCents: number; lines: LineView[] }>(`${where} billing.estimate`, est);
    agree(`${where} billing.estimate`, expectedEstimate(m), { periodId: e.periodId, feesCents: e.feesCents, overageCents: e.overageCents, totalCents: e.totalCents, lines: sortLines(e.lines) });
  }
}

/** Every invoice of every profile, line by line, against the model's (fee, proration, overage, totals). */
async function compareInvoices(env: Env, w: World): Promise<void> {
  const lists = await env.api.queries(
    w.cookie,
    w.profiles.map((p) => ({ path: "billing.invoices", input: { profileId: p.id, limit: 24 } })),
  );
  const calls: { path: string; input: unknown }[] = [];
  for (const [pi, p] of w.profiles.entries()) {
    const got = ok<{ invoices: { periodId: string; feesCents: number; overageCents: number; totalCents: number; lineCount: number }[] }>(`p${pi} billing.invoices`, lists[pi]!).invoices;
    const expected = [...p.model.invoices].reverse().map((i) => ({ periodId: i.periodId, feesCents: i.feesCents, overageCents: i.overageCents, totalCents: i.totalCents, lineCount: i.lines.length }));
    agree(`p${pi} billing.invoices`, expected, got.map((i) => ({ periodId: i.periodId, feesCents: i.feesCents, overageCents: i.overageCents, totalCents: i.totalCents, lineCount: i.lineCount })));
    for (const i of p.model.invoices) calls.push({ path: "billing.invoice", input: { profileId: p.id, period: i.periodId } });
  }
  const answers = await env.api.queries(w.cookie, calls);
  let k = 0;
  for (const [pi, p] of w.profiles.entries()) {
    for (const i of p.model.invoices) {
      for (const l of i.lines) {
        if (l.proration) note(env, "invoice line prorated");
        if (l.overageCents > 0) note(env, "invoice line with overage");
        if (l.unbilledCc > 0) note(env, "invoice line with unbilled");
      }
      const got = ok<{ lines: LineView[] }>(`p${pi} billing.invoice ${i.periodId}`, answers[k++]!);
      agree(`p${pi} invoice ${i.periodId}, line by line`, i.lines.map(lineView).sort((x, y) => (x.userId < y.userId ? -1 : 1)), sortLines(got.lines));
    }
  }
}

/** Whether the grace window of some month ends in (from, to]: a close falls due on the way. */
function graceEndsBetween(from: Date, to: Date): boolean {
  for (let p = periodOf(from); p.start.getTime() <= to.getTime(); p = nextPeriod(p)) {
    const closes = periodClosesAt(previousPeriod(p)).getTime();
    if (closes > from.getTime() && closes <= to.getTime()) return true;
  }
  return false;
}

/** Where a timeline failed: the step (its index; `steps.length` for the end) and the disagreement. */
export class TimelineFailure extends Error {
  constructor(
    readonly step: number,
    readonly failure: Error,
    message: string,
  ) {
    super(message);
    this.name = "TimelineFailure";
  }
}

/** Runs one timeline on a fresh account; throws a TimelineFailure at the first disagreement. */
export async function runTimeline(env: Env, tl: Timeline): Promise<void> {
  const w = await setUp(env, tl);
  const times = stepTimes(tl);
  let now = tl.start;
  // Renamed user ids: the reproduction prints u0…, g0…, p0… rather than uuids.
  const names = new Map<string, string>([...w.users.map((u, i) => [u.id, `u${i}`] as const), ...w.groups.map((g, i) => [g, `g${i}`] as const), ...w.profiles.map((p, i) => [p.id, `p${i}`] as const)]);
  const readable = (s: string) => s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => names.get(id) ?? id);
  const fail = (i: number, e: unknown): never => {
    const err = e instanceof Error ? e : new Error(String(e));
    const what = i < tl.steps.length ? `step ${i + 1} at ${now.toISOString()} (${describeAction(tl.steps[i]!.action)})` : `after the last month closed (${now.toISOString()})`;
    throw new TimelineFailure(i, err, readable(`${what}: ${err.message}`));
  };
  for (const [i, step] of tl.steps.entries()) {
    try {
      const at = times[i]!;
      if (at.getTime() > now.getTime()) {
        // Past the end of a month's grace window the move goes through clock.advance, which closes the month as the
        // scheduler would; a move that makes no close due just sets the test clock (it saves a request per step).
        if (graceEndsBetween(now, at)) ok("clock.advance", await env.api.mutation(w.cookie, "clock.advance", { to: at.toISOString() }));
        else env.h.clock.set(at);
        now = at;
      }
      for (const p of w.profiles) advanceTo(p.model, now);
      await perform(env, w, step.action, now);
      // The running estimate every third step, and on the last instant before the month changes.
      const next = times[i + 1];
      await compareState(env, w, now, i, i % 3 === 2 || !next || periodOf(next).id !== periodOf(now).id);
    } catch (e) {
      fail(i, e);
    }
  }
  try {
    const moved = ok<{ now: string }>("clock.advance", await env.api.mutation(w.cookie, "clock.advance", { nextMonth: true }));
    now = new Date(moved.now);
    for (const p of w.profiles) advanceTo(p.model, now);
    await compareState(env, w, now, tl.steps.length, true);
    await compareInvoices(env, w);
  } catch (e) {
    fail(tl.steps.length, e);
  }
}

