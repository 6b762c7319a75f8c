import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type SyntheticEvent } from "react";
import { useTRPC } from "../app/trpc";
import { errorMessage } from "../lib/errors";
import { formatUtc, plural } from "../lib/format";

const monthName = new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
const monthDay = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const timeOnly = new Intl.DateTimeFormat("en-US", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });

/** Where `clock.advance({ nextMonth: true })` lands: 00:20 UTC on the 1st of next month, past the ended month's grace window. */
function nextMonthTarget(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 0, 20));
}

/** The server's clock as it runs on: its last answer plus the time passed here since. */
function useRunningNow(serverNow: string | undefined, answeredAt: number): Date | null {
  const [tick, setTick] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setTick(Date.now()), 15_000);
    return () => window.clearInterval(timer);
  }, []);
  if (!serverNow) return null;
  return new Date(new Date(serverNow).getTime() + Math.max(0, tick - answeredAt));
}

/**
 * The test clock in the header (demo and test mode only; DESIGN.md §3 "Time"): the date the server lives
 * in, and for owners and admins a way to move it to the next month and watch the month close. Renders
 * nothing on the real clock.
 */
export function ClockControl({ canAdvance }: { canAdvance: boolean }) {
  const trpc = useTRPC();
  const clock = useQuery({ ...trpc.clock.get.queryOptions(), refetchInterval: 5 * 60_000 });
  const now = useRunningNow(clock.data?.now, clock.dataUpdatedAt);
  const [advancing, setAdvancing] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const wasAdvancing = useRef(false);
  // Back to the button once the modal dialog is gone (while it is open, the rest of the page is inert).
  useEffect(() => {
    if (wasAdvancing.current && !advancing) buttonRef.current?.focus();
    wasAdvancing.current = advancing;
  }, [advancing]);

  if (!clock.data?.testClock || !now) return null;
  const close = () => setAdvancing(false);
  const iso = now.toISOString();
  return (
    <div className="clock" role="group" aria-label="Test clock">
      <svg className="clock-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
        <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
        <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
      </svg>
      <span className="clock-label" aria-hidden="true">
        Test clock
      </span>
      <time className="clock-now" dateTime={iso} title={formatUtc(iso)}>
        <span>{monthDay.format(now)}</span>
        <span className="clock-year">, {now.getUTCFullYear()}</span>
        <span className="clock-time">, {timeOnly.format(now)} UTC</span>
      </time>
      {canAdvance && (
        <button
          ref={buttonRef}
          type="button"
          className="btn btn-topbar btn-clock"
          aria-label="Advance to next month"
          title="Advance to next month"
          onClick={() => setAdvancing(true)}
        >
          <span className="btn-clock-text">Advance to next month</span>
          <span className="btn-clock-short" aria-hidden="true">
            Next month ›
          </span>
          <svg className="btn-clock-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <path d="M2.5 3.5 8 8l-5.5 4.5zM8 3.5 13.5 8 8 12.5z" fill="currentColor" />
          </svg>
        </button>
      )}
      {advancing && <AdvanceDialog now={now} onClose={close} />}
    </div>
  );
}

/**
 * Asks first (the clock never goes back, and the close finalizes invoices), then shows the close running
 * and what it did. Every query is refreshed before the result shows, so each page is in the new month.
 */
function AdvanceDialog({ now: opened, onClose }: { now: Date; onClose: () => void }) {
  // The time the question was asked about: the header's clock moves on once the advance is done.
  const [now] = useState(opened);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const advance = useMutation(
    trpc.clock.advance.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(),
    }),
  );
  const pending = advance.isPending;
  const done = advance.isSuccess ? advance.data : null;

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const onCancel = (event: SyntheticEvent<HTMLDialogElement>) => {
    event.preventDefault();
    if (!pending) onClose();
  };

  const target = nextMonthTarget(now);
  const ending = monthName.format(now);

  return (
    <dialog ref={ref} className="modal clock-dialog" aria-labelledby={titleId} aria-describedby={bodyId} onCancel={onCancel}>
      <div className="modal-header">
        <h2 id={titleId}>Advance the test clock</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose} disabled={pending}>
          <span aria-hidden="true">×</span>
        </button>
      </div>
      <div className="modal-body" aria-busy={pending}>
        <div id={bodyId} className="summary">
          <p>
            <strong>
              The clock moves from {formatUtc(now.toISOString())} to {formatUtc(target.toISOString())}.
            </strong>
          </p>
          <p>
            {ending} ends and closes in every profile of this account: its invoices are finalized, scheduled downgrades apply, canceled
            subscriptions lose access, and allowances start again for the new month.
          </p>
          <p>The clock cannot be moved back.</p>
        </div>
        {pending && (
          <p className="clock-progress" role="status">
            <span className="spinner" aria-hidden="true" /> Closing the month…
          </p>
        )}
        {done && (
          <p className="clock-result" role="status">
            <span className="clock-result-icon" aria-hidden="true">
              ✓
            </span>
            {describeAdvance(done)}
          </p>
        )}
        {advance.isError && (
          <div role="alert" className="alert alert-error">
            {errorMessage(advance.error)}
          </div>
        )}
      </div>
      <div className="modal-footer">
        {done ? (
          <button type="button" className="btn btn-primary" onClick={onClose} autoFocus>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="btn btn-normal" onClick={onClose} disabled={pending}>
              Cancel
            </button>
            <button type="button" className="btn btn-primary" disabled={pending} onClick={() => advance.mutate({ nextMonth: true })}>
              {pending && <span className="spinner spinner-light" aria-hidden="true" />}
              {pending ? "Closing the month…" : "Advance to next month"}
            </button>
          </>
        )}
      </div>
    </dialog>
  );
}

/** "Now Feb 1, 2026, 00:20 UTC · closed 1 month" (a month per profile), with any that could not close. */
function describeAdvance(result: { now: string; closed: number; skipped: number; failed: number }): string {
  const parts = [`Now ${formatUtc(result.now)}`, result.closed > 0 ? `closed ${plural(result.closed, "month")}` : "no month was due to close"];
  if (result.skipped > 0) parts.push(`${plural(result.skipped, "month")} already closing elsewhere`);
  if (result.failed > 0) parts.push(`${plural(result.failed, "month")} failed to close and will be retried`);
  return parts.join(" · ");
}
