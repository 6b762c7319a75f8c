import { createServer, connect as tcpConnect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCatalog } from "@seatdesk/domain";
import { connect } from "@seatdesk/db";
import { generateApiKey } from "../src/auth/api-keys";
import { fixedClock } from "../src/clock";
import { createApp } from "../src/http/app";
import { silentLog } from "../src/log";
import {
  createOwnDatabase,
  expectDatabaseUnavailable,
  expectNothingInternal,
  recordOnce,
  seedDatabase,
  sleep,
  spawnServer,
  usageLoad,
  type OwnDatabase,
  type Seeded,
  type Spawned,
} from "./fault-helpers";

/**
 * A TCP proxy in front of PostgreSQL that can fail: `down()` destroys every connection through it and
 * stops listening (new connections are refused), `up()` listens again on the same port.
 */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = tcpConnect(target.port, target.host);
        for (const [a, b] of [
          [client, upstream],
          [upstream, client],
        ] as const) {
          sockets.add(a);
          a.on("error", () => b.destroy());
          a.on("close", () => {
            sockets.delete(a);
            b.destroy();
          });
          a.pipe(b);
        }
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    async down() {
      const s = server;
      server = null;
      const closed = new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    up: listen,
    async stop() {
      const s = server;
      server = null;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

/**
 * A database that accepts connections and never answers (a black hole: a hung server, a dropped route).
 * Needs no PostgreSQL, so it runs in both runs: /readyz gives up after 1 s, a request after the 2 s
 * connect timeout, never hanging.
 */
describe("a database that never answers", () => {
  it("/readyz answers 503 within about 1 s, and usage.record 503 within the connect timeout", { timeout: 20_000 }, async () => {
    const held: Socket[] = [];
    const hole = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => hole.listen(0, "127.0.0.1", resolve));
    const database = await connect({ url: `postgres://seatdesk@127.0.0.1:${(hole.address() as AddressInfo).port}/nowhere`, max: 2 });
    const server = createHttpServer(createApp({ database, clock: fixedClock(new Date()), log: silentLog, catalog: defaultCatalog, regions: [] }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ready = await timed(async () => {
        const res = await fetch(`${base}/readyz`);
        return { status: res.status, body: (await res.json()) as unknown };
      });
      expect(ready.value).toEqual({ status: 503, body: { ok: false, code: "database-unavailable" } });
      expect(ready.ms).toBeGreaterThanOrEqual(950);
      expect(ready.ms).toBeLessThan(1_500);
      const event = { userId: "00000000-0000-4000-8000-000000000000", credits: 1, client: "cli", occurredAt: new Date().toISOString(), idempotencyKey: "k" };
      const recorded = await timed(() => recordOnce(base, generateApiKey().key, event));
      expectDatabaseUnavailable(recorded.value);
      expect(recorded.ms).toBeLessThan(3_000);
      expect(held.length).toBeGreaterThan(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      for (const socket of held) socket.destroy();
      await database.close();
      await new Promise((resolve) => hole.close(resolve));
    }
  });
});

/**
 * Issue 14, "Survive faults": a 10-second database outage (a proxy the test controls drops every
 * connection and refuses new ones). /readyz answers 503 within 1 s, usage requests fail fast (bounded
 * connect and statement timeouts) instead of hanging, and everything works again after the outage.
 */
if (process.env.TEST_DATABASE_URL) {
  describe("a 10-second database outage behind a proxy (PostgreSQL)", () => {
    let own: OwnDatabase;
    let seeded: Seeded;
    let proxy: Awaited<ReturnType<typeof startProxy>>;
    let server: Spawned;

    beforeAll(async () => {
      own = await createOwnDatabase("outage");
      seeded = await seedDatabase({ url: own.url });
      const target = new URL(own.url);
      proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const viaProxy = new URL(own.url);
      viaProxy.hostname = "127.0.0.1";
      viaProxy.port = String(proxy.port);
      server = await spawnServer({ url: viaProxy.toString() });
    });
    afterAll(async () => {
      await server?.stop();
      await proxy?.stop();
      await own?.drop();
    });

    it("/readyz answers 503 within 1 s, requests fail fast, and it all works again after", { timeout: 60_000 }, async () => {
      const load = usageLoad(server.base, seeded, 8);
      await sleep(500);
      await proxy.down();
      const outageStart = performance.now();

      // During the outage: readiness probes, and the usage clients keep sending.
      const probes: { ms: number; status: number; text: string }[] = [];
      while (performance.now() - outageStart < 9_000) {
        const probe = await timed(async () => {
          const res = await fetch(`${server.base}/readyz`);
          return { status: res.status, text: await res.text() };
        });
        probes.push({ ms: probe.ms, ...probe.value });
        await sleep(500);
      }
      const lateEvent = { userId: seeded.userIds[0]!, credits: 0.01, client: "outage", occurredAt: new Date().toISOString(), idempotencyKey: `outage-${Date.now()}` };
      const during = await recordOnce(server.base, seeded.key, lateEvent);
      await proxy.up();
      const outageEnd = performance.now();
      await sleep(3_000);
      await load.stop();

      expect(server.alive(), server.output()).toBe(true);
      expect(probes.length).toBeGreaterThan(5);
      for (const p of probes) {
        expect(p.status).toBe(503);
        expect(JSON.parse(p.text)).toEqual({ ok: false, code: "database-unavailable" });
        expect(p.ms).toBeLessThan(1_200);
      }
      expectDatabaseUnavailable(during);

      const inOutage = load.attempts.filter((a) => a.sentAt >= outageStart + 500 && a.doneAt <= outageEnd);
      expect(inOutage.length).toBeGreaterThan(8);
      for (const a of inOutage) expectDatabaseUnavailable(a);
      const slowest = Math.max(...inOutage.map((a) => a.doneAt - a.sentAt));
      expect(slowest).toBeLessThan(3_000);
      for (const a of load.attempts) if (a.status !== 200) expectNothingInternal(a.text);

      // After: ready again, and requests succeed (within 2 s of the database's return).
      const ready = await fetch(`${server.base}/readyz`);
      expect(ready.status).toBe(200);
      const after = load.attempts.filter((a) => a.sentAt >= outageEnd + 2_000);
      expect(after.length).toBeGreaterThan(8);
      expect(after.filter((a) => a.status !== 200).map((a) => a.text)).toEqual([]);
      const retried = await recordOnce(server.base, seeded.key, lateEvent);
      expect(retried.status, retried.text).toBe(200);
      const firstOk = load.attempts.filter((a) => a.sentAt >= outageEnd && a.status === 200).map((a) => a.doneAt - outageEnd);
      console.info(
        JSON.stringify({
          fault: "outage",
          readyzMaxMs: Math.round(Math.max(...probes.map((p) => p.ms))),
          readyzProbes: probes.length,
          requestsInOutage: inOutage.length,
          failFastMaxMs: Math.round(slowest),
          failFastMedianMs: Math.round(inOutage.map((a) => a.doneAt - a.sentAt).sort((x, y) => x - y)[Math.floor(inOutage.length / 2)]!),
          firstSuccessMsAfterOutage: Math.round(Math.min(...firstOk)),
        }),
      );
    });
  });
}
