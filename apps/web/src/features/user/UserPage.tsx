import { useQuery } from "@tanstack/react-query";
import { effectiveTier } from "@seatdesk/domain";
import type { MouseEvent, ReactNode } from "react";
import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";
import { useTRPC } from "../../app/trpc";
import { errorMessage, isClientError } from "../../lib/errors";
import { formatUtc } from "../../lib/format";
import { useSearchParam } from "../../lib/use-search-param";
import { StatusBadge } from "../users/StatusBadge";
import { useCatalog, useTierName } from "../catalog/useCatalog";
import { AuditHistory } from "./AuditHistory";
import { BillSummary } from "./BillSummary";
import { CreditsBar } from "./CreditsBar";
import { NoticeList } from "./NoticeList";
import { ForecastCard } from "../forecast/ForecastCard";
import type { UserRow } from "./types";
import { formatDayUtc, formatPeriod, periodEndIso } from "./user-format";

/**
 * One user's page (issue 7): their subscription in this profile and where its tier comes from, this
 * month's credits against the allowance and the cap, the month's bill so far, notices, and the audit
 * history. Opened as `?page=user&user=<id>`, so it can be reloaded and shared. Read-only: changes are
 * made from Users & Groups.
 */
export function UserPage({ profile, go }: ProfilePageProps) {
  const [userId] = useSearchParam("user");
  const back = <BackLink region={profile.region} go={go} />;
  if (!userId) {
    return (
      <>
        {back}
        <PageHeader>User</PageHeader>
        <div className="panel user-empty-page">
          <p className="user-empty">
            <strong>No user chosen.</strong>
            <span>Open a user from the Users tab of Users &amp; Groups.</span>
          </p>
        </div>
      </>
    );
  }
  return <UserDetails key={userId} profileId={profile.id} userId={userId} back={back} />;
}

function BackLink({ region, go }: { region: string; go: ProfilePageProps["go"] }) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    go("users");
  };
  return (
    <a className="user-back" href={`?${new URLSearchParams({ region }).toString()}`} onClick={onClick}>
      <span aria-hidden="true">←</span> Back to Users &amp; Groups
    </a>
  );
}

function UserDetails({ profileId, userId, back }: { profileId: string; userId: string; back: ReactNode }) {
  const tierName = useTierName();
  const trpc = useTRPC();
  const view = useQuery(trpc.subscriptions.user.queryOptions({ profileId, userId }));
  // Asked only once the user is known, so a bad id shows one error, not two.
  const limits = useQuery({ ...trpc.settings.effectiveLimits.queryOptions({ profileId, userId }), enabled: view.isSuccess });

  if (view.isPending) {
    return (
      <>
        {back}
        <PageHeader>User</PageHeader>
        <p className="muted user-loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the user…
        </p>
        <div className="user-skeleton" aria-hidden="true">
          {[0, 1, 2].map((i) => (
            <div key={i} className="panel">
              <span className="skeleton" />
              <span className="skeleton" />
              <span className="skeleton" />
            </div>
          ))}
        </div>
      </>
    );
  }
  if (view.isError) {
    return (
      <>
        {back}
        <PageHeader>User</PageHeader>
        <div role="alert" className="alert alert-error">
          <p className="alert-title">This user could not be shown.</p>
          <p>{errorMessage(view.error)}</p>
          {!isClientError(view.error) && (
            <p className="alert-actions">
              <button type="button" className="btn btn-normal" onClick={() => void view.refetch()}>
                Try again
              </button>
            </p>
          )}
        </div>
      </>
    );
  }

  const { row, charge, notices, periodId } = view.data;
  const resetAt = periodEndIso(periodId);
  const tier = row.tier ? tierName(row.tier) : null;

  return (
    <>
      {back}
      <PageHeader description={row.email}>{row.displayName}</PageHeader>
      <div className="user-header-meta">
        <StatusBadge status={row.status} />
        {!row.directoryActive && <span className="user-flag">Inactive in directory</span>}
        {!row.directoryActive && <span className="muted">The identity provider has set this person inactive: they cannot be subscribed until it reactivates them.</span>}
      </div>

      <section className="panel user-panel" aria-labelledby="user-subscription-title">
        <div className="panel-header">
          <h2 id="user-subscription-title">Subscription</h2>
        </div>
        <dl className="user-facts">
          <div>
            <dt>Tier</dt>
            <dd className="user-tier">{tier ?? <span className="muted">No tier</span>}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={row.status} />
              <StatusNote row={row} />
            </dd>
          </div>
          <div>
            <dt>Scheduled change</dt>
            <dd>
              {row.scheduledTier && row.scheduledAt ? (
                <>
                  {tierName(row.scheduledTier)} on <time dateTime={row.scheduledAt}>{formatDayUtc(row.scheduledAt)}</time>
                  <span className="note">at 00:00 UTC, when the month starts</span>
                </>
              ) : (
                <span className="muted">None</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Last active</dt>
            <dd>
              {row.lastActiveAt ? (
                <time dateTime={row.lastActiveAt}>{formatUtc(row.lastActiveAt)}</time>
              ) : (
                <span className="muted">{row.status === "pending" ? "Not yet used" : "Never"}</span>
              )}
            </dd>
          </div>
          <div className="user-facts-wide">
            <dt>Where the tier comes from</dt>
            <dd>
              <TierSources row={row} />
            </dd>
          </div>
        </dl>
      </section>

      <div className="user-grid">
        <section className="panel user-panel" aria-labelledby="user-credits-title">
          <div className="panel-header">
            <div>
              <h2 id="user-credits-title">This month's credits</h2>
              <p className="panel-description">
                {formatPeriod(periodId)}
                {resetAt && row.usage && <> · allowance resets on {formatDayUtc(resetAt)}</>}
              </p>
            </div>
          </div>
          <div className="user-panel-body">
            {row.usage ? (
              <CreditsBar usage={row.usage} limits={limits.data} tier={tier} />
            ) : (
              <p className="user-empty">
                <strong>No credits this month.</strong>
                <span>{row.ended
                    ? `Their ${tierName(row.ended.tier)} subscription ended ${formatUtc(row.ended.at)}: the tool's paid features are not available to them.`
                    : row.status === null
                      ? "Not subscribed in this profile: the tool's paid features are not available to them."
                      : "Their access has ended."}</span>
              </p>
            )}
            {limits.isError && (
              <p role="alert" className="user-inline-error">
                The overage cap could not be loaded: {errorMessage(limits.error)}
              </p>
            )}
          </div>
        </section>

        <section className="panel user-panel" aria-labelledby="user-bill-title">
          <div className="panel-header">
            <div>
              <h2 id="user-bill-title">This month's bill</h2>
              <p className="panel-description">So far in {formatPeriod(periodId)}</p>
            </div>
          </div>
          <div className="user-panel-body">
            <BillSummary charge={charge} row={row} periodId={periodId} />
          </div>
        </section>
      </div>

      <ForecastCard profileId={profileId} userId={userId} />
      <NoticeList notices={notices} />
      <AuditHistory profileId={profileId} userId={userId} />
    </>
  );
}

function StatusNote({ row }: { row: UserRow }) {
  switch (row.status) {
    case "canceled":
      return row.accessEndsAt ? (
        <span className="note">
          Access until <time dateTime={row.accessEndsAt}>{formatUtc(row.accessEndsAt)}</time>
        </span>
      ) : null;
    case "pending":
      return <span className="note">Not charged until they first sign in to or use the tool</span>;
    case "active":
      return <span className="note">Charged for this month</span>;
    default:
      return null;
  }
}

/**
 * The assignments that cover the user (DESIGN.md §2 "Changes"): their own and each subscribed group's.
 * The highest tier among them is the one they hold and are charged for.
 */
function TierSources({ row }: { row: UserRow }) {
  const catalog = useCatalog();
  const tierName = useTierName();
  const { direct, groups } = row.source;
  // The effective tier is the domain's highest of the covering tiers (DESIGN.md §2, "Changes").
  const top = effectiveTier(catalog, [...(direct ? [direct] : []), ...groups.map((g) => g.tier)], false);
  const several = (direct ? 1 : 0) + groups.length > 1;
  const sets = (id: string) => several && id === top;
  if (!direct && groups.length === 0) {
    return (
      <span className="muted">
        {row.status === "canceled"
          ? "No assignment covers them any more: the plan was deactivated."
          : row.status === null
            ? "No assignment in this profile: not subscribed."
            : "No assignment covers them."}
      </span>
    );
  }
  return (
    <ul className="user-tier-sources">
      {direct && (
        <li>
          <span>
            Direct assignment: <strong>{tierName(direct)}</strong>
          </span>
          {sets(direct) && <span className="user-tier-source-tag">Highest: sets the tier</span>}
        </li>
      )}
      {groups.map((g) => (
        <li key={g.groupId}>
          <span>
            Group {g.displayName}: <strong>{tierName(g.tier)}</strong>
          </span>
          {sets(g.tier) && <span className="user-tier-source-tag">Highest: sets the tier</span>}
        </li>
      ))}
    </ul>
  );
}
