/** Rows of a raw `db.execute(sql...)`, whichever driver ran it (postgres.js returns an array, PGlite `{ rows }`). */
export function rowsOf<T extends Record<string, unknown>>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}
