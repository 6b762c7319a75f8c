/**
 * The console's reads on a streaming replica (DATABASE_READ_URL), without an admin ever seeing their own change
 * vanish: after a console mutation the primary's log position is kept in a cookie, and until the replica has
 * replayed past it that session's reads wait for it (at most `waitMs`) and otherwise read the primary. Other
 * reads go to the replica. A replica that does not answer is left alone for a second: reads go to the primary.
 *
 * The cookie only steers where a read goes (a forged one can only send reads to the primary), so it is not
 * signed. One replica per read URL: the replayed position is remembered per process and only grows.
 */
import { currentLsn, formatLsn, parseLsn, replayedLsn, type Db, type Lsn } from "@seatdesk/db";
import type { Log } from "../log";
import type { CookieJar } from "../trpc/context";

export const writePositionCookie = "seatdesk_wrote";

export interface ReadRoutingOptions {
  /** How long a read waits for the replica to replay the session's own write before reading the primary. */
  waitMs: number;
  /** How often it looks again while waiting. */
  pollMs?: number;
  /** How old the remembered replay position may be before a read without a write of its own asks again. */
  refreshMs?: number;
  log?: Log;
}

export class ReadRouting {
  /** Reads sent to each side (for tests and operators). */
  readonly counts = { replica: 0, primary: 0 };
  private replayed: Lsn = -1n;
  /** The replica is the primary itself (no replay position): everything committed is there. */
  private notStandby = false;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private downUntil = Number.NEGATIVE_INFINITY;
  private readonly pollMs: number;
  private readonly refreshMs: number;

  constructor(
    private readonly primary: Db,
    private readonly replica: Db,
    private readonly options: ReadRoutingOptions,
  ) {
    this.pollMs = options.pollMs ?? 20;
    this.refreshMs = options.refreshMs ?? 1000;
  }

  /** After a console mutation has committed: the session's reads must now see at least this position. */
  async noteWrite(cookies: CookieJar): Promise<void> {
    const lsn = await currentLsn(this.primary);
    cookies.set(writePositionCookie, formatLsn(lsn), { maxAgeSeconds: 24 * 60 * 60 });
  }

  /** The database a console read of this session goes to. */
  async dbFor(cookies: CookieJar): Promise<Db> {
    const raw = cookies.get(writePositionCookie);
    const wrote = raw === undefined ? null : parseLsn(raw);
    if (raw !== undefined && wrote === null) cookies.clear(writePositionCookie);
    const deadline = performance.now() + this.options.waitMs;
    for (;;) {
      if (performance.now() < this.downUntil) return this.toPrimary();
      const fresh = wrote === null ? performance.now() - this.checkedAt < this.refreshMs : this.replayed >= wrote;
      if (this.notStandby || fresh) {
        if (wrote !== null) cookies.clear(writePositionCookie);
        return this.toReplica();
      }
      if (!(await this.refresh())) return this.toPrimary();
      if (wrote === null || this.notStandby || this.replayed >= wrote) continue;
      if (performance.now() + this.pollMs > deadline) return this.toPrimary();
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /** Asks the replica how far it has replayed; false (and the replica left alone for a second) when it does not answer. */
  private async refresh(): Promise<boolean> {
    try {
      const lsn = await replayedLsn(this.replica);
      this.checkedAt = performance.now();
      if (lsn === null) this.notStandby = true;
      else if (lsn > this.replayed) this.replayed = lsn;
      return true;
    } catch (e) {
      this.downUntil = performance.now() + 1000;
      this.options.log?.error("read replica unavailable; reading the primary", { error: String(e) });
      return false;
    }
  }

  private toReplica(): Db {
    this.counts.replica += 1;
    return this.replica;
  }

  private toPrimary(): Db {
    this.counts.primary += 1;
    return this.primary;
  }
}
