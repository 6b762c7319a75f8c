import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatCredits, formatMoney, formatUtc, plural } from "../../lib/format";
import { formatForecastDay } from "./forecast-format";

/**
 * The profile's forecast on the overview (issue 15, Forecasts): as of the last daily run, the seats' burn rate,
 * the day the budget runs out, the month's projected overage, and how many users run out or are blocked.
 */
export function ProfileForecastPanel({ profileId, go }: { profileId: string; go: (page: string) => void }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.forecasts.profile.queryOptions({ profileId }));
  const f = q.data?.forecast;
  return (
    <section className="panel ov-panel" aria-labelledby="ov-forecast-title" data-testid="profile-forecast">
      <div className="panel-header">
        <div>
          <h2 id="ov-forecast-title">Forecast</h2>
          <p className="panel-description">{f ? <>At the rate of the last 7 complete days, as of {formatUtc(f.computedAt)}</> : "At the rate of the last 7 complete days"}</p>
        </div>
        <div className="panel-actions">
          <button type="button" className="btn btn-link" onClick={() => go("rightsizing")}>
            Right-sizing
          </button>
        </div>
      </div>
      <div className="ov-panel-body">
        {q.isError ? (
          <p role="alert">{errorMessage(q.error)}</p>
        ) : !q.data ? (
          <p className="muted">Loading…</p>
        ) : !f ? (
          <p className="muted">No forecast yet this month: it is computed once a day.</p>
        ) : (
          <dl className="ov-stats" aria-label="Forecast">
            <div className="ov-stat">
              <dt>Burn rate</dt>
              <dd className="ov-stat-value">{formatCredits(f.burnCcPerDay)}</dd>
              <dd className="ov-stat-note">a day, across {plural(f.seats, "seat")}</dd>
            </div>
            <div className="ov-stat">
              <dt>Budget runs out</dt>
              <dd className="ov-stat-value" data-testid="forecast-budget">{f.budgetRunsOutOn ? formatForecastDay(f.budgetRunsOutOn) : "Not this month"}</dd>
            </div>
            <div className="ov-stat">
              <dt>Projected overage</dt>
              <dd className="ov-stat-value">{formatMoney(f.projectedOverageCents)}</dd>
              <dd className="ov-stat-note">{formatCredits(f.projectedOverageCc)} by the month's end (estimate)</dd>
            </div>
            <div className="ov-stat">
              <dt>Running out this month</dt>
              <dd className="ov-stat-value">{plural(q.data.usersAllowanceRunsOut, "user")}</dd>
              <dd className="ov-stat-note">
                {plural(q.data.usersAccessStops, "user")} blocked: {q.data.stopsByReason.allowance} allowance, {q.data.stopsByReason.cap} cap, {q.data.stopsByReason.budget} budget
              </dd>
            </div>
          </dl>
        )}
      </div>
    </section>
  );
}
