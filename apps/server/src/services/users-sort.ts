import { decodeCursor, encodeCursor } from "./cursor";

/**
 * The Users tab's sorts (issue 15, "The console": by name, last active and credits used this period), each
 * in both directions and keyset-paged. Name pages by (display_name, id); the two others by (key, user id)
 * with the users who have no key (never active, or no credits recorded this month) after everyone who has
 * one in either direction, in user id order: so a first page in either direction starts on an index.
 */
export const usersSorts = ["name", "lastActive", "creditsUsed"] as const;
export type UsersSort = (typeof usersSorts)[number];
export type SortOrder = "asc" | "desc";

/** Where a keyed page continues: after this key (null: inside the users without one) and user id. */
export interface SortAfter {
  key: string | null;
  id: string;
}

/**
 * A keyed sort's cursor carries its sort and direction beside the key, so a cursor handed back with another
 * sort or direction is refused rather than silently starting somewhere else. Name cursors stay [name, id].
 */
export function encodeSortCursor(sort: Exclude<UsersSort, "name">, order: SortOrder, key: string | null, id: string): string {
  return encodeCursor(JSON.stringify([sort, order, key]), id);
}

/** A keyed sort's cursor this list gave out for this sort and direction, else null. */
export function decodeSortCursor(cursor: string, sort: Exclude<UsersSort, "name">, order: SortOrder): SortAfter | null {
  let key: string | null = null;
  const decoded = decodeCursor(cursor, (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false; // a name cursor, or not ours
    }
    if (!Array.isArray(value) || value.length !== 3 || value[0] !== sort || value[1] !== order) return false;
    const k: unknown = value[2];
    if (k !== null && (typeof k !== "string" || !validKey(sort, k))) return false;
    key = k;
    return true;
  });
  return decoded ? { key, id: decoded[1] } : null;
}

/** A key as the statement prints it: an instant with its offset (last active), a whole number (credits). */
function validKey(sort: Exclude<UsersSort, "name">, key: string): boolean {
  if (sort === "creditsUsed") return /^-?\d{1,18}$/.test(key);
  return key.length <= 40 && !Number.isNaN(Date.parse(key.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00")));
}
