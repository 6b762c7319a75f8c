import type { AppRouter } from "@seatdesk/server/router";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterClient } from "@trpc/client";
import { useId, useState } from "react";
import { defaultReportRange, formatCenticredits } from "@seatdesk/domain";
import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatUtc, statusLabels } from "../../lib/format";
import { useTierName } from "../catalog/useCatalog";
import "./reports.css";

type Api = inferRouterClient<AppRouter>;
type Row = Awaited<ReturnType<Api["reports"]["activity"]["query"]>>["rows"][number];

/** Rows shown on the page; the download has every row of the range. */
const pageSize = 100;

const statusLabel = (status: Row["status"]) => (status === "ended" ? "Ended" : status === "none" ? "No subscription" : statusLabels[status]);

/** The streamed CSV of a range (apps/server/src/reports/http.ts), with the console's cookie session. */
export const activityCsvHref = (profileId: string, from: string, to: string) =>
  `/api/reports/activity.csv?${new URLSearchParams({ profileId, from, to }).toString()}`;

/**
 * Reports (issue 15, "User activity report"): per UTC day, user and client, the credits used (included,
 * overage, unbilled), events, tier, status, overage setting and cap, new user and last active, as the server
 * reports them. The range defaults to the last 7 whole days by the server's clock; the first rows show here
 * and "Download CSV" streams the whole range.
 */
export function ReportsPage({ profile }: ProfilePageProps) {
  const trpc = useTRPC();
  const tierName = useTierName();
  const ids = { from: useId(), to: useId() };
  const clock = useQuery(trpc.clock.get.queryOptions());
  const [picked, setPicked] = useState<{ from: string; to: string } | null>(null);
  const range = picked ?? (clock.data ? defaultReportRange(new Date(clock.data.now)) : null);
  const report = useQuery({
    ...trpc.reports.activity.queryOptions({ profileId: profile.id, from: range?.from ?? "", to: range?.to ?? "", limit: pageSize }),
    enabled: range !== null && range.from !== "" && range.to !== "",
  });
  const set = (key: "from" | "to", value: string) => range && setPicked({ ...range, [key]: value });
  const rows = report.data?.rows ?? [];

  return (
    <div className="reports-page">
      <PageHeader
        section="Reports"
        description={
          <>
            User activity in {profile.name} ({profile.region}): one row per UTC day, user and client. Credits as recorded when each event arrived; tier, status, overage
            and cap as they stand now.
          </>
        }
      >
        Reports
      </PageHeader>
      <form className="reports-filters" aria-label="Report range" onSubmit={(e) => e.preventDefault()}>
        <div className="filter-field">
          <label htmlFor={ids.from}>From (UTC)</label>
          <input id={ids.from} type="date" value={range?.from ?? ""} max={range?.to} onChange={(e) => set("from", e.target.value)} />
        </div>
        <div className="filter-field">
          <label htmlFor={ids.to}>To (UTC)</label>
          <input id={ids.to} type="date" value={range?.to ?? ""} min={range?.from} onChange={(e) => set("to", e.target.value)} />
        </div>
        {range && (
          <a className="btn btn-primary" href={activityCsvHref(profile.id, range.from, range.to)} download>
            Download CSV
          </a>
        )}
      </form>
      {report.isError && (
        <div role="alert" className="alert alert-error">
          {errorMessage(report.error)}
        </div>
      )}
      {report.isPending && range !== null && (
        <p role="status">
          <span className="spinner" aria-hidden="true" /> Reading the report…
        </p>
      )}
      {report.isSuccess && (
        <>
          <p className="reports-count" role="status">
            {rows.length === 0
              ? "No activity in this range."
              : report.data.nextCursor
                ? `The first ${rows.length} rows; the download has every row of the range.`
                : `${rows.length} ${rows.length === 1 ? "row" : "rows"}.`}
          </p>
          {rows.length > 0 && (
            <div className="table-wrap">
              <table className="data-table reports-table">
                <caption className="visually-hidden">User activity by day, user and client</caption>
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">User</th>
                    <th scope="col">Client</th>
                    <th scope="col" className="num">
                      Events
                    </th>
                    <th scope="col" className="num">
                      Credits used
                    </th>
                    <th scope="col" className="num">
                      Included
                    </th>
                    <th scope="col" className="num">
                      Overage
                    </th>
                    <th scope="col" className="num">
                      Unbilled
                    </th>
                    <th scope="col">Tier</th>
                    <th scope="col">Status</th>
                    <th scope="col">Overage</th>
                    <th scope="col">Cap</th>
                    <th scope="col">New</th>
                    <th scope="col">Last active</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={`${r.day}/${r.userId}/${r.client}`}>
                      <td>{r.day}</td>
                      <td className="reports-user">{r.email}</td>
                      <td>{r.client}</td>
                      <td className="num">{r.events}</td>
                      <td className="num">{formatCenticredits(r.creditsCc)}</td>
                      <td className="num">{formatCenticredits(r.includedCc)}</td>
                      <td className="num">{formatCenticredits(r.overageCc)}</td>
                      <td className="num">{formatCenticredits(r.unbilledCc)}</td>
                      <td>{r.tier ? tierName(r.tier) : "—"}</td>
                      <td>{statusLabel(r.status)}</td>
                      <td>{r.overageEnabled ? "On" : "Off"}</td>
                      <td>{r.overageCapCc === "unlimited" ? "No cap" : formatCenticredits(r.overageCapCc)}</td>
                      <td>{r.newUser ? "Yes" : ""}</td>
                      <td>{r.lastActiveAt ? formatUtc(r.lastActiveAt) : "Never"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </div>
  );
}
