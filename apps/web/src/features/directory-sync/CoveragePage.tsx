import type { AppRouter } from "@seatdesk/server/router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterClient } from "@trpc/client";
import { useId, useState, type ReactNode } from "react";
import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatUtc, plural } from "../../lib/format";
import { withBreakAfterAt } from "../settings/CredentialsTable";
import { ConfirmDialog } from "../settings/SettingsDialog";
import { StatusBadge } from "../users/StatusBadge";
import { useTierName } from "../catalog/useCatalog";

type Api = inferRouterClient<AppRouter>;
type Report = Awaited<ReturnType<Api["coverage"]["report"]["query"]>>;
type Repaired = Awaited<ReturnType<Api["coverage"]["repair"]["mutate"]>>;
type Person = Report["groups"][number]["uncovered"][number];
type Orphan = Report["orphans"][number];

/** Why no assignment covers a subscription, as the report says. */
const orphanReasons: Record<Orphan["reason"], string> = {
  "no-assignment": "No assignment covers them",
  inactive: "Deactivated in the identity provider",
  deleted: "Deleted in the identity provider",
};

/**
 * Directory sync (issue 8): proof that the identity provider's groups and the subscriptions agree in this
 * profile. For each subscribed group, the members without a subscription (there should be none: a member
 * added over SCIM is subscribed in the same transaction), and the subscriptions that no assignment covers.
 * Owners and admins can repair both; the repair is audited.
 */
export function CoveragePage({ profile, canEdit, go }: ProfilePageProps) {
  const tierName = useTierName();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const report = useQuery(trpc.coverage.report.queryOptions({ profileId: profile.id }));
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<Repaired | null>(null);
  const repair = useMutation(
    trpc.coverage.repair.mutationOptions({
      onSuccess: async (answer) => {
        setResult(answer);
        setConfirming(false);
        // The repair changed subscriptions: every page that shows them reads them again.
        await queryClient.invalidateQueries();
      },
    }),
  );
  const data = report.data;
  // One row per member and group; a person in two subscribed groups is one person to repair.
  const uncovered = data ? data.groups.flatMap((g) => g.uncovered.map((person) => ({ ...person, group: g }))) : [];
  const uncoveredPeople = new Set(uncovered.map((p) => p.userId)).size;
  const listsCut = data ? data.groups.some((g) => g.uncoveredCount > g.uncovered.length) : false;
  const orphans = data?.orphans ?? [];
  const orphanCount = data?.orphanCount ?? 0;
  const allGood = data !== undefined && uncoveredPeople === 0 && !listsCut && orphanCount === 0;
  const openUser = (userId: string) => go("user", { user: userId });

  return (
    <div className="coverage-page">
      <PageHeader
        section="Directory sync"
        description={
          <>
            Whether the groups your identity provider sends and the subscriptions in {profile.name} ({profile.region}) agree.
            {data && <> Checked {formatUtc(data.checkedAt)}.</>}
          </>
        }
      >
        Directory sync
      </PageHeader>
      <div role="status" className="flash-region">
        {result && (
          <div className="flash flash-success">
            <span className="flash-icon" aria-hidden="true">
              ✓
            </span>
            <span className="flash-text">{describeRepair(result)}</span>
            <button type="button" className="icon-button icon-button-light" aria-label="Dismiss" onClick={() => setResult(null)}>
              <span aria-hidden="true">×</span>
            </button>
          </div>
        )}
      </div>
      {report.isError ? (
        <div role="alert" className="alert alert-error">
          Could not check the directory: {errorMessage(report.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void report.refetch()}>
            Try again
          </button>
        </div>
      ) : !data ? (
        <p className="muted" role="status">
          <span className="spinner" aria-hidden="true" /> Checking every member of every subscribed group…
        </p>
      ) : (
        <div className="coverage-stack" aria-busy={report.isFetching}>
          <section className="panel coverage-summary" aria-label="Summary">
            {allGood ? (
              <div className="alert alert-ok" role="note">
                <p className="alert-title">
                  <span aria-hidden="true">✓ </span>Every member of every subscribed group has a subscription
                </p>
                <p>And every subscription is covered by an assignment, to a group or to the person.</p>
              </div>
            ) : (
              <div className="alert alert-warning" role="note">
                <p className="alert-title">
                  {[
                    uncoveredPeople > 0 && `${listsCut ? "More than " : ""}${plural(uncoveredPeople, "member")} of subscribed groups without a subscription`,
                    orphanCount > 0 && `${plural(orphanCount, "subscription")} without a covering assignment`,
                  ]
                    .filter(Boolean)
                    .join(", and ")}
                  .
                </p>
                <p>{canEdit ? "Repair applies the subscription rules to them again." : "An owner or admin can repair this."}</p>
              </div>
            )}
            <div className="coverage-actions">
              <button type="button" className="btn btn-normal" disabled={report.isFetching} onClick={() => void report.refetch()}>
                {report.isFetching && <span className="spinner" aria-hidden="true" />}
                {report.isFetching ? "Checking…" : "Check again"}
              </button>
              {canEdit && (
                <button
                  type="button"
                  className="btn btn-primary"
                  onClick={() => {
                    repair.reset();
                    setConfirming(true);
                  }}
                >
                  Repair
                </button>
              )}
            </div>
          </section>

          <Panel title="Subscribed groups" description="Each group with a tier in this profile, and how many of its members have no subscription.">
            <div className="table-wrap">
              <table className="data-table coverage-table" aria-label="Subscribed groups">
                <thead>
                  <tr>
                    <th scope="col">Group</th>
                    <th scope="col">Tier</th>
                    <th scope="col" className="num">
                      Members
                    </th>
                    <th scope="col">Without a subscription</th>
                  </tr>
                </thead>
                <tbody>
                  {data.groups.length === 0 && (
                    <tr>
                      <td colSpan={4} className="empty">
                        <strong>No subscribed groups</strong>
                        Subscribe a group on the Groups tab of Users &amp; Groups and its members are subscribed one by one.
                      </td>
                    </tr>
                  )}
                  {data.groups.map((g) => (
                    <tr key={g.groupId}>
                      <th scope="row" className="cell-name">
                        {g.displayName}
                      </th>
                      <td>{tierName(g.tier)}</td>
                      <td className="num">{g.members.toLocaleString("en-US")}</td>
                      <td>
                        {g.uncoveredCount === 0 ? (
                          <span className="coverage-ok">
                            <span aria-hidden="true">✓ </span>None
                          </span>
                        ) : (
                          <span className="coverage-bad">{plural(g.uncoveredCount, "member")}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Panel>

          {uncovered.length > 0 && (
            <Panel title="Members without a subscription" description="In a subscribed group, but with no subscription in this profile. Repair subscribes them (Pending: nothing is charged until they use the tool).">
              <PeopleTable
                label="Members without a subscription"
                rows={uncovered.map((p) => ({ person: p, extra: [p.group.displayName, tierName(p.group.tier)] }))}
                extraColumns={["Group", "Its tier"]}
                onOpen={openUser}
              />
              {listsCut && <p className="muted coverage-cut">Each group lists at most 1,000 of its members without a subscription; Repair handles all of them.</p>}
            </Panel>
          )}

          <Panel
            title="Subscriptions without a covering assignment"
            description="A subscription that neither a direct assignment nor a subscribed group covers any more. Repair lets the rules end it."
          >
            {orphanCount === 0 ? (
              <p className="empty coverage-empty">
                <strong>None</strong>
                Every subscription is covered by an assignment.
              </p>
            ) : (
              <PeopleTable
                label="Subscriptions without a covering assignment"
                rows={orphans.map((o) => ({ person: o, extra: [tierName(o.tier), <StatusBadge key="s" status={o.status} />, orphanReasons[o.reason]] }))}
                extraColumns={["Tier", "Status", "Why"]}
                onOpen={openUser}
              />
            )}
            {orphanCount > orphans.length && (
              <p className="muted coverage-cut">
                Showing the first {orphans.length.toLocaleString("en-US")} of {orphanCount.toLocaleString("en-US")}; Repair handles all of them.
              </p>
            )}
          </Panel>
        </div>
      )}
      {confirming && data && (
        <ConfirmDialog
          title="Repair directory sync?"
          confirmLabel="Repair"
          pendingLabel="Repairing…"
          pending={repair.isPending}
          error={repair.isError ? errorMessage(repair.error) : null}
          onClose={() => setConfirming(false)}
          onConfirm={() => repair.mutate({ profileId: profile.id })}
        >
          <p>
            <strong>Immediately</strong>, the subscription rules are applied again in {profile.name}:
          </p>
          <ul className="coverage-list">
            <li>
              {uncoveredPeople === 0
                ? "No member of a subscribed group is without a subscription."
                : `${listsCut ? "More than " : ""}${plural(uncoveredPeople, "member")} of subscribed groups get a subscription, Pending: nothing is charged until they use the tool.`}
            </li>
            <li>
              {orphanCount === 0
                ? "No subscription is without a covering assignment."
                : `${plural(orphanCount, "subscription")} without a covering assignment ${orphanCount === 1 ? "is" : "are"} Canceled by the rules: access lasts as the Cancellations setting says, or ends at once for people the identity provider deactivated or deleted; a Pending one is removed.`}
            </li>
          </ul>
          <p>The repair is recorded in the audit log. The numbers are from the check at {formatUtc(data.checkedAt)}; the repair checks again first.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function describeRepair(r: Repaired): string {
  if (r.repaired === 0 && r.uncoveredBefore === 0 && r.orphansBefore === 0) return "Nothing needed repairing: every member of every subscribed group already had a subscription.";
  return `Repaired ${plural(r.repaired, "subscription")}: ${plural(r.uncoveredBefore, "member")} without a subscription and ${plural(r.orphansBefore, "subscription")} without a covering assignment before the repair.`;
}

function Panel({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>{title}</h2>
          {description && <p className="panel-description">{description}</p>}
        </div>
      </div>
      {children}
    </section>
  );
}

/** The person's page, in the region the console is in (for a new tab; a plain click moves within the console). */
function userHref(userId: string): string {
  const search = new URLSearchParams(window.location.search);
  search.set("page", "user");
  search.set("user", userId);
  return `?${search.toString()}`;
}

function PeopleTable({ label, rows, extraColumns, onOpen }: { label: string; rows: { person: Person; extra: ReactNode[] }[]; extraColumns: string[]; onOpen: (userId: string) => void }) {
  return (
    <div className="table-wrap">
      <table className="data-table coverage-table" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            {extraColumns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(({ person, extra }, i) => (
            <tr key={`${person.userId}-${i}`}>
              <th scope="row" className="cell-name">
                <a
                  className="name"
                  href={userHref(person.userId)}
                  onClick={(e) => {
                    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
                    e.preventDefault();
                    onOpen(person.userId);
                  }}
                >
                  {person.displayName}
                </a>
                <span className="email">{withBreakAfterAt(person.email)}</span>
              </th>
              {extra.map((cell, c) => (
                <td key={c}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
