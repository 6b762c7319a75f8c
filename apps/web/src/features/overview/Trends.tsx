import { useQuery } from "@tanstack/react-query";
import { useId, type ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatMoney } from "../../lib/format";
import { useTierName } from "../catalog/useCatalog";
import { colors, FiguresTable } from "./charts";
import { creditNumber, formatCount, periodName } from "./format";
import type { TrendMonth, Trends } from "./types";

/*
 * The last 12 months (issue 15, "Trends"): a chart per series, each with its figures as a table (months as
 * rows, newest first). Every figure is the server's: closed months from their invoices, the current month
 * (and a month waiting for its close) from the running estimate. The component only formats.
 */

const tick = { fill: colors.tick, fontSize: 12 };
const tooltipStyle = { borderRadius: 8, border: "1px solid #c6ccd3", boxShadow: "0 1px 4px rgba(0, 28, 36, 0.12)", fontSize: 13 };
const noAnimation = { isAnimationActive: false } as const;
const asNumber = (v: unknown) => (typeof v === "number" ? v : Number(v));
/** One colour per tier in rank order; a tier past the palette reuses the last. */
const tierColors = ["#0972d3", "#7d3ac1", "#037f0c", "#c45500", "#5f6b7a"];

const shortMonth = new Intl.DateTimeFormat("en-US", { month: "short", year: "2-digit", timeZone: "UTC" });
/** "2026-01" → "Jan 26" (axis ticks). */
const monthTick = (periodId: string) => shortMonth.format(new Date(`${periodId}-01T00:00:00Z`));

const sourceLabel: Record<TrendMonth["source"], string> = { invoice: "Invoice", estimate: "Estimate so far", none: "No profile yet" };

export function TrendsSection({ profileId }: { profileId: string }) {
  const trpc = useTRPC();
  const trends = useQuery(trpc.dashboard.trends.queryOptions({ profileId }));
  const headingId = useId();
  const data = trends.data;
  return (
    <section className="panel ov-panel" aria-labelledby={headingId} aria-busy={trends.isFetching}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Trends, last 12 months</h2>
          <p className="panel-description">
            Month by month (UTC): closed months as invoiced, the current month so far as estimated. A seat is a person Active at some point in the
            month, counted at the tier that set their fee.
          </p>
        </div>
      </div>
      <div className="ov-panel-body">
        {trends.isError ? (
          <div role="alert" className="alert alert-error">
            {errorMessage(trends.error)}{" "}
            <button type="button" className="btn btn-link" onClick={() => void trends.refetch()}>
              Try again
            </button>
          </div>
        ) : !data ? (
          <div className="ov-chart-loading" role="status">
            <span className="spinner" aria-hidden="true" /> Loading trends…
          </div>
        ) : (
          <div className="ov-trends">
            <SeatsTrend months={data.months} />
            <ActiveUsersTrend months={data.months} />
            <CreditsTrend months={data.months} />
            <MoneyTrend months={data.months} />
          </div>
        )}
      </div>
    </section>
  );
}

function Series({ title, children }: { title: string; children: ReactNode }) {
  const id = useId();
  return (
    <section className="ov-trend" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}

function Chart({ label, data, children }: { label: string; data: object[]; children: ReactNode }) {
  return (
    <div className="ov-chart" style={{ height: 220 }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} role="img" aria-label={label} accessibilityLayer={false} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} maxBarSize={40}>
          <CartesianGrid vertical={false} stroke={colors.grid} />
          <XAxis dataKey="periodId" tickFormatter={monthTick} tick={tick} tickLine={false} axisLine={{ stroke: colors.grid }} minTickGap={8} />
          {children}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

const newestFirst = (months: TrendMonth[]) => [...months].reverse();
const monthCell = (m: TrendMonth) => (
  <>
    {periodName(m.periodId)}
    {m.source === "estimate" && <span className="muted"> (so far)</span>}
  </>
);

function SeatsTrend({ months }: { months: TrendMonth[] }) {
  const tierName = useTierName();
  const tiers = months[0]?.seats.byTier.map((t) => t.tier) ?? [];
  const data = months.map((m) => ({ periodId: m.periodId, ...Object.fromEntries(m.seats.byTier.map((t) => [t.tier, t.total])) }));
  const last = months.at(-1);
  const label = `Bar chart of seats per month by tier, ${months.length} months: ${last ? `${formatCount(last.seats.total)} seats in ${periodName(last.periodId)} so far` : "no months"}.`;
  const seatsOf = (m: TrendMonth, tier: string) => m.seats.byTier.find((t) => t.tier === tier)?.total ?? 0;
  return (
    <Series title="Seats by tier">
      <Chart label={label} data={data}>
        <YAxis allowDecimals={false} tick={tick} width={40} axisLine={false} tickLine={false} />
        <Tooltip cursor={{ fill: "rgba(9, 114, 211, 0.06)" }} contentStyle={tooltipStyle} labelFormatter={(p) => periodName(String(p))} formatter={(v) => formatCount(asNumber(v))} />
        <Legend iconType="circle" iconSize={9} wrapperStyle={{ fontSize: 13 }} itemSorter={null} />
        {tiers.map((tier, i) => (
          <Bar key={tier} dataKey={tier} name={tierName(tier)} stackId="seats" fill={tierColors[Math.min(i, tierColors.length - 1)]} {...noAnimation} />
        ))}
      </Chart>
      <FiguresTable
        caption="Seats per month by tier and status"
        columns={[
          { label: "Month", value: monthCell },
          ...tiers.map((tier) => ({ label: tierName(tier), value: (m: TrendMonth) => formatCount(seatsOf(m, tier)), numeric: true })),
          { label: "Active at the 1st", value: (m) => formatCount(m.seats.activeAtStart), numeric: true },
          { label: "Activated in the month", value: (m) => formatCount(m.seats.activatedInMonth), numeric: true },
          { label: "All seats", value: (m) => formatCount(m.seats.total), numeric: true },
        ]}
        rows={newestFirst(months)}
      />
    </Series>
  );
}

function ActiveUsersTrend({ months }: { months: TrendMonth[] }) {
  const data = months.map((m) => ({ periodId: m.periodId, users: m.activeUsers }));
  const peak = months.reduce<TrendMonth | undefined>((best, m) => (!best || m.activeUsers > best.activeUsers ? m : best), undefined);
  const label = `Bar chart of active users per month: ${peak && peak.activeUsers > 0 ? `the most was ${formatCount(peak.activeUsers)} in ${periodName(peak.periodId)}` : "no activity"}.`;
  return (
    <Series title="Active users">
      <Chart label={label} data={data}>
        <YAxis allowDecimals={false} tick={tick} width={40} axisLine={false} tickLine={false} />
        <Tooltip cursor={{ fill: "rgba(9, 114, 211, 0.06)" }} contentStyle={tooltipStyle} labelFormatter={(p) => periodName(String(p))} formatter={(v) => [formatCount(asNumber(v)), "Active users"]} />
        <Bar dataKey="users" name="Active users" fill={colors.users} radius={[4, 4, 0, 0]} {...noAnimation} />
      </Chart>
      <p className="ov-note muted">People who used credits in the month or activated their seat in it.</p>
      <FiguresTable
        caption="Active users per month"
        columns={[
          { label: "Month", value: monthCell },
          { label: "Active users", value: (m: TrendMonth) => formatCount(m.activeUsers), numeric: true },
        ]}
        rows={newestFirst(months)}
      />
    </Series>
  );
}

function CreditsTrend({ months }: { months: TrendMonth[] }) {
  // The axis counts credits in hundredths (the server's unit); the ticks and tooltips print them as credits.
  const data = months.map((m) => ({ periodId: m.periodId, included: m.credits.includedCc, overage: m.credits.overageCc, unbilled: m.credits.unbilledCc }));
  const last = months.at(-1);
  const label = `Bar chart of credits used per month, split into included, overage and unbilled: ${last ? `${creditNumber(last.credits.usedCc)} in ${periodName(last.periodId)} so far` : "no months"}.`;
  return (
    <Series title="Credits used">
      <Chart label={label} data={data}>
        <YAxis tick={tick} width={64} axisLine={false} tickLine={false} tickFormatter={(v: number) => creditNumber(v)} />
        <Tooltip cursor={{ fill: "rgba(9, 114, 211, 0.06)" }} contentStyle={tooltipStyle} labelFormatter={(p) => periodName(String(p))} formatter={(v) => `${creditNumber(asNumber(v))} credits`} />
        <Legend iconType="circle" iconSize={9} wrapperStyle={{ fontSize: 13 }} itemSorter={null} />
        <Bar dataKey="included" name="Included" stackId="credits" fill={colors.included} {...noAnimation} />
        <Bar dataKey="overage" name="Overage" stackId="credits" fill={colors.overage} {...noAnimation} />
        <Bar dataKey="unbilled" name="Unbilled" stackId="credits" fill={colors.unbilled} {...noAnimation} />
      </Chart>
      <FiguresTable
        caption="Credits used per month"
        columns={[
          { label: "Month", value: monthCell },
          { label: "Included", value: (m: TrendMonth) => creditNumber(m.credits.includedCc), numeric: true },
          { label: "Overage", value: (m) => creditNumber(m.credits.overageCc), numeric: true },
          { label: "Unbilled", value: (m) => creditNumber(m.credits.unbilledCc), numeric: true },
          { label: "Total credits", value: (m) => creditNumber(m.credits.usedCc), numeric: true },
        ]}
        rows={newestFirst(months)}
      />
    </Series>
  );
}

function MoneyTrend({ months }: { months: TrendMonth[] }) {
  // Integer cents from the server; the axis and tooltips print them with the console's money format.
  const data = months.map((m) => ({ periodId: m.periodId, fees: m.money.feesCents, overage: m.money.overageCents }));
  const last = months.at(-1);
  const label = `Bar chart of the invoice total per month, seat fees and overage: ${last ? `${formatMoney(last.money.totalCents)} estimated for ${periodName(last.periodId)} so far` : "no months"}.`;
  return (
    <Series title="Invoice total">
      <Chart label={label} data={data}>
        <YAxis tick={tick} width={72} axisLine={false} tickLine={false} tickFormatter={(v: number) => formatMoney(v)} />
        <Tooltip cursor={{ fill: "rgba(9, 114, 211, 0.06)" }} contentStyle={tooltipStyle} labelFormatter={(p) => periodName(String(p))} formatter={(v) => formatMoney(asNumber(v))} />
        <Legend iconType="circle" iconSize={9} wrapperStyle={{ fontSize: 13 }} itemSorter={null} />
        <Bar dataKey="fees" name="Seat fees" stackId="money" fill={colors.included} {...noAnimation} />
        <Bar dataKey="overage" name="Overage" stackId="money" fill={colors.overage} {...noAnimation} />
      </Chart>
      <FiguresTable
        caption="Invoice total per month"
        columns={[
          { label: "Month", value: monthCell },
          { label: "Seat fees", value: (m: TrendMonth) => formatMoney(m.money.feesCents), numeric: true },
          { label: "Overage", value: (m) => formatMoney(m.money.overageCents), numeric: true },
          { label: "Total", value: (m) => formatMoney(m.money.totalCents), numeric: true },
          { label: "From", value: (m) => sourceLabel[m.source] },
        ]}
        rows={newestFirst(months)}
      />
    </Series>
  );
}
