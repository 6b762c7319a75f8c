import { useQuery } from "@tanstack/react-query";
import { useId, type ReactNode } from "react";
import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatMoney, formatUtc } from "../../lib/format";
import { useTierName } from "../catalog/useCatalog";
import { ActiveUsersChart, CreditsByClientChart, CreditsByTierChart, SubscriptionsChart } from "./charts";
import { creditNumber, formatCount, formatPercent, monthOf, periodName } from "./format";
import type { DashboardSummary } from "./types";
import { TrendsSection } from "./Trends";
import { ProfileForecastPanel } from "../forecast/ProfileForecastPanel";

/**
 * Subscriptions overview (issue 7; DESIGN.md §4 "dashboard"): how many people hold which tier and in which
 * status, how many use the tool, where this month's credits go, and the overage spent against the budget.
 */
export function OverviewPage({ profile, canEdit, go }: ProfilePageProps) {
  const trpc = useTRPC();
  const summary = useQuery(trpc.dashboard.summary.queryOptions({ profileId: profile.id }));
  const data = summary.data;

  return (
    <>
      <PageHeader
        section="Subscriptions overview"
        description={
          data ? (
            <>
              {profile.name} · {periodName(data.periodId)} so far, as of {formatUtc(data.asOf)}
            </>
          ) : (
            profile.name
          )
        }
      >
        Subscriptions overview
      </PageHeader>
      {summary.isError ? (
        <div role="alert" className="alert alert-error">
          {errorMessage(summary.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void summary.refetch()}>
            Try again
          </button>
        </div>
      ) : !data ? (
        <OverviewSkeleton />
      ) : (
        <div className="ov" aria-busy={summary.isFetching}>
          <KeyFigures data={data} />
          <SubscriptionsPanel data={data} onOpenUsers={() => go("users")} />
          <ActiveUsersPanel profileId={profile.id} activeUsers={data.activeUsers} />
          <div className="ov-pair">
            <Panel title="Credits used by tier" description={creditsDescription(data)}>
              {data.credits.usedCc > 0 ? <CreditsByTierChart byTier={data.credits.byTier} /> : <NoCredits periodId={data.periodId} />}
            </Panel>
            <Panel title="Credits used by client" description="Which of the tool's clients (IDE, CLI, …) the credits were used from.">
              {data.credits.byClient.length > 0 ? <CreditsByClientChart byClient={data.credits.byClient} /> : <NoCredits periodId={data.periodId} />}
            </Panel>
          </div>
          <OveragePanel profileId={profile.id} data={data} canEdit={canEdit} go={go} />
          <ProfileForecastPanel profileId={profile.id} go={go} />
          <TrendsSection profileId={profile.id} />
        </div>
      )}
    </>
  );
}

function Panel({ title, description, actions, children }: { title: string; description?: ReactNode; actions?: ReactNode; children: ReactNode }) {
  const headingId = useId();
  return (
    <section className="panel ov-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>{title}</h2>
          {description && <p className="panel-description">{description}</p>}
        </div>
        {actions && <div className="panel-actions">{actions}</div>}
      </div>
      <div className="ov-panel-body">{children}</div>
    </section>
  );
}

function KeyFigures({ data }: { data: DashboardSummary }) {
  const { subscriptions: subs, activeUsers, credits, overage } = data;
  const overageCc = credits.byTier.reduce((s, t) => s + t.overageCc, 0);
  return (
    <dl className="ov-stats" aria-label="Key figures">
      <div className="ov-stat">
        <dt>Subscriptions</dt>
        <dd className="ov-stat-value">{formatCount(subs.total)}</dd>
        <dd className="ov-stat-note ov-statuses">
          <span className="ov-dot ov-dot-active">{formatCount(subs.byStatus.active)} Active</span>
          <span className="ov-dot ov-dot-pending">{formatCount(subs.byStatus.pending)} Pending</span>
          <span className="ov-dot ov-dot-canceled">{formatCount(subs.byStatus.canceled)} Canceled</span>
        </dd>
      </div>
      <div className="ov-stat">
        <dt>Active users, last 30 days</dt>
        <dd className="ov-stat-value">{formatCount(activeUsers.last30Days)}</dd>
        <dd className="ov-stat-note">
          Last 24 hours: {formatCount(activeUsers.lastDay)} · 7 days: {formatCount(activeUsers.last7Days)}
        </dd>
      </div>
      <div className="ov-stat">
        <dt>Credits used in {monthOf(data.periodId)}</dt>
        <dd className="ov-stat-value">{creditNumber(credits.usedCc)}</dd>
        <dd className="ov-stat-note">{overageCc > 0 ? `${creditNumber(overageCc)} of them overage` : "No overage"}</dd>
      </div>
      <div className="ov-stat">
        <dt>Overage spend in {monthOf(data.periodId)}</dt>
        <dd className="ov-stat-value">{formatMoney(overage.overageCents)}</dd>
        <dd className="ov-stat-note">
          {overage.budgetCents === null
            ? "No monthly budget"
            : `${formatMoney(overage.budgetUsedCents)} of ${formatMoney(overage.budgetCents)} budget${overage.budgetReached ? " · reached" : ""}`}
        </dd>
      </div>
    </dl>
  );
}

function SubscriptionsPanel({ data, onOpenUsers }: { data: DashboardSummary; onOpenUsers: () => void }) {
  const tierName = useTierName();
  const { byTier, byStatus, total } = data.subscriptions;
  return (
    <Panel
      title="Subscriptions by tier and status"
      description="Current subscriptions at the tier in force now. Canceled ones keep access until the month ends."
      actions={
        <button type="button" className="btn btn-normal btn-small" onClick={onOpenUsers}>
          View users
        </button>
      }
    >
      <div className="ov-split">
        <SubscriptionsChart byTier={byTier} />
        <div className="table-wrap ov-counts">
          <table className="data-table ov-table">
            <caption className="visually-hidden">Subscriptions by tier and status</caption>
            <thead>
              <tr>
                <th scope="col">Tier</th>
                <th scope="col" className="num">
                  Active
                </th>
                <th scope="col" className="num">
                  Pending
                </th>
                <th scope="col" className="num">
                  Canceled
                </th>
                <th scope="col" className="num">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {byTier.map((t) => (
                <tr key={t.tier}>
                  <th scope="row">{tierName(t.tier)}</th>
                  <td className="num">{formatCount(t.byStatus.active)}</td>
                  <td className="num">{formatCount(t.byStatus.pending)}</td>
                  <td className="num">{formatCount(t.byStatus.canceled)}</td>
                  <td className="num">{formatCount(t.total)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">All tiers</th>
                <td className="num">{formatCount(byStatus.active)}</td>
                <td className="num">{formatCount(byStatus.pending)}</td>
                <td className="num">{formatCount(byStatus.canceled)}</td>
                <td className="num">{formatCount(total)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      </div>
    </Panel>
  );
}

function ActiveUsersPanel({ profileId, activeUsers }: { profileId: string; activeUsers: DashboardSummary["activeUsers"] }) {
  const trpc = useTRPC();
  const series = useQuery(trpc.dashboard.activeUsersByDay.queryOptions({ profileId }));
  return (
    <Panel
      title="Active users over time"
      description={
        <>
          People who used the tool or signed in to it, each day (UTC) of the last 30 days. Last 24 hours: {formatCount(activeUsers.lastDay)} · 7
          days: {formatCount(activeUsers.last7Days)} · 30 days: {formatCount(activeUsers.last30Days)}.
        </>
      }
    >
      {series.isError ? (
        <div role="alert" className="alert alert-error">
          {errorMessage(series.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void series.refetch()}>
            Try again
          </button>
        </div>
      ) : series.data ? (
        <ActiveUsersChart series={series.data} />
      ) : (
        <div className="ov-chart-loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading active users…
        </div>
      )}
    </Panel>
  );
}

function creditsDescription(data: DashboardSummary): string {
  return `${monthOf(data.periodId)} so far: ${creditNumber(data.credits.usedCc)} credits, split into included, overage and unbilled, by the tier that sets each user's allowance.`;
}

function NoCredits({ periodId }: { periodId: string }) {
  return <p className="ov-empty">No credits used in {periodName(periodId)} yet.</p>;
}

function OveragePanel({ profileId, data, canEdit, go }: { profileId: string; data: DashboardSummary; canEdit: boolean; go: ProfilePageProps["go"] }) {
  const trpc = useTRPC();
  const settings = useQuery(trpc.settings.get.queryOptions({ profileId }));
  const { overage } = data;
  const month = monthOf(data.periodId);
  const budget = overage.budgetCents;
  const used = overage.budgetUsedCents;
  // A budget of $0 admits no overage at all: shown as used up.
  // A lowered budget can sit below what was already spent (edge case 6): the text says so, the bar stops at full.
  const usedRatio = budget === null ? 0 : budget === 0 ? 1 : used / budget;
  const shownRatio = Math.min(1, usedRatio);
  const valueText = budget === null ? "" : `${formatMoney(used)} of ${formatMoney(budget)} (${formatPercent(usedRatio)})`;
  const overagesOff = settings.data && !settings.data.overagesEnabled;

  return (
    <Panel
      title="Overage spend against the budget"
      description={`Credits used past users' allowances in ${month}, at the overage price, and the profile's monthly overage budget.`}
      actions={
        <>
          <button type="button" className="btn btn-link" onClick={() => go("billing")}>
            See the bill
          </button>
          <button type="button" className="btn btn-normal btn-small" onClick={() => go("settings")}>
            {canEdit ? "Change the budget" : "View settings"}
          </button>
        </>
      }
    >
      <div className="ov-budget">
        <p className="ov-budget-figures">
          <span className="ov-budget-spent">{formatMoney(overage.overageCents)}</span>
          <span className="muted">
            {" "}
            overage in {month} ({creditNumber(overage.overageCc)} credits)
          </span>
          {budget !== null && (
            <span className="ov-budget-of">
              Budget: <strong>{formatMoney(budget)}</strong> a month
            </span>
          )}
        </p>
        {budget !== null ? (
          <>
            <div
              className={`ov-meter${overage.budgetReached ? " ov-meter-full" : shownRatio >= 0.8 ? " ov-meter-high" : ""}`}
              role="meter"
              aria-label="Overage budget used"
              aria-valuemin={0}
              aria-valuemax={budget}
              aria-valuenow={Math.min(used, budget)}
              aria-valuetext={valueText}
            >
              <span className="ov-meter-fill" style={{ width: `${(shownRatio * 100).toFixed(1)}%` }} />
            </div>
            <p className="ov-meter-legend">
              <span>
                {formatMoney(used)} counted against the budget ({formatPercent(usedRatio)})
              </span>
              <span>
                {overage.budgetReached
                  ? "Budget reached"
                  : overage.budgetLeftCc !== null
                    ? `${creditNumber(overage.budgetLeftCc)} credits of overage left`
                    : ""}
              </span>
            </p>
            {overage.budgetReached && (
              <p className="alert alert-info ov-note">
                The budget is used up: no one can go into overage again until the month ends. Users keep working within their allowance.
              </p>
            )}
          </>
        ) : (
          !overagesOff && <p className="ov-note muted">No monthly budget: overage is limited only by each user's cap.</p>
        )}
        {overagesOff && <p className="ov-note muted">Overages are off: users stop at their allowance, and no overage is billed.</p>}
      </div>
    </Panel>
  );
}

function OverviewSkeleton() {
  return (
    <div className="ov" role="status" aria-label="Loading the overview">
      <div className="ov-stats">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="ov-stat">
            <span className="skeleton" style={{ width: "60%" }} />
            <span className="skeleton" style={{ width: "40%", height: 24, marginTop: 10 }} />
          </div>
        ))}
      </div>
      {[0, 1].map((i) => (
        <div key={i} className="panel ov-panel ov-panel-skeleton">
          <span className="skeleton" style={{ width: "30%", height: 16 }} />
          <span className="skeleton" style={{ width: "100%", height: 160, marginTop: 16 }} />
        </div>
      ))}
    </div>
  );
}
