import { activityReportColumns, type ActivityRow } from "./columns";

/**
 * Centicredits as credits with exactly two decimals, by integer arithmetic (no float ever formats a credit):
 * 123456 → "1234.56", 5 → "0.05".
 */
export function formatCenticredits(cc: number): string {
  const sign = cc < 0 ? "-" : "";
  const abs = Math.abs(cc);
  const whole = Math.floor(abs / 100);
  const cents = abs - whole * 100;
  return `${sign}${whole}.${cents < 10 ? "0" : ""}${cents}`;
}

/** One CSV field (RFC 4180 §2): quoted when it holds a comma, a quote, CR or LF (or starts/ends with a space); quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A record of fields, ended by CRLF as RFC 4180 has it. */
export function csvRecord(fields: readonly string[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

/** The header record: the column names of activityReportColumns, in order. */
export function activityCsvHeader(): string {
  return csvRecord(activityReportColumns.map((c) => c.name));
}

/**
 * One row as a CSV record, in the columns' order: credits with two decimals, booleans true/false, empty for
 * none. The same record as `csvRecord` of the fields, written out by hand (a file holds a row per user and
 * client): only the text the domain does not format itself (ids, names, email, client, tier) goes through
 * csvField; a day, a number, a status, a boolean, a cap or an ISO instant never needs quoting.
 */
export function activityCsvRecord(row: ActivityRow): string {
  const cap = row.overageCapCc === "unlimited" ? "unlimited" : formatCenticredits(row.overageCapCc);
  return (
    `${row.day},${csvField(row.profileId)},${csvField(row.userId)},${csvField(row.userName)},${csvField(row.email)},${csvField(row.client)},` +
    `${row.events},${formatCenticredits(row.creditsCc)},${formatCenticredits(row.includedCc)},${formatCenticredits(row.overageCc)},${formatCenticredits(row.unbilledCc)},` +
    `${row.tier === null ? "" : csvField(row.tier)},${row.status},${row.overageEnabled},${cap},${row.newUser},${row.lastActiveAt ?? ""}\r\n`
  );
}
