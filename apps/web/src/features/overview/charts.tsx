import type { ReactNode } from "react";
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useTierName } from "../catalog/useCatalog";
import { creditNumber, dayLong, dayShort, formatCount } from "./format";
import type { ActiveUsersSeries, DashboardSummary } from "./types";

/*
 * The overview's charts (recharts, SVG). Each chart's <svg> is an image with a name that says what it
 * shows and its main figures; the full figures are a table under it ("Figures"), for keyboards and screen
 * readers alike. Only this page imports recharts, so the library loads with it (the page is lazy).
 */

/** Colours that match the console's status badges and accents (SVG attributes take no CSS variables). */
export const colors = {
  active: "#037f0c",
  pending: "#d49b00",
  canceled: "#8c96a3",
  included: "#0972d3",
  overage: "#c45500",
  unbilled: "#d91515",
  users: "#0972d3",
  grid: "#e3e6ea",
  tick: "#5f6b7a",
};

const tick = { fill: colors.tick, fontSize: 12 };
const tooltipStyle = { borderRadius: 8, border: "1px solid #c6ccd3", boxShadow: "0 1px 4px rgba(0, 28, 36, 0.12)", fontSize: 13 };
const noAnimation = { isAnimationActive: false } as const;
const asNumber = (v: unknown) => (typeof v === "number" ? v : Number(v));

interface Column<T> {
  label: string;
  value: (row: T) => ReactNode;
  numeric?: boolean;
}

/** The chart's figures as a table, folded away under the chart. */
export function FiguresTable<T>({ caption, columns, rows, footer }: { caption: string; columns: Column<T>[]; rows: T[]; footer?: ReactNode[] }) {
  return (
    <details className="ov-figures">
      <summary>
        Figures<span className="visually-hidden">: {caption}</span>
      </summary>
      <div className="table-wrap">
        <table className="data-table ov-table">
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.label} scope="col" className={c.numeric ? "num" : undefined}>
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              <tr key={i}>
                {columns.map((c, j) =>
                  j === 0 ? (
                    <th key={c.label} scope="row">
                      {c.value(row)}
                    </th>
                  ) : (
                    <td key={c.label} className={c.numeric ? "num" : undefined}>
                      {c.value(row)}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
          {footer && (
            <tfoot>
              <tr>
                {footer.map((cell, j) =>
                  j === 0 ? (
                    <th key={j} scope="row">
                      {cell}
                    </th>
                  ) : (
                    <td key={j} className="num">
                      {cell}
                    </td>
                  ),
                )}
              </tr>
            </tfoot>
          )}
        </table>
      </div>
    </details>
  );
}

type Summary = DashboardSummary;

/** Subscriptions by tier, each bar split by status (stacked, horizontal). */
export function SubscriptionsChart({ byTier }: { byTier: Summary["subscriptions"]["byTier"] }) {
  const tierName = useTierName();
  const data = byTier.map((t) => ({ name: tierName(t.tier), active: t.byStatus.active, pending: t.byStatus.pending, canceled: t.byStatus.canceled, total: t.total }));
  const label = `Bar chart of subscriptions by tier and status: ${data
    .map((d) => `${d.name} ${formatCount(d.total)} (${formatCount(d.active)} active, ${formatCount(d.pending)} pending, ${formatCount(d.canceled)} canceled)`)
    .join("; ")}.`;
  return (
    <div className="ov-chart" style={{ height: 64 + data.length * 44 }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" role="img" aria-label={label} accessibilityLayer={false} margin={{ top: 4, right: 16, bottom: 0, left: 0 }} barCategoryGap={10}>
          <CartesianGrid horizontal={false} stroke={colors.grid} />
          <XAxis type="number" allowDecimals={false} tick={tick} axisLine={false} tickLine={false} />
          <YAxis type="category" dataKey="name" tick={{ ...tick, fill: "#0f141a", fontWeight: 600 }} width={56} axisLine={false} tickLine={false} />
          <Tooltip cursor={{ fill: "rgba(9, 114, 211, 0.06)" }} contentStyle={tooltipStyle} formatter={(v) => formatCount(asNumber(v))} />
          <Legend iconType="circle" iconSize={9} wrapperStyle={{ fontSize: 13 }} itemSorter={null} />
          <Bar dataKey="active" name="Active" stackId="status" fill={colors.active} {...noAnimation} />
          <Bar dataKey="pending" name="Pending" stackId="status" fill={colors.pending} {...noAnimation} />
          <Bar dataKey="canceled" name="Canceled" stackId="status" fill={colors.canceled} radius={[0, 4, 4, 0]} {...noAnimation} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

/** Active users on each UTC day of the window (an area over time). */
export function ActiveUsersChart({ series }: { series: ActiveUsersSeries }) {
  const days = series.days;
  const first = days[0];
  const last = days.at(-1);
  const peak = days.reduce((best, d) => (d.users > best.users ? d : best), days[0] ?? { day: "", users: 0 });
  const label =
    first && last
      ? `Area chart of active users per day from ${dayShort(first.day)} to ${dayShort(last.day)}: ${
          peak.users > 0 ? `the most was ${formatCount(peak.users)} on ${dayShort(peak.day)}` : "no activity"
        }; ${formatCount(last.users)} today so far.`
      : "Area chart of active users per day: no days.";
  return (
    <>
      <div className="ov-chart" style={{ height: 220 }}>
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={days} role="img" aria-label={label} accessibilityLayer={false} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <defs>
              <linearGradient id="ov-users-fill" x1="0" y1="0" x2="0" y2="1">
                <stop offset="0%" stopColor={colors.users} stopOpacity={0.28} />
                <stop offset="100%" stopColor={colors.users} stopOpacity={0.02} />
              </linearGradient>
            </defs>
            <CartesianGrid vertical={false} stroke={colors.grid} />
            <XAxis dataKey="day" tickFormatter={dayShort} tick={tick} tickLine={false} axisLine={{ stroke: colors.grid }} minTickGap={24} />
            <YAxis allowDecimals={false} tick={tick} width={40} axisLine={false} tickLine={false} />
            <Tooltip contentStyle={tooltipStyle} labelFormatter={(d) => dayLong(String(d))} formatter={(v) => [formatCount(asNumber(v)), "Active users"]} />
            <Area type="monotone" dataKey="users" name="Active users" stroke={colors.users} strokeWidth={2} fill="url(#ov-users-fill)" {...noAnimation} />
          </AreaChart>
        </ResponsiveContainer>
      </div>
      <FiguresTable
        caption="Active users per day (UTC)"
        columns={[
          { label: "Day (UTC)", value: (d: ActiveUsersSeries["days"][number]) => dayLong(d.day) },
          { label: "Active users", value: (d) => formatCount(d.users), numeric: true },
        ]}
        rows={[...days].reverse()}
      />
    </>
  );
}

interface CreditRow {
  name: string;
  includedCc: number;
  overageCc: number;
  unbilledCc: number;
  usedCc: number;
}

const creditColumns = (first: string): Column<CreditRow>[] => [
  { label: first, value: (r) => r.name },
  { label: "Included", value: (r) => creditNumber(r.includedCc), numeric: true },
  { label: "Overage", value: (r) => creditNumber(r.overageCc), numeric: true },
  { label: "Unbilled", value: (r) => creditNumber(r.unbilledCc), numeric: true },
  { label: "Total credits", value: (r) => creditNumber(r.usedCc), numeric: true },
];

/** Credits split into included, overage and unbilled, one stacked bar per row (tier or client). */
function CreditBars({ rows, kind, layout }: { rows: CreditRow[]; kind: string; layout: "vertical" | "horizontal" }) {
  const data = rows.map((r) => ({ name: r.name, included: r.includedCc / 100, overage: r.overageCc / 100, unbilled: r.unbilledCc / 100 }));
  const label = `Bar chart of credits used this month by ${kind}: ${rows.map((r) => `${r.name} ${creditNumber(r.usedCc)} (${creditNumber(r.overageCc)} overage)`).join("; ")}.`;
  const horizontalBars = layout === "vertical";
  const height = horizontalBars ? 64 + Math.max(rows.length, 2) * 40 : 240;
  const showUnbilled = rows.some((r) => r.unbilledCc > 0);
  return (
    <div className="ov-chart" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout={layout} role="img" aria-label={label} accessibilityLayer={false} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} maxBarSize={48}>
          <CartesianGrid horizontal={!horizontalBars} vertical={horizontalBars} stroke={colors.grid} />
          {horizontalBars ? (
            <>
              <XAxis type="number" tick={tick} axisLine={false} tickLine={false} tickFormatter={(v: number) => formatCount(v)} />
              <YAxis type="category" dataKey="name" tick={{ ...tick, fill: "#0f141a", fontWeight: 600 }} width={72} axisLine={false} tickLine={false} />
            </>
          ) : (
            <>
              <XAxis dataKey="name" tick={{ ...tick, fill: "#0f141a", fontWeight: 600 }} tickLine={false} axisLine={{ stroke: colors.grid }} />
              <YAxis tick={tick} width={56} axisLine={false} tickLine={false} tickFormatter={(v: number) => formatCount(v)} />
            </>
          )}
          <Tooltip cursor={{ fill: "rgba(9, 114, 211, 0.06)" }} contentStyle={tooltipStyle} formatter={(v) => `${creditNumber(asNumber(v) * 100)} credits`} />
          <Legend iconType="circle" iconSize={9} wrapperStyle={{ fontSize: 13 }} itemSorter={null} />
          <Bar dataKey="included" name="Included" stackId="credits" fill={colors.included} {...noAnimation} />
          <Bar dataKey="overage" name="Overage" stackId="credits" fill={colors.overage} {...noAnimation} />
          {showUnbilled && <Bar dataKey="unbilled" name="Unbilled" stackId="credits" fill={colors.unbilled} {...noAnimation} />}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export function CreditsByTierChart({ byTier }: { byTier: Summary["credits"]["byTier"] }) {
  const tierName = useTierName();
  const rows = byTier.map((t) => ({ ...t, name: tierName(t.tier) }));
  const total = (k: "includedCc" | "overageCc" | "unbilledCc" | "usedCc") => creditNumber(rows.reduce((sum, r) => sum + r[k], 0));
  return (
    <>
      <CreditBars rows={rows} kind="tier" layout="horizontal" />
      <FiguresTable
        caption="Credits used this month by tier"
        columns={[...creditColumns("Tier"), { label: "Users with usage", value: (r) => formatCount((r as (typeof rows)[number]).users), numeric: true }]}
        rows={rows}
        footer={["All tiers", total("includedCc"), total("overageCc"), total("unbilledCc"), total("usedCc"), formatCount(rows.reduce((s, r) => s + r.users, 0))]}
      />
    </>
  );
}

export function CreditsByClientChart({ byClient }: { byClient: Summary["credits"]["byClient"] }) {
  const rows = byClient.map((c) => ({ ...c, name: c.client }));
  return (
    <>
      <CreditBars rows={rows} kind="client" layout="vertical" />
      <FiguresTable
        caption="Credits used this month by client"
        columns={[...creditColumns("Client"), { label: "Requests", value: (r) => formatCount((r as (typeof rows)[number]).events), numeric: true }]}
        rows={rows}
      />
    </>
  );
}
