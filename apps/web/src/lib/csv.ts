import Papa from "papaparse";
import { useCallback, useRef, useState } from "react";

export type CsvCell = string | number | null | undefined;

/**
 * RFC 4180 text (CRLF line ends, fields quoted when they hold a comma, quote or line break) with a header row.
 * A text cell that starts with = + - @ (or a tab or CR) gets a leading apostrophe, so a spreadsheet shows it
 * instead of running it as a formula: names and audit values come from a directory anyone can write to.
 * Numbers are written as they are (a negative amount stays a number).
 */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return Papa.unparse({ fields: [...header], data: rows.map((r) => [...r]) }, { newline: "\r\n", escapeFormulae: true, header: true });
}

/** Integer cents as decimal dollars with two decimals and no grouping ("1234.50"), exactly: no float division. */
export function centsToDecimal(cents: number): string {
  return hundredthsToDecimal(cents);
}

/** Integer centicredits (hundredths) as credits with two decimals ("812.50"). */
export function centicreditsToDecimal(centicredits: number): string {
  return hundredthsToDecimal(centicredits);
}

function hundredthsToDecimal(value: number): string {
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(Math.trunc(value));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/**
 * Saves text as a file through the browser's download. The byte order mark lets spreadsheet programs read
 * the file as UTF-8 (people's names are not all ASCII).
 */
export function downloadCsv(filename: string, csv: string): void {
  const blob = new Blob(["\uFEFF", csv], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started from the object URL by now; revoke it on the next turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * Every item of a cursor-paged list: asks for page after page until the server gives no next cursor.
 * `onProgress` hears the count so far, so a long export can show how far it has got.
 */
export async function collectAllPages<Page, Item>(
  fetchPage: (cursor: string | null) => Promise<Page>,
  itemsOf: (page: Page) => readonly Item[],
  nextCursorOf: (page: Page) => string | null | undefined,
  onProgress?: (count: number) => void,
): Promise<{ items: Item[]; first: Page }> {
  const items: Item[] = [];
  let cursor: string | null = null;
  let first: Page | undefined;
  const seen = new Set<string>();
  for (;;) {
    const page = await fetchPage(cursor);
    first ??= page;
    items.push(...itemsOf(page));
    onProgress?.(items.length);
    const next = nextCursorOf(page) ?? null;
    if (!next) break;
    // A server that handed the same cursor back would loop forever; stop instead.
    if (seen.has(next)) throw new Error("The list did not advance: the export stopped.");
    seen.add(next);
    cursor = next;
  }
  return { items, first: first as Page };
}

export type CsvExportState =
  | { kind: "idle" }
  | { kind: "running"; count: number }
  | { kind: "done"; message: string }
  | { kind: "failed"; error: unknown };

/**
 * One export button's state: running with a count as pages arrive, then done (with a sentence to show) or
 * failed (with the error, for errorMessage). A second click while running is ignored.
 */
export function useCsvExport(): {
  state: CsvExportState;
  run: (job: (progress: (count: number) => void) => Promise<{ filename: string; csv: string; message: string }>) => Promise<void>;
  reset: () => void;
} {
  const [state, setState] = useState<CsvExportState>({ kind: "idle" });
  const running = useRef(false);
  const run = useCallback(async (job: (progress: (count: number) => void) => Promise<{ filename: string; csv: string; message: string }>) => {
    if (running.current) return;
    running.current = true;
    setState({ kind: "running", count: 0 });
    try {
      const { filename, csv, message } = await job((count) => setState({ kind: "running", count }));
      downloadCsv(filename, csv);
      setState({ kind: "done", message });
    } catch (error) {
      setState({ kind: "failed", error });
    } finally {
      running.current = false;
    }
  }, []);
  const reset = useCallback(() => setState({ kind: "idle" }), []);
  return { state, run, reset };
}
