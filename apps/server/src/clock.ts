/** The server has one clock (DESIGN.md §3). Rules never read it; procedures pass `now` to them. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved; tests use it to fix instants. */
export function fixedClock(start: Date): Clock & { set(d: Date): void } {
  let current = new Date(start);
  return { now: () => new Date(current), set: (d) => void (current = new Date(d)) };
}
