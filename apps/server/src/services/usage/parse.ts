import {
  assertClientName,
  assertIdempotencyKey,
  isDomainError,
  parseCredits,
  periodForEvent,
  periodOf,
  type DomainError,
  type Period,
} from "@seatdesk/domain";

/** A user as the tool's clients know them: Seatdesk's id, or the identity provider's user name. */
export type UserRef = { userId: string } | { userName: string };

export interface UsageEventInput {
  user: UserRef;
  credits: number;
  client: string;
  occurredAt: string;
  idempotencyKey: string;
}

export interface ParsedEvent {
  index: number;
  user: UserRef;
  creditsCc: number;
  client: string;
  occurredAt: Date;
  key: string;
  /** The period it occurred in (edge case 1). */
  period: Period;
  /**
   * That period's grace window had passed when the request arrived: the domain's PERIOD_CLOSED refusal,
   * thrown only once the stored keys are read and this key is not among them. A retry of an accepted
   * event answers its first result even after its period closed (edge case 14).
   */
  closed: DomainError | null;
  /** When the request carrying it arrived (the `now` it was validated against): the event's recorded_at. */
  receivedAt: Date;
}

/** The field an error names: `credits` for a single event, `events.3.credits` in a batch. */
export const field = (i: number | null, name: string) => (i === null ? name : `events.${i}.${name}`);

/** Validates every event with the domain's rules, naming the failing index and field; nothing is read or written yet. */
export function parseEvents(events: UsageEventInput[], now: Date, indexed: boolean): ParsedEvent[] {
  return events.map((e, i) => {
    const at = indexed ? i : null;
    const occurredAt = new Date(e.occurredAt);
    const creditsCc = parseCredits(e.credits, field(at, "credits"));
    const client = assertClientName(e.client, field(at, "client"));
    const key = assertIdempotencyKey(e.idempotencyKey, field(at, "idempotencyKey"));
    let period: Period;
    let closed: DomainError | null = null;
    try {
      period = periodForEvent(occurredAt, now, undefined, field(at, "occurredAt"));
    } catch (error) {
      // Kept, not dropped: refused after the load unless the key was stored (recordInTransaction).
      if (!isDomainError(error) || error.code !== "PERIOD_CLOSED") throw error;
      period = periodOf(occurredAt);
      closed = error;
    }
    return { index: i, user: e.user, creditsCc, client, occurredAt, key, period, closed, receivedAt: now };
  });
}
