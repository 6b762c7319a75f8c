import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatCredits, formatUtc } from "../../lib/format";
import { formatForecastDay, stopReasonLabels } from "./forecast-format";

/**
 * One user's forecast (issue 15, Forecasts): the burn rate over the last 7 complete UTC days and the days the
 * allowance, the cap and access run out at that rate, as the server's domain computes them now.
 */
export function ForecastCard({ profileId, userId }: { profileId: string; userId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.forecasts.user.queryOptions({ profileId, userId }));
  return (
    <section className="panel user-panel" aria-labelledby="user-forecast-title" data-testid="user-forecast">
      <div className="panel-header">
        <div>
          <h2 id="user-forecast-title">Forecast</h2>
          <p className="panel-description">At the rate of the last 7 complete days (UTC)</p>
        </div>
      </div>
      <div className="user-panel-body">
        {q.isPending ? (
          <p className="muted">Loading the forecast…</p>
        ) : q.isError ? (
          <p role="alert" className="user-inline-error">
            The forecast could not be loaded: {errorMessage(q.error)}
          </p>
        ) : !q.data.forecast ? (
          <p className="user-empty">
            <strong>No forecast.</strong>
            <span>Not subscribed in this profile, or their access has ended.</span>
          </p>
        ) : (
          <dl className="user-facts">
            <div>
              <dt>Burn rate</dt>
              <dd data-testid="forecast-burn">{formatCredits(q.data.forecast.burnCcPerDay)} a day</dd>
            </div>
            <div>
              <dt>Allowance runs out</dt>
              <dd data-testid="forecast-allowance">
                {q.data.forecast.allowanceRunsOutOn ? formatForecastDay(q.data.forecast.allowanceRunsOutOn) : <span className="muted">Not this month</span>}
              </dd>
            </div>
            <div>
              <dt>Overage cap runs out</dt>
              <dd>
                {q.data.forecast.capRoomCc === null ? (
                  <span className="muted">No cap</span>
                ) : q.data.forecast.capRunsOutOn ? (
                  formatForecastDay(q.data.forecast.capRunsOutOn)
                ) : (
                  <span className="muted">Not this month</span>
                )}
              </dd>
            </div>
            <div>
              <dt>Blocked</dt>
              <dd data-testid="forecast-stop">
                {q.data.forecast.accessStopsOn && q.data.forecast.stopReason ? (
                  <>
                    {formatForecastDay(q.data.forecast.accessStopsOn)}
                    <span className="note">when {stopReasonLabels[q.data.forecast.stopReason]}</span>
                  </>
                ) : (
                  <span className="muted">Not this month</span>
                )}
              </dd>
            </div>
            {q.data.forecast.budgetForecastAsOf && (
              <div className="user-facts-wide">
                <dt>Budget forecast</dt>
                <dd className="note">The profile budget's run-out day is as of {formatUtc(q.data.forecast.budgetForecastAsOf)} (the daily forecast).</dd>
              </div>
            )}
          </dl>
        )}
      </div>
    </section>
  );
}
