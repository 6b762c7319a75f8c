import { TRPCClientError } from "@trpc/client";
import { errorMessage } from "../../lib/errors";
import { plural } from "../../lib/format";
import { useCsvExport } from "../../lib/csv";

interface Props {
  /** The button's words ("Download CSV"); its accessible name adds what it downloads. */
  label?: string;
  /** What the file holds, for the accessible name: "Download CSV of this month's estimate". */
  what: string;
  /** Counted in the progress line: "line", "entry". */
  unit: [string, string];
  disabled?: boolean;
  job: (progress: (count: number) => void) => Promise<{ filename: string; csv: string; message: string }>;
}

/**
 * A CSV download that fetches every page first: shows how far it has got, then says what was saved, or the
 * server's message if a page failed. Reading is allowed to viewers too, so it is never hidden.
 */
export function ExportCsvButton({ label = "Download CSV", what, unit, disabled, job }: Props) {
  const { state, run } = useCsvExport();
  const running = state.kind === "running";
  return (
    <div className="csv-export">
      <button
        type="button"
        className="btn btn-normal"
        aria-label={running ? `Preparing CSV of ${what}` : `${label} of ${what}`}
        disabled={disabled || running}
        aria-busy={running}
        onClick={() => void run(job)}
      >
        {running ? (
          <>
            <span className="spinner" aria-hidden="true" /> Preparing CSV…
          </>
        ) : (
          <>
            <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
              <path d="M8 2v8M4.5 6.5 8 10l3.5-3.5M3 13h10" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
            </svg>
            {label}
          </>
        )}
      </button>
      <span role="status" className="csv-export-status">
        {state.kind === "running" && state.count > 0 && <span className="muted">{plural(state.count, unit[0], unit[1])} so far…</span>}
        {state.kind === "done" && <span className="csv-done">✓ {state.message}</span>}
      </span>
      {state.kind === "failed" && (
        <span role="alert" className="csv-error">
          Could not download: {failureMessage(state.error)}
        </span>
      )}
    </div>
  );
}

/** The server's message for a failed page; for a failure in the browser itself (no server answer), its own words. */
function failureMessage(error: unknown): string {
  if (error instanceof TRPCClientError || !(error instanceof Error)) return errorMessage(error);
  return error.message;
}
