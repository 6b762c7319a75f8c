import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatUtc } from "../../lib/format";
import { deliveryBadge, deliveryStatusLabel, type EndpointRow } from "./webhooks-types";

/**
 * An endpoint's deliveries, newest first, as the server recorded them: event type, status, attempts, the
 * last answer, when it was delivered or will be tried again. Owners and admins can send any one again.
 */
export function DeliveryLog({ endpoint, canResend, onNotice }: { endpoint: EndpointRow; canResend: boolean; onNotice: (text: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const log = useInfiniteQuery({
    ...trpc.webhooks.deliveries.infiniteQueryOptions({ endpointId: endpoint.id, limit: 50 }, { getNextPageParam: (p) => p.nextCursor ?? undefined }),
    // Pending deliveries move on their own: the log follows them while it is open.
    refetchInterval: 5_000,
  });
  const resend = useMutation(trpc.webhooks.resend.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.webhooks.deliveries.pathFilter()) }));
  const sendTest = useMutation(trpc.webhooks.sendTest.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.webhooks.deliveries.pathFilter()) }));
  const rows = log.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <section className="panel settings-panel" aria-labelledby="webhook-log-title">
      <div className="panel-header">
        <div>
          <h2 id="webhook-log-title">Delivery log</h2>
          <p className="panel-description">
            To <code>{endpoint.url}</code>, newest first. A failed attempt is tried again with growing waits for 24 hours; every attempt carries
            the same <code>webhook-id</code>.
          </p>
        </div>
        {canResend && endpoint.enabled && (
          <div className="panel-actions">
            <button
              type="button"
              className="btn btn-normal"
              disabled={sendTest.isPending}
              onClick={() => sendTest.mutate({ endpointId: endpoint.id }, { onSuccess: () => onNotice(`Queued a test event to ${endpoint.url}; it goes out within seconds.`) })}
            >
              {sendTest.isPending ? "Sending…" : "Send test event"}
            </button>
          </div>
        )}
      </div>
      {(log.isError || resend.isError || sendTest.isError) && (
        <div role="alert" className="alert alert-error panel-alert">
          {errorMessage(log.error ?? resend.error ?? sendTest.error)}
        </div>
      )}
      <div className="table-wrap">
        <table className="data-table settings-table" aria-label="Deliveries" aria-busy={log.isFetching}>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Created</th>
              <th scope="col">Delivered / next try</th>
              {canResend && (
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {log.isPending && (
              <tr aria-hidden="true">
                <td colSpan={canResend ? 7 : 6}>
                  <span className="skeleton" />
                </td>
              </tr>
            )}
            {log.data && rows.length === 0 && (
              <tr>
                <td colSpan={canResend ? 7 : 6} className="empty">
                  <strong>No deliveries yet</strong>
                  Events this endpoint subscribes to appear here as they happen.
                </td>
              </tr>
            )}
            {rows.map((d) => (
              <tr key={d.id}>
                <th scope="row">
                  <code>{d.type}</code>
                  <span className="note">
                    <code>{d.eventId}</code>
                  </span>
                </th>
                <td>
                  <span className={`badge ${deliveryBadge[d.status]}`}>{deliveryStatusLabel[d.status]}</span>
                </td>
                <td>{d.attempts}</td>
                <td>
                  {d.lastResponseCode ?? (d.attempts > 0 ? "No answer" : <span className="blank">—</span>)}
                  {d.lastError && <span className="delivery-error">{d.lastError}</span>}
                </td>
                <td className="cell-date">{formatUtc(d.createdAt)}</td>
                <td className="cell-date">{d.deliveredAt ? formatUtc(d.deliveredAt) : d.nextAttemptAt && d.attempts > 0 ? `Next try ${formatUtc(d.nextAttemptAt)}` : <span className="blank">—</span>}</td>
                {canResend && (
                  <td className="col-actions">
                    <button
                      type="button"
                      className="btn btn-normal btn-small"
                      disabled={!endpoint.enabled || (resend.isPending && resend.variables?.deliveryId === d.id)}
                      onClick={() => resend.mutate({ deliveryId: d.id }, { onSuccess: () => onNotice(`Sending the ${d.type} event again (same webhook-id ${d.eventId}).`) })}
                    >
                      Send again
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {log.hasNextPage && (
        <button type="button" className="btn btn-normal" disabled={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
          {log.isFetchingNextPage ? "Loading…" : "Load older deliveries"}
        </button>
      )}
    </section>
  );
}
