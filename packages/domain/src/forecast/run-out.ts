import { forecastMsPerDay } from "./burn";

/** Never reached at this rate: further away than any period is long. */
export const neverReached = Number.POSITIVE_INFINITY;

/** Past this horizon an instant is `neverReached`: no period is longer, and the arithmetic stays in safe integers. */
const horizonMs = 62 * forecastMsPerDay;

/**
 * The instant (epoch ms) at which `remainingCc` more hundredths of a credit are used up at `rateCcPerDay`,
 * consumed evenly from `nowMs` on, rounded up to the millisecond: `nowMs` when nothing remains, `neverReached`
 * when nothing is burned or it is further than the horizon. Exact in BigInt: a budget in the billions of
 * cents is far past 2^53 once multiplied by a day's milliseconds.
 */
export function reachedAt(nowMs: number, remainingCc: number, rateCcPerDay: number): number {
  if (remainingCc <= 0) return nowMs;
  if (rateCcPerDay <= 0) return neverReached;
  const num = BigInt(remainingCc) * BigInt(forecastMsPerDay);
  const den = BigInt(rateCcPerDay);
  const ms = (num + den - 1n) / den;
  return ms > BigInt(horizonMs) ? neverReached : nowMs + Number(ms);
}

/**
 * How many hundredths of a credit are used between `nowMs` and `atMs` at `rateCcPerDay`, rounded down
 * (the forecast neverReached claims a hundredth not yet consumed).
 */
export function usedBy(nowMs: number, atMs: number, rateCcPerDay: number): number {
  if (atMs <= nowMs || rateCcPerDay <= 0) return 0;
  return Number((BigInt(rateCcPerDay) * BigInt(atMs - nowMs)) / BigInt(forecastMsPerDay));
}
