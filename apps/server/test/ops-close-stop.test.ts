import { describe, expect, it } from "vitest";
import { defaultCatalog } from "@seatdesk/domain";
import { closeDue } from "@seatdesk/scheduler";
import { callerAs, harnessForFile, makeTenant } from "./harness";

/** Issue 14: a stopping server or worker lets the close batches under way commit and starts no other (closeDue's signal). */
const h = harnessForFile();

describe("the month close stops at a batch boundary", () => {
  it("an aborted signal starts no batch; the same close without it closes the month", async () => {
    const t = await makeTenant(h, { users: 2 });
    const due = new Date(Date.UTC(2026, 1, 1, 0, 15));
    const stopped = await closeDue(h.database.db, defaultCatalog, due, { accountId: t.accountId, signal: AbortSignal.abort() });
    expect(stopped).toEqual({ closed: 0, skipped: 0, failed: 0, failures: [] });
    const running = new AbortController();
    const closed = await closeDue(h.database.db, defaultCatalog, due, { accountId: t.accountId, signal: running.signal });
    expect(closed.closed).toBe(1);
  });

  it("aborting during a run lets the batch under way finish and starts no further one", async () => {
    // One account with two profiles (one a region) (created on the 8th of January), closed one profile per batch, one batch at a time.
    const t = await makeTenant(h, { users: 1 });
    const api = callerAs(h, t.admins.owner);
    await api.profiles.create({ region: "eu-central-1", name: "Second" });
    const due = new Date(Date.UTC(2026, 1, 1, 0, 15));
    const stop = new AbortController();
    let reports = 0;
    const summary = await closeDue(h.database.db, defaultCatalog, due, {
      accountId: t.accountId,
      batchSize: 1,
      concurrency: 1,
      // A report after every batch; the first one stops the run.
      progressEveryMs: 0,
      onProgress: () => {
        reports++;
        stop.abort();
      },
      signal: stop.signal,
    });
    expect([reports, summary.closed]).toEqual([1, 1]);
    // What was left is closed by the next run.
    expect((await closeDue(h.database.db, defaultCatalog, due, { accountId: t.accountId })).closed).toBe(1);
  });
});
