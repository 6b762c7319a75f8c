import type { Catalog } from "@seatdesk/domain";
import { createElement, Fragment, type ReactNode } from "react";
import { formatMoney, formatUtc, statusLabels } from "../../lib/format";
import { tierName } from "../catalog/catalog";

const local = new Intl.DateTimeFormat("en-US", {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
  timeZoneName: "short",
});

/** "Jun 8, 2026, 07:05:12 PDT": the reader's own time zone (the title carries UTC). */
export function formatLocal(iso: string): string {
  return local.format(new Date(iso));
}

const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const credits = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/** One value of an audit entry as a short phrase: money, credits, tiers and instants in the console's words. */
export function formatValue(catalog: Catalog, path: string, value: unknown): string {
  if (value === undefined) return "—";
  if (value === null) return "none";
  const key = path.split(".").at(-1) ?? path;
  if (typeof value === "number") {
    if (/Cents$/.test(key)) return formatMoney(value);
    if (/Cc$/.test(key)) return `${credits.format(value / 100)} credits`;
    return value.toLocaleString("en-US");
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") {
    if (isoInstant.test(value)) return formatUtc(value);
    if (/tier$/i.test(key)) return tierName(catalog, value);
    if (key === "status" && Object.hasOwn(statusLabels, value)) return statusLabels[value as keyof typeof statusLabels];
    return value;
  }
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 79)}…` : json;
}

/** A target's id as shown in a cell: uuids shortened to their first block (the title has the whole id). */
export function shortId(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(id) ? `${id.slice(0, 8)}…` : id;
}

const targetTypeLabels: Record<string, string> = {
  user: "User",
  group: "Group",
  profile: "Profile",
  invoice: "Invoice",
  clock: "Clock",
  admin: "Admin",
  "api-key": "API key",
  "scim-token": "SCIM token",
  account: "Account",
  directory: "Directory",
};

export function targetTypeLabel(type: string): string {
  return targetTypeLabels[type] ?? type;
}

/**
 * A target's name as the log shows it: its current name, or for a target deleted since the name the entry recorded
 * (or nothing) marked "(deleted)"; null when the target has no name to show (the id speaks for it).
 */
export function targetName(target: { name: string | null; deleted: boolean }): string | null {
  if (target.deleted) return target.name ? `${target.name} (deleted)` : "(deleted)";
  return target.name;
}

/** An action code that may wrap after each dot ("subscription." / "changed") rather than mid-word. */
export function breakableCode(code: string): ReactNode {
  const parts = code.split(".");
  return createElement(Fragment, null, ...parts.flatMap((part, i) => (i < parts.length - 1 ? [`${part}.`, createElement("wbr", { key: i })] : [part])));
}
