/** A disagreement between the API and the model: what was compared, where, and every differing field. */
export class Disagreement extends Error {
  constructor(
    readonly what: string,
    message: string,
  ) {
    super(message);
    this.name = "Disagreement";
  }
}

/** Where two JSON values differ, as `path: model … ≠ api …` lines (at most `limit`). */
export function differences(expected: unknown, actual: unknown, path = "", out: string[] = [], limit = 12): string[] {
  if (out.length >= limit) return out;
  if (Object.is(expected, actual)) return out;
  const bothObjects = expected !== null && actual !== null && typeof expected === "object" && typeof actual === "object";
  if (bothObjects && Array.isArray(expected) === Array.isArray(actual)) {
    if (Array.isArray(expected) && Array.isArray(actual) && expected.length !== actual.length) {
      out.push(`${path || "(value)"}: model has ${expected.length} items ≠ api ${actual.length}: model ${JSON.stringify(expected)} ≠ api ${JSON.stringify(actual)}`);
      return out;
    }
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const k of new Set([...Object.keys(e), ...Object.keys(a)])) differences(e[k], a[k], path ? `${path}.${k}` : k, out, limit);
    return out;
  }
  out.push(`${path || "(value)"}: model ${JSON.stringify(expected)} ≠ api ${JSON.stringify(actual)}`);
  return out;
}

/** Throws a Disagreement naming `what` when the API's answer is not the model's (both as JSON). */
export function agree(what: string, expected: unknown, actual: unknown): void {
  const e = JSON.parse(JSON.stringify(expected ?? null)) as unknown;
  const a = JSON.parse(JSON.stringify(actual ?? null)) as unknown;
  const diffs = differences(e, a);
  if (diffs.length > 0) throw new Disagreement(what, `${what}:\n  ${diffs.join("\n  ")}`);
}
