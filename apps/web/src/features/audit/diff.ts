/** One field that an audit entry's change touched: its path, and the value before and after (undefined: absent). */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Leaves of a value by dotted path, two levels deep; arrays and deeper objects stay whole. */
function flatten(value: unknown, prefix: string, depth: number, out: Map<string, unknown>) {
  if (isPlainObject(value) && depth < 2) {
    const keys = Object.keys(value);
    if (keys.length === 0 && prefix) out.set(prefix, value);
    for (const key of keys) flatten(value[key], prefix ? `${prefix}.${key}` : key, depth + 1, out);
    return;
  }
  out.set(prefix, value);
}

/**
 * What changed between an entry's before and after, field by field, in the order the fields first appear.
 * Fields equal on both sides are left out (they say nothing about the change); a creation lists every field
 * of after, a removal every field of before.
 */
export function diffValues(before: unknown, after: unknown): FieldChange[] {
  const b = new Map<string, unknown>();
  const a = new Map<string, unknown>();
  if (before !== null && before !== undefined) flatten(before, "", 0, b);
  if (after !== null && after !== undefined) flatten(after, "", 0, a);
  const paths = [...new Set([...b.keys(), ...a.keys()])];
  return paths
    .filter((p) => JSON.stringify(b.get(p)) !== JSON.stringify(a.get(p)))
    .map((path) => ({ path, before: b.has(path) ? b.get(path) : undefined, after: a.has(path) ? a.get(path) : undefined }));
}
