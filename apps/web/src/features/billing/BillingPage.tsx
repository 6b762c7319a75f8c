import { keepPreviousData, useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type MouseEvent } from "react";
import { PageHeader } from "../../app/PageHeader";
import type { ProfilePageProps } from "../../app/page-props";
import { useTRPC } from "../../app/trpc";
import { collectAllPages } from "../../lib/csv";
import { errorMessage } from "../../lib/errors";
import { formatMoney, formatUtc, plural } from "../../lib/format";
import { useSearchParam } from "../../lib/use-search-param";
import { useCatalog } from "../catalog/useCatalog";
import { billCsv } from "./billing-csv";
import { BillLinesTable, LinesPager } from "./BillLinesTable";
import { ExportCsvButton } from "./ExportCsvButton";
import { periodEndLabel, periodLabel } from "./format";
import type { Estimate, InvoiceSummary } from "./types";

/** Lines on one screen; the export asks for the most the API gives at once. */
const pageSize = 25;
const exportPageSize = 1000;

/** Billing (DESIGN.md §4 "billing"): this month's running estimate, past invoices and their lines, CSV downloads. */
export function BillingPage(props: ProfilePageProps) {
  const [invoice, setInvoice] = useSearchParam("invoice");
  const valid = invoice !== null && /^[0-9]{4}-(0[1-9]|1[0-2])$/.test(invoice);
  if (valid) return <InvoiceView {...props} periodId={invoice} onBack={() => setInvoice(null)} />;
  return <BillingOverview {...props} />;
}

function BillingOverview({ profile, canEdit, go }: ProfilePageProps) {
  return (
    <>
      <PageHeader section="Billing" description={`What this profile costs: ${profile.name} (${profile.region}). Amounts in US dollars; months are calendar months in UTC.`}>
        Billing
      </PageHeader>
      <div className="billing-stack">
        <EstimatePanel profile={profile} canEdit={canEdit} go={go} />
        <InvoicesPanel profileId={profile.id} region={profile.region} />
      </div>
    </>
  );
}

/** Keyset pages: the cursor of every page visited, so Previous goes back without offsets. */
function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    cursor: cursors.at(-1) ?? null,
    page: cursors.length,
    next: (cursor: string) => setCursors((c) => [...c, cursor]),
    previous: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
  };
}

function EstimatePanel({ profile, canEdit, go }: Pick<ProfilePageProps, "profile" | "canEdit" | "go">) {
  const trpc = useTRPC();
  const catalog = useCatalog();
  const queryClient = useQueryClient();
  const headingId = useId();
  const paging = useCursorPages();
  const estimate = useQuery(
    trpc.billing.estimate.queryOptions(
      { profileId: profile.id, limit: pageSize, ...(paging.cursor ? { cursor: paging.cursor } : {}) },
      { placeholderData: keepPreviousData },
    ),
  );
  const data = estimate.data;
  const nextCursor = estimate.isPlaceholderData ? null : (data?.nextCursor ?? null);

  const exportJob = async (progress: (count: number) => void) => {
    const { items, first } = await collectAllPages(
      (cursor) =>
        queryClient.fetchQuery({
          ...trpc.billing.estimate.queryOptions({ profileId: profile.id, limit: exportPageSize, ...(cursor ? { cursor } : {}) }),
          staleTime: 0,
        }),
      (page) => page.lines,
      (page) => page.nextCursor,
      progress,
    );
    return {
      filename: `seatdesk-estimate-${profile.region}-${first.periodId}.csv`,
      csv: billCsv(catalog, items),
      message: `Downloaded ${plural(items.length, "line")}.`,
    };
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>{data ? `This month: ${periodLabel(data.periodId)}` : "This month"}</h2>
          <p className="panel-description">
            {data ? (
              <>
                Running estimate as of <time dateTime={data.asOf}>{formatUtc(data.asOf)}</time>. It changes as people use credits and plans change, and
                becomes the invoice when the month closes on {periodEndLabel(data.periodId)} (UTC).
              </>
            ) : (
              "Running estimate of the month so far."
            )}
          </p>
        </div>
        <div className="panel-actions">
          <button
            type="button"
            className="btn btn-link"
            onClick={() => void estimate.refetch()}
            disabled={estimate.isFetching}
            aria-label="Refresh the estimate"
          >
            {estimate.isFetching && !estimate.isPending ? "Refreshing…" : "Refresh"}
          </button>
          <ExportCsvButton what="this month's estimate" unit={["line", "lines"]} disabled={!data || data.lineCount === 0} job={exportJob} />
        </div>
      </div>
      {estimate.isError && (
        <div role="alert" className="alert alert-error panel-alert">
          Could not load the estimate: {errorMessage(estimate.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void estimate.refetch()}>
            Try again
          </button>
        </div>
      )}
      <Totals
        label="Estimated totals"
        items={[
          { term: "Subscription fees", value: data && formatMoney(data.feesCents) },
          { term: "Overage", value: data && formatMoney(data.overageCents) },
          { term: "Estimated total", value: data && formatMoney(data.totalCents), strong: true, badge: "Estimate" },
          { term: "Users billed", value: data && data.lineCount.toLocaleString("en-US") },
        ]}
      />
      {data && <BudgetUse budget={data.budget} periodId={data.periodId} canEdit={canEdit} onSettings={() => go("settings")} />}
      <div className="panel-toolbar">
        <h3 className="bill-toolbar-title">Lines</h3>
        <LinesPager
          label="Pages of estimate lines"
          page={paging.page}
          pageSize={pageSize}
          shown={data?.lines.length ?? 0}
          lineCount={data?.lineCount}
          hasPrevious={paging.page > 1}
          hasNext={nextCursor !== null}
          onPrevious={paging.previous}
          onNext={() => nextCursor && paging.next(nextCursor)}
        />
      </div>
      <BillLinesTable
        caption="Estimate lines"
        lines={data?.lines}
        loading={estimate.isPending}
        busy={estimate.isFetching}
        totals={data}
        empty={{ title: "Nothing to bill yet this month.", text: "A user gets a line once they are Active (Pending users cost nothing)." }}
      />
    </section>
  );
}

interface TotalItem {
  term: string;
  value: string | undefined;
  strong?: boolean;
  badge?: string;
}

/** A bill's figures as a description list: each term next to its amount (a skeleton while loading). */
function Totals({ label, items }: { label: string; items: TotalItem[] }) {
  return (
    <dl className="bill-totals" aria-label={label}>
      {items.map((item) => (
        <div key={item.term} className={item.strong ? "bill-total strong" : "bill-total"}>
          <dt>
            {item.term}
            {item.badge && <span className="estimate-badge">{item.badge}</span>}
          </dt>
          <dd>{item.value ?? <span className="skeleton" aria-label="Loading" />}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The month's overage against the profile's budget (DESIGN.md §2, "Overages and caps"). */
function BudgetUse({ budget, periodId, canEdit, onSettings }: { budget: Estimate["budget"]; periodId: string; canEdit: boolean; onSettings: () => void }) {
  if (budget.budgetCents === null) {
    return (
      <p className="budget budget-none">
        <span className="muted">No monthly overage budget is set: overage is limited only by users’ caps.</span>
        {canEdit && (
          <button type="button" className="btn btn-link" onClick={onSettings}>
            Set a budget in Settings
          </button>
        )}
      </p>
    );
  }
  const cap = budget.budgetCents;
  const used = budget.budgetUsedCents;
  const share = cap > 0 ? Math.min(1, used / cap) : 1;
  const percent = Math.round(share * 100);
  const tone = budget.budgetReached ? "reached" : share >= 0.8 ? "high" : "ok";
  const text = `${formatMoney(used)} of ${formatMoney(cap)} used (${percent}%)`;
  return (
    <div className={`budget budget-${tone}`}>
      <div className="budget-head">
        <span className="budget-title">Overage budget</span>
        <span>{text}</span>
      </div>
      <div
        className="budget-bar"
        role="meter"
        aria-label="Overage budget used"
        aria-valuemin={0}
        aria-valuemax={cap}
        aria-valuenow={Math.min(used, cap)}
        aria-valuetext={text}
      >
        <span style={{ width: `${percent}%` }} />
      </div>
      <p className="budget-note">
        {budget.budgetReached
          ? `Budget reached: no one can use overage until ${periodEndLabel(periodId)}. Users keep their included credits.`
          : `${formatMoney(Math.max(0, cap - used))} left this month. When the budget is used up, overage stops for everyone until the next month.`}
      </p>
    </div>
  );
}

/** An address for one invoice on this page (so it opens in a new tab too, and Back returns to the list). */
function invoiceHref(periodId: string): string {
  const url = new URL(window.location.href);
  url.searchParams.set("invoice", periodId);
  return `${url.pathname}${url.search}`;
}

function InvoicesPanel({ profileId, region }: { profileId: string; region: string }) {
  const trpc = useTRPC();
  const headingId = useId();
  const [, setInvoice] = useSearchParam("invoice");
  const list = useInfiniteQuery(
    trpc.billing.invoices.infiniteQueryOptions({ profileId, limit: 12 }, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );
  const invoices: InvoiceSummary[] = list.data?.pages.flatMap((p) => p.invoices) ?? [];

  const open = (event: MouseEvent<HTMLAnchorElement>, periodId: string) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    setInvoice(periodId);
    document.getElementById("main")?.focus();
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <div>
          <h2 id={headingId}>Past invoices</h2>
          <p className="panel-description">One invoice per month, written when the month closes. Newest first. Region {region}.</p>
        </div>
      </div>
      {list.isError && (
        <div role="alert" className="alert alert-error panel-alert">
          Could not load invoices: {errorMessage(list.error)}{" "}
          <button type="button" className="btn btn-link" onClick={() => void list.refetch()}>
            Try again
          </button>
        </div>
      )}
      <div className="table-wrap">
        <table className="data-table invoices-table" aria-busy={list.isFetching}>
          <caption className="visually-hidden">Past invoices</caption>
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col" className="num">
                Users billed
              </th>
              <th scope="col" className="num">
                Subscription fees
              </th>
              <th scope="col" className="num">
                Overage
              </th>
              <th scope="col" className="num">
                Total
              </th>
              <th scope="col">Finalized</th>
            </tr>
          </thead>
          <tbody>
            {list.isPending &&
              Array.from({ length: 3 }, (_, i) => (
                <tr key={i} aria-hidden="true">
                  {Array.from({ length: 6 }, (_, j) => (
                    <td key={j}>
                      <span className="skeleton" />
                    </td>
                  ))}
                </tr>
              ))}
            {list.isSuccess && invoices.length === 0 && (
              <tr>
                <td colSpan={6} className="empty">
                  <strong>No invoices yet.</strong>
                  <span>The first invoice is written when the current month closes.</span>
                </td>
              </tr>
            )}
            {invoices.map((inv) => (
              <tr key={inv.periodId}>
                <th scope="row">
                  <a className="invoice-link" href={invoiceHref(inv.periodId)} onClick={(e) => open(e, inv.periodId)}>
                    {periodLabel(inv.periodId)}
                  </a>
                </th>
                <td className="num">{inv.lineCount.toLocaleString("en-US")}</td>
                <td className="num">{formatMoney(inv.feesCents)}</td>
                <td className="num">{formatMoney(inv.overageCents)}</td>
                <td className="num strong">{formatMoney(inv.totalCents)}</td>
                <td className="cell-date">
                  <time dateTime={inv.finalizedAt}>{formatUtc(inv.finalizedAt)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.hasNextPage && (
        <div className="list-more">
          <button type="button" className="btn btn-normal btn-small" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
            {list.isFetchingNextPage ? "Loading…" : "Load older invoices"}
          </button>
        </div>
      )}
    </section>
  );
}

/** One finalized invoice: its totals and its lines, paged, with a CSV of every line. */
function InvoiceView({ profile, periodId, onBack }: ProfilePageProps & { periodId: string; onBack: () => void }) {
  const trpc = useTRPC();
  const catalog = useCatalog();
  const queryClient = useQueryClient();
  const headingId = useId();
  const paging = useCursorPages();
  const invoice = useQuery(
    trpc.billing.invoice.queryOptions(
      { profileId: profile.id, period: periodId, limit: pageSize, ...(paging.cursor ? { cursor: paging.cursor } : {}) },
      { placeholderData: keepPreviousData },
    ),
  );
  const data = invoice.data;
  const nextCursor = invoice.isPlaceholderData ? null : (data?.nextCursor ?? null);
  const label = periodLabel(periodId);

  const exportJob = async (progress: (count: number) => void) => {
    const { items } = await collectAllPages(
      (cursor) =>
        queryClient.fetchQuery(trpc.billing.invoice.queryOptions({ profileId: profile.id, period: periodId, limit: exportPageSize, ...(cursor ? { cursor } : {}) })),
      (page) => page.lines,
      (page) => page.nextCursor,
      progress,
    );
    return { filename: `seatdesk-invoice-${profile.region}-${periodId}.csv`, csv: billCsv(catalog, items), message: `Downloaded ${plural(items.length, "line")}.` };
  };

  const back = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    onBack();
  };
  const backHref = (() => {
    const url = new URL(window.location.href);
    url.searchParams.delete("invoice");
    return `${url.pathname}${url.search}`;
  })();

  return (
    <>
      <p className="bill-back">
        <a href={backHref} onClick={back}>
          ‹ Billing
        </a>
      </p>
      <PageHeader section="Billing" description={`${profile.name} (${profile.region}). A finalized invoice does not change.`}>
        Invoice for {label}
      </PageHeader>
      <section className="panel" aria-labelledby={headingId}>
        <div className="panel-header">
          <div>
            <h2 id={headingId}>Invoice details</h2>
            <p className="panel-description">
              {data ? (
                <>
                  Finalized <time dateTime={data.finalizedAt}>{formatUtc(data.finalizedAt)}</time> when the month closed.
                </>
              ) : (
                "Loading the invoice…"
              )}
            </p>
          </div>
          <div className="panel-actions">
            <ExportCsvButton what={`the ${label} invoice`} unit={["line", "lines"]} disabled={!data || data.lineCount === 0} job={exportJob} />
          </div>
        </div>
        {invoice.isError ? (
          <div role="alert" className="alert alert-error panel-alert">
            {errorMessage(invoice.error)}{" "}
            <button type="button" className="btn btn-link" onClick={() => void invoice.refetch()}>
              Try again
            </button>
          </div>
        ) : (
          <>
            <Totals
              label="Invoice totals"
              items={[
                { term: "Subscription fees", value: data && formatMoney(data.feesCents) },
                { term: "Overage", value: data && formatMoney(data.overageCents) },
                { term: "Total", value: data && formatMoney(data.totalCents), strong: true },
                { term: "Users billed", value: data && data.lineCount.toLocaleString("en-US") },
              ]}
            />
            <div className="panel-toolbar">
              <h3 className="bill-toolbar-title">Lines</h3>
              <LinesPager
                label="Pages of invoice lines"
                page={paging.page}
                pageSize={pageSize}
                shown={data?.lines.length ?? 0}
                lineCount={data?.lineCount}
                hasPrevious={paging.page > 1}
                hasNext={nextCursor !== null}
                onPrevious={paging.previous}
                onNext={() => nextCursor && paging.next(nextCursor)}
              />
            </div>
            <BillLinesTable
              caption={`Invoice lines for ${label}`}
              lines={data?.lines}
              loading={invoice.isPending}
              busy={invoice.isFetching}
              totals={data}
              empty={{ title: "This invoice has no lines.", text: "No one was charged this month." }}
            />
          </>
        )}
      </section>
    </>
  );
}
