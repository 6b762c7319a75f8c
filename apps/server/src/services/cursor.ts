/**
 * The keyset cursor every list gives out: the last row's sort key and its id, [key, id], as base64url
 * JSON, so a page never scans what came before it. One encoding for the Users, Groups, directory and bill
 * lists (key: the display name) and the audit log (key: the instant as PostgreSQL prints it).
 */
export function encodeCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString("base64url");
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A cursor this API gave out, else null (the caller answers "cursor: not a cursor this list gave out"):
 * two strings, the second a uuid, the first accepted by `validKey` (any string by default).
 */
export function decodeCursor(cursor: string, validKey: (key: string) => boolean = () => true): [string, string] | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return null; // not JSON: not ours
  }
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string" && uuidPattern.test(value[1]) && validKey(value[0])) {
    return [value[0], value[1]];
  }
  return null;
}
