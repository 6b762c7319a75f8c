import { useInfiniteQuery } from "@tanstack/react-query";
import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatMoney, formatUtc, plural } from "../../lib/format";
import { useTierName } from "../catalog/useCatalog";
import { formatPeriod } from "../user/user-format";

const pageSize = 100;

/**
 * Right-sizing (issue 15, Forecasts): users an upgrade saves money for (last month's overage cost more than the
 * next tier's price difference) and users a downgrade saves money for (under a lower tier's allowance in each of
 * the last two months), with the saving per month as the server computed it in the daily forecast.
 */
export function RightSizingPage({ profile, go }: ProfilePageProps) {
  const trpc = useTRPC();
  const tierName = useTierName();
  const q = useInfiniteQuery({
    ...trpc.forecasts.rightSizing.infiniteQueryOptions({ profileId: profile.id, limit: pageSize }, { getNextPageParam: (page) => page.nextCursor ?? undefined }),
  });
  const first = q.data?.pages[0];
  const rows = q.data?.pages.flatMap((p) => p.rows) ?? [];
  const lists = [
    { kind: "upgrade", title: "Upgrade saves money", note: "Last month's overage cost more than the next tier's price difference.", summary: first?.upgrade },
    { kind: "downgrade", title: "Downgrade saves money", note: "Used less than a lower tier's allowance in each of the last two months.", summary: first?.downgrade },
  ] as const;
  return (
    <>
      <PageHeader
        section="Right-sizing"
        description={first?.asOf ? <>From the daily forecast of {formatUtc(first.asOf)}; a plan changed since is left out.</> : "From the daily forecast."}
      >
        Right-sizing
      </PageHeader>
      {q.isError ? (
        <div role="alert" className="alert alert-error">
          {errorMessage(q.error)}
        </div>
      ) : !first ? (
        <p className="muted">Loading…</p>
      ) : (
        // The overview's grid: the same spacing between the total and the two lists.
        <div className="ov">
          <p className="rs-total" data-testid="rs-total">
            Possible saving: <strong>{formatMoney(first.totalSavingCentsPerMonth)} a month</strong> across {plural(first.upgrade.count + first.downgrade.count, "user")}.
          </p>
          {lists.map((l) => {
            const mine = rows.filter((r) => r.kind === l.kind);
            return (
              <section key={l.kind} className="panel" aria-labelledby={`rs-${l.kind}`} data-testid={`rs-${l.kind}`}>
                <div className="panel-header">
                  <div>
                    <h2 id={`rs-${l.kind}`}>{l.title}</h2>
                    <p className="panel-description">
                      {l.note} {l.summary && <>{plural(l.summary.count, "user")}, {formatMoney(l.summary.savingCentsPerMonth)} a month.</>}
                    </p>
                  </div>
                </div>
                {mine.length === 0 ? (
                  <p className="user-empty">
                    <strong>Nobody.</strong>
                  </p>
                ) : (
                  <div className="table-wrap">
                    <table className="data-table">
                      <thead>
                        <tr>
                          <th scope="col">User</th>
                          <th scope="col">Tier now</th>
                          <th scope="col">Suggested</th>
                          <th scope="col">Based on</th>
                          <th scope="col" className="num">
                            Saving per month
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {mine.map((r) => (
                          <tr key={r.userId}>
                            <td>
                              <a
                                href={`?page=user&user=${r.userId}`}
                                onClick={(e) => {
                                  e.preventDefault();
                                  go("user", { user: r.userId });
                                }}
                              >
                                {r.displayName}
                              </a>
                              <div className="muted">{r.email}</div>
                            </td>
                            <td>{tierName(r.fromTier)}</td>
                            <td>{tierName(r.toTier)}</td>
                            <td>{r.kind === "upgrade" ? formatPeriod(r.basisPeriod) : `Two months to ${formatPeriod(r.basisPeriod)}`}</td>
                            <td className="num">{formatMoney(r.savingCentsPerMonth)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>
            );
          })}
          {q.hasNextPage && (
            <button type="button" className="btn" disabled={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
              {q.isFetchingNextPage ? "Loading…" : "Show more"}
            </button>
          )}
        </div>
      )}
    </>
  );
}
