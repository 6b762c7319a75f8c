/**
 * Batches of one profile that name a common user take turns in this process, in arrival order, before they reach
 * PostgreSQL; batches with no user in common run at once.
 *
 * Why: a batch locks every subscription it names (load.ts) until it commits, so two batches with a user in
 * common run one after the other whatever we do. Left to PostgreSQL, the later one sits in its lock statement,
 * holding one of the pool's connections, and the waiting costs CPU as well as time: once the batch ahead
 * commits, the waiter re-checks the rows changed since its statement began (EvalPlanQual), and up to seven
 * waiters wake and sleep beside it. bench:usage's batch phase (8 clients, 500 events of random users among 2,000
 * per batch) measured it on 2026-12-07, two alternating runs each: 9,264 and 10,160 events/s with PostgreSQL
 * spending 48.0 and 43.3 ms of CPU per batch when PostgreSQL ordered them, 13,774 and 13,844 events/s with 29.9
 * and 29.7 ms when they took turns here.
 *
 * Only an ordering: the row locks stay what makes a batch's read and write consistent, against other processes,
 * single events and the console alike; a user named once by id and once by name counts as two here and is
 * ordered by PostgreSQL as before. A batch waiting here holds nothing in the database (no lock, no connection),
 * so no wait here can be part of a cycle; a batch goes when no batch ahead of it (running or waiting) names one
 * of its users, so a large batch is never overtaken forever by smaller ones that overlap it. A batch waits here
 * at most as long as PostgreSQL let it wait for a lock (a statement's timeout), and then gets the same answer.
 */
import { apiStatementTimeoutMs, foldName } from "@seatdesk/db";
import type { UserRef } from "./parse";

interface Turn {
  users: ReadonlySet<string>;
  running: boolean;
  go: () => void;
}

/**
 * A batch waited longer than a statement may run (apiStatementTimeoutMs): it gives up as its lock statement
 * would have when PostgreSQL ordered the batches (57014, statement_timeout), so the client gets the same
 * answer: 503, the database cannot serve now, try again shortly (trpc/errors.ts). Nothing of it was written.
 */
export class TurnWaitTimeout extends Error {
  readonly code = "57014";
  constructor(waitedMs: number) {
    super(`the batch waited ${waitedMs} ms for the batches ahead of it that name the same users`);
  }
}

/** Per database handle (each has its own connections), then per profile; a profile's queue is dropped when empty. */
const queues = new WeakMap<object, Map<string, Turn[]>>();

/** How a batch names a user, as a key: `id:` and the id in lower case, or `name:` and the folded name. */
export const userKey = (ref: UserRef): string => ("userId" in ref ? `id:${ref.userId.toLowerCase()}` : `name:${foldName(ref.userName)}`);

/**
 * Runs `run` once no batch of this profile ahead of it names one of `users`; the next ones go when it
 * settles. After `maxWaitMs` of waiting it leaves the queue and throws TurnWaitTimeout instead.
 */
export async function inTurn<T>(database: object, profile: string, users: ReadonlySet<string>, run: () => Promise<T>, maxWaitMs = apiStatementTimeoutMs): Promise<T> {
  const byProfile = queues.get(database) ?? new Map<string, Turn[]>();
  queues.set(database, byProfile);
  const queue = byProfile.get(profile) ?? [];
  byProfile.set(profile, queue);
  const turn: Turn = { users, running: false, go: () => {} };
  const leave = () => {
    queue.splice(queue.indexOf(turn), 1);
    if (queue.length === 0) byProfile.delete(profile);
    else admit(queue);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    turn.go = () => {
      clearTimeout(timer);
      resolve();
    };
    queue.push(turn);
    admit(queue);
    if (turn.running) return;
    timer = setTimeout(() => {
      leave();
      reject(new TurnWaitTimeout(maxWaitMs));
    }, maxWaitMs);
    timer.unref();
  });
  await ready;
  try {
    return await run();
  } finally {
    leave();
  }
}

/** Starts every waiting turn that no turn ahead of it (running or waiting) overlaps: one pass over the queue's users. */
function admit(queue: Turn[]) {
  const ahead = new Set<string>();
  for (const turn of queue) {
    if (!turn.running && !overlaps(turn.users, ahead)) {
      turn.running = true;
      turn.go();
    }
    for (const u of turn.users) ahead.add(u);
  }
}

function overlaps(users: ReadonlySet<string>, ahead: ReadonlySet<string>): boolean {
  for (const u of users) if (ahead.has(u)) return true;
  return false;
}
