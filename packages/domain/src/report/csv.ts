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

/** One row as a CSV record, in the columns' order: credits with two decimals, booleans true/false, empty for none. */
export function activityCsvRecord(row: ActivityRow): string {
  return csvRecord([
    row.day,
    row.profileId,
    row.userId,
    row.userName,
    row.email,
    row.client,
    String(row.events),
    formatCenticredits(row.creditsCc),
    formatCenticredits(row.includedCc),
    formatCenticredits(row.overageCc),
    formatCenticredits(row.unbilledCc),
    row.tier ?? "",
    row.status,
    String(row.overageEnabled),
    row.overageCapCc === "unlimited" ? "unlimited" : formatCenticredits(row.overageCapCc),
    String(row.newUser),
    row.lastActiveAt ?? "",
  ]);
}
