import { maxTargetsPerCall, type Catalog } from "@seatdesk/domain";
import { scopeConfirming, type KeyScope } from "../../auth/api-keys";
import { parseEvents, type ParsedEvent, type UsageEventInput } from "./parse";
import { record } from "./record";
import { inTurn, userKey } from "./turns";
import type { Database, Recorded } from "./types";

/**
 * Records events (one, or a batch of up to 1,000) in one transaction, all or nothing (issue 5):
 * each is split by the rules, counters move atomically, the event is stored with its answer, and the
 * same key with the same body answers the stored result again; with another body, IDEMPOTENCY_CONFLICT.
 *
 * A single event (`usage.record`) is validated here and then recorded together with the other single
 * events of the same profile that arrive in the same turn of the event loop (see coalesce); a batch waits
 * for the batches ahead of it that name one of its users (turns.ts).
 */
export async function recordEvents(db: Database, catalog: Catalog, scope: KeyScope, input: UsageEventInput[], now: Date, indexed: boolean): Promise<Recorded[]> {
  const events = parseEvents(input, now, indexed);
  if (events.length === 1 && !indexed) return [await coalesce(db, catalog, scope, events[0]!)];
  return inTurn(db, scopeKey(scope), new Set(events.map((e) => userKey(e.user))), () => record(db, catalog, scope, events, indexed));
}

interface Waiting {
  catalog: Catalog;
  scope: KeyScope;
  event: ParsedEvent;
  resolve: (r: Recorded) => void;
  reject: (e: unknown) => void;
}

/**
 * Groups of single events of one profile recorded at the same time; events arriving meanwhile wait and
 * go together as the next group. More than one, so that a group waiting for a user's lock (a batch
 * holding it) does not hold up every other event of the profile. Four since a transaction takes two
 * round trips (record.ts): with 8 clients on one profile, bench:usage's single events went from 0.66 to
 * 0.72 of the bare server on average over 7 and 8 alternating runs of two and four (six and eight were
 * no better): smaller groups, but PostgreSQL and Node less often both waiting.
 */
const groupsInFlight = 4;

interface Lane {
  catalog: Catalog;
  key: string;
  running: number;
  queue: Waiting[];
  scheduled: boolean;
  /** The timer of the events waiting for a group of `minGroupWhileBusy` while other groups are in flight. */
  waiting: ReturnType<typeof setTimeout> | null;
}
/**
 * Per database, catalog and profile; a lane is dropped when idle. The profile's settings are not part of
 * the key: each group reads them in its own transaction, so all its events see the same, current ones.
 */
const lanes = new WeakMap<Database, WeakMap<Catalog, Map<string, Lane>>>();

const scopeKey = (s: KeyScope) => `${s.accountId}/${s.profileId}`;

function laneOf(db: Database, catalog: Catalog, scope: KeyScope): Lane {
  let byCatalog = lanes.get(db);
  if (!byCatalog) lanes.set(db, (byCatalog = new WeakMap()));
  let byScope = byCatalog.get(catalog);
  if (!byScope) byCatalog.set(catalog, (byScope = new Map()));
  const key = scopeKey(scope);
  let lane = byScope.get(key);
  if (!lane) byScope.set(key, (lane = { catalog, key, running: 0, queue: [], scheduled: false, waiting: null }));
  return lane;
}

/**
 * Concurrent single events of one profile are recorded together, as group commit does: while
 * `groupsInFlight` groups of the profile are being recorded, arriving events wait, and when one
 * finishes (or, with fewer in flight, once `minGroupWhileBusy` are waiting or `groupWaitMs` has passed),
 * all those waiting go as the next group, in one transaction: one BEGIN, one lock, one read,
 * one write and one COMMIT for all of them instead of one each, which is most of what an event costs
 * PostgreSQL. Without contention an event goes at once (on the next turn of the event loop). A group
 * runs exactly as a batch does, event after event through the rules, so each answer is the one the
 * events would get one after the other in arrival order (an order concurrent requests may take
 * anyway), and each event keeps the time its request arrived. If a group fails for any reason (one
 * event's user unknown, a conflict, ...), nothing of it was written, and every event of it is recorded
 * again on its own, so each request gets exactly its own answer or error.
 */
function coalesce(db: Database, catalog: Catalog, scope: KeyScope, event: ParsedEvent): Promise<Recorded> {
  return new Promise((resolve, reject) => {
    const lane = laneOf(db, catalog, scope);
    lane.queue.push({ catalog, scope, event, resolve, reject });
    startNext(db, lane);
  });
}

/**
 * While a group of the profile is being recorded, events wait up to `groupWaitMs` for a group of three (or for the
 * profile's groups to finish) rather than going as a group of one or two at once: a group costs PostgreSQL and this
 * process most of its work whatever its size. bench:usage (2026-12-08, the bare server and single events in
 * alternating slices): without the wait, half the groups held one event, and usage.record reached 0.70-0.82 of
 * the bare server (0.74 on average over nine runs), with 1.26-1.50 times its CPU per event on the server's thread
 * and 1.24-1.43 times in PostgreSQL (two runs). Waiting for two: 0.75-0.82 (0.79 over five runs); for three:
 * 0.79-0.85 (0.82 over four), at 1.17-1.24 times the bare server's CPU per event on the thread and 0.92-1.13 in
 * PostgreSQL (two runs); for four: 0.78 twice. Events arriving when nothing of their profile is being recorded go
 * at once; the bound keeps them from waiting longer behind a group held up by a lock (a batch of that group's user,
 * say).
 */
const minGroupWhileBusy = 3;
const groupWaitMs = 2;

function startNext(db: Database, lane: Lane, waited = false) {
  if (lane.scheduled || lane.running >= groupsInFlight || lane.queue.length === 0) return;
  if (!waited && lane.running > 0 && lane.queue.length < minGroupWhileBusy) {
    lane.waiting ??= setTimeout(() => {
      lane.waiting = null;
      startNext(db, lane, true);
    }, groupWaitMs);
    return;
  }
  if (lane.waiting) {
    clearTimeout(lane.waiting);
    lane.waiting = null;
  }
  lane.scheduled = true;
  // On the next turn, so that the events arriving in this one go together.
  setImmediate(() => {
    lane.scheduled = false;
    const group = lane.queue.splice(0, maxTargetsPerCall);
    lane.running++;
    void recordGroup(db, group).finally(() => {
      lane.running--;
      startNext(db, lane);
      if (lane.running === 0 && lane.queue.length === 0 && !lane.scheduled) lanes.get(db)?.get(lane.catalog)?.delete(lane.key);
    });
    startNext(db, lane);
  });
}

async function recordGroup(db: Database, group: Waiting[]) {
  const alone = (w: Waiting) =>
    record(db, w.catalog, w.scope, [w.event], false).then(
      ([r]) => w.resolve(r!),
      (e: unknown) => w.reject(e),
    );
  if (group.length === 1) return alone(group[0]!);
  const first = group[0]!;
  let results: Recorded[];
  try {
    // Every key of the group that this process verified a moment ago is confirmed in the group's read.
    const confirm = [...new Set(group.flatMap((w) => w.scope.confirm ?? []))];
    results = await record(db, first.catalog, scopeConfirming(first.scope, confirm), group.map((w, index) => ({ ...w.event, index })), false);
  } catch {
    // Not swallowed: each event is recorded again on its own and gets its own answer or error.
    await Promise.all(group.map(alone));
    return;
  }
  group.forEach((w, i) => w.resolve(results[i]!));
}
