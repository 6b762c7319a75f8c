/** The server has one clock (DESIGN.md §3). Rules never read it; procedures pass `now` to them. */
export interface Clock {
  now(): Date;
  /**
   * Present on a test clock only (demo and test mode): moves the clock forward to `to`. The clock
   * router runs every month close that falls due on the way.
   */
  advanceTo?(to: Date): void;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved; tests use it to fix instants. */
export function fixedClock(start: Date): Clock & { set(d: Date): void } {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set: (d) => void (current = new Date(d)),
    advanceTo: (d) => void (current = new Date(Math.max(current.getTime(), d.getTime()))),
  };
}

/**
 * The demo's test clock: real time plus an offset that only grows. `onMove` keeps the offset (the
 * embedded server writes it beside its data, so a restart does not send the clock back).
 * The offset is this process's: demo mode is single-server. A cell of several servers on one database runs
 * without the demo, on the real clock (README "Run a cell"; test/cell/shared-state.test.ts).
 */
export function testClock(offsetMs: number, onMove: (offsetMs: number) => void = () => {}): Clock & { offsetMs(): number } {
  let offset = Math.max(0, offsetMs);
  return {
    now: () => new Date(Date.now() + offset),
    offsetMs: () => offset,
    advanceTo: (to) => {
      offset = Math.max(offset, to.getTime() - Date.now());
      onMove(offset);
    },
  };
}

/** One move of a test clock goes at most this many calendar months ahead (a far date would run years of closes at once). */
export const maxAdvanceMonths = 24;

/** `from` plus `months` calendar months in UTC (the 31st of a shorter month rolls into the next, as Date does). */
export function addMonthsUtc(from: Date, months: number): Date {
  const d = new Date(from);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}
