/**
 * A Seatdesk server in its own process, for tests that measure the server alone (its memory under hostile
 * bodies): the parent forks it, reads `{ port }` from the first message, asks `"rss"` for
 * process.memoryUsage().rss (`"rss-gc"`: after a garbage collection, with --expose-gc) and sends `"exit"` to stop it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { defaultCatalog } from "@seatdesk/domain";
import { openTestDatabase } from "@seatdesk/db/testing";
import { fixedClock } from "../../src/clock";
import { createApp } from "../../src/http/app";
import { silentLog } from "../../src/log";
import { defaultRegions } from "../../src/regions";

const database = await openTestDatabase({ max: 2 });
const server = createServer(createApp({ database, clock: fixedClock(new Date(Date.UTC(2026, 0, 8, 12))), log: silentLog, catalog: defaultCatalog, regions: defaultRegions }));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const gc = (globalThis as { gc?: () => void }).gc;
process.on("message", (m) => {
  if (m === "rss" || m === "rss-gc") {
    if (m === "rss-gc") gc?.();
    process.send?.({ rss: process.memoryUsage().rss });
  } else if (m === "exit") {
    server.closeAllConnections();
    server.close();
    void database.close().finally(() => process.exit(0));
  }
});
process.send?.({ port: (server.address() as AddressInfo).port });
