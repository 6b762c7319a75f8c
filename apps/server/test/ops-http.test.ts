import { request, Agent, type IncomingMessage, type RequestListener } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/http/app";
import { createHttpServer, type HttpServer, type HttpTimeouts } from "../src/http/server";
import { jsonLog, silentLog } from "../src/log";
import { openHarness, type Harness } from "./harness";

/** Issue 14: the HTTP server's timeouts, request ids and graceful shutdown (http/server.ts). */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function serve(listener: RequestListener, timeouts: Partial<HttpTimeouts> = {}, log = silentLog): Promise<{ http: HttpServer; port: number }> {
  const http = createHttpServer(listener, { log, timeouts });
  const { port } = await http.listen(0, "127.0.0.1");
  return { http, port };
}

interface Answer {
  status: number;
  body: string;
  headers: IncomingMessage["headers"];
  ms: number;
}
function get(port: number, path: string, options: { headers?: Record<string, string>; agent?: Agent | false } = {}): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: options.headers, agent: options.agent ?? false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, ms: performance.now() - started }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A raw connection that records when it opened, what it received and when the server closed it. */
interface Watched {
  socket: Socket;
  openedAt: number;
  closedAt: number | null;
  received: string;
}
function open(port: number): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const w: Watched = { socket, openedAt: 0, closedAt: null, received: "" };
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => (w.received += c));
    socket.on("close", () => (w.closedAt = performance.now()));
    socket.on("error", () => {});
    socket.once("connect", () => {
      w.openedAt = performance.now();
      resolve(w);
    });
    socket.once("error", reject);
  });
}

describe("abuse: idle sockets and slow-header clients", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(() => h.close());

  it("500 idle sockets and 50 slow-header clients: /healthz stays under 50 ms and the server closes them within its timeouts", async () => {
    const timeouts = { headersMs: 4_000, requestMs: 8_000, keepAliveMs: 1_000, idleSocketMs: 3_000 };
    const { http, port } = await serve(createApp(h.deps), timeouts);
    // Warm-up: the first answers load and compile code; that is not what is measured.
    for (let i = 0; i < 5; i++) expect((await get(port, "/healthz")).status).toBe(200);
    const idle: Watched[] = [];
    for (let i = 0; i < 5; i++) idle.push(...(await Promise.all(Array.from({ length: 100 }, () => open(port)))));
    // Slow headers: a request line, then one byte of a header every second.
    const slow = await Promise.all(Array.from({ length: 50 }, () => open(port)));
    for (const w of slow) w.socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
    const drip = setInterval(() => {
      for (const w of slow) if (w.closedAt === null) w.socket.write("a");
    }, 1_000);

    // 20 probes on fresh connections, spread over about a second, while all 550 sockets are open.
    const probes: Answer[] = [];
    for (let i = 0; i < 20; i++) {
      probes.push(await get(port, "/healthz"));
      await sleep(40);
    }
    const stillOpen = idle.filter((w) => w.closedAt === null).length + slow.filter((w) => w.closedAt === null).length;

    const deadline = performance.now() + timeouts.headersMs + 3_000;
    while ([...idle, ...slow].some((w) => w.closedAt === null) && performance.now() < deadline) await sleep(100);
    clearInterval(drip);

    const idleLifetimes = idle.map((w) => (w.closedAt ?? Infinity) - w.openedAt);
    const slowLifetimes = slow.map((w) => (w.closedAt ?? Infinity) - w.openedAt);
    const pmax = Math.max(...probes.map((p) => p.ms));
    process.stdout.write(
      `abuse: /healthz p-max ${pmax.toFixed(1)} ms (${probes.map((p) => p.ms.toFixed(0)).join(" ")}) over ${probes.length} probes with ${stillOpen} hostile sockets open; ` +
        `idle sockets closed after ${Math.min(...idleLifetimes).toFixed(0)}–${Math.max(...idleLifetimes).toFixed(0)} ms (timeout ${timeouts.idleSocketMs}); ` +
        `slow-header clients after ${Math.min(...slowLifetimes).toFixed(0)}–${Math.max(...slowLifetimes).toFixed(0)} ms (timeout ${timeouts.headersMs})\n`,
    );

    expect(stillOpen).toBe(550);
    expect(probes.every((p) => p.status === 200 && uuid.test(String(p.headers["x-request-id"])))).toBe(true);
    // The hostile clients, the probes and the server share this test's one thread (and CI runs other files
    // beside it): one probe of the 20 may meet a garbage collection; the other 19 stay under 50 ms.
    const sorted = probes.map((p) => p.ms).sort((a, b) => a - b);
    expect(sorted[sorted.length - 2]!).toBeLessThan(50);
    // Closed by the server (this side never closed them), not before the timeout and soon after it.
    expect(Math.min(...idleLifetimes)).toBeGreaterThanOrEqual(timeouts.idleSocketMs - 100);
    expect(Math.max(...idleLifetimes)).toBeLessThan(timeouts.idleSocketMs + 1_500);
    expect(Math.min(...slowLifetimes)).toBeGreaterThanOrEqual(timeouts.headersMs - 100);
    // node:http checks the headers timeout every 400 ms here (a tenth of it); the rest is this busy machine.
    expect(Math.max(...slowLifetimes)).toBeLessThan(timeouts.headersMs + 2_000);
    expect(slow.every((w) => w.received.startsWith("HTTP/1.1 408"))).toBe(true);
    expect(await http.shutdown(1_000)).toBe(true);
  }, 40_000);
});

describe("timeouts", () => {
  it("an answer that takes longer than the idle timeout is not cut; a kept-alive connection is closed after keepAliveMs", async () => {
    const { http, port } = await serve(
      (req, res) => {
        if (req.url === "/slow") setTimeout(() => res.end("done"), 900);
        else res.end("ok");
      },
      { idleSocketMs: 300, keepAliveMs: 1_200 },
    );
    expect(await get(port, "/slow")).toMatchObject({ status: 200, body: "done" });

    // A raw connection (an HTTP agent closes kept-alive sockets on its own schedule).
    const w = await open(port);
    w.socket.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    while (!w.received.endsWith("ok")) await sleep(5);
    const answeredAt = performance.now();
    expect(w.received).toMatch(/^HTTP\/1.1 200 OK\r\n[^]*Connection: keep-alive/);
    const deadline = answeredAt + 4_000;
    while (w.closedAt === null && performance.now() < deadline) await sleep(20);
    const closedAfter = (w.closedAt ?? Infinity) - answeredAt;
    // node:http waits a second longer than it advertises (Keep-Alive: timeout=1), so a client never reuses a closing socket.
    expect(closedAfter).toBeGreaterThanOrEqual(1_100);
    expect(closedAfter).toBeLessThan(3_000);
    await http.shutdown(1_000);
  });

  it("a connection that stops in the middle of its headers is closed after the idle timeout", async () => {
    const { http, port } = await serve((_req, res) => res.end("ok"), { idleSocketMs: 300, headersMs: 5_000 });
    const w = await open(port);
    w.socket.write("GET / HTTP/1.1\r\nHost: loc");
    const deadline = performance.now() + 3_000;
    while (w.closedAt === null && performance.now() < deadline) await sleep(20);
    expect((w.closedAt ?? Infinity) - w.openedAt).toBeLessThan(1_000);
    await http.shutdown(1_000);
  });
});

describe("request ids", () => {
  it("every line logged while serving a request carries its id, which the answer repeats in X-Request-Id", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = jsonLog((line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    const { http, port } = await serve(
      (req, res) => {
        log.info("received", { path: req.url });
        // After awaits and timers too: the scope follows the request's own asynchronous work.
        void sleep(Math.floor(Math.random() * 30)).then(async () => {
          await Promise.resolve();
          log.info("answered", { path: req.url, requestId: "forged" });
          res.end("ok");
        });
      },
      {},
      log,
    );
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => get(port, `/r${i}`)));
    log.info("outside any request");

    const ids = answers.map((a) => String(a.headers["x-request-id"]));
    expect(ids.every((id) => uuid.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(12);
    for (let i = 0; i < 12; i++) {
      const mine = lines.filter((l) => l.path === `/r${i}`);
      expect(mine.map((l) => l.msg)).toEqual(["received", "answered"]);
      expect(mine.map((l) => l.requestId)).toEqual([ids[i], ids[i]]);
    }
    const last = lines.at(-1)!;
    expect(last.msg).toBe("outside any request");
    expect("requestId" in last).toBe(false);
    expect(typeof last.time).toBe("string");
    await http.shutdown(1_000);
  });

  it("keeps an incoming X-Request-Id only when it is a short token of safe characters", async () => {
    const { http, port } = await serve((_req, res) => res.end("ok"));
    const idFor = async (incoming: string) => String((await get(port, "/", { headers: { "x-request-id": incoming } })).headers["x-request-id"]);
    expect(await idFor("edge-4f2a.9:1_b")).toBe("edge-4f2a.9:1_b");
    for (const bad of ["a".repeat(65), "<script>", "id with spaces", '{"level":"error"}', "-starts-with-dash"]) {
      const id = await idFor(bad);
      expect(id).toMatch(uuid);
    }
    await http.shutdown(1_000);
  });

  it("a listener that throws answers 500 and the error is logged with the request id; the server keeps serving", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = jsonLog((line) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    const { http, port } = await serve(
      (req, res) => {
        if (req.url === "/boom") throw new Error("listener bug");
        res.end("ok");
      },
      {},
      log,
    );
    const boom = await get(port, "/boom");
    expect(boom.status).toBe(500);
    expect(boom.body).toBe('{"error":{"message":"Internal error"}}');
    expect(lines).toEqual([expect.objectContaining({ level: "error", msg: "request failed", path: "/boom", requestId: boom.headers["x-request-id"] })]);
    expect(await get(port, "/")).toMatchObject({ status: 200, body: "ok" });
    await http.shutdown(1_000);
  });
});

describe("graceful shutdown", () => {
  it("stops accepting, finishes the request under way, closes idle kept-alive connections at once", async () => {
    const { http, port } = await serve((req, res) => {
      if (req.url === "/slow") setTimeout(() => res.end("done"), 500);
      else res.end("ok");
    });
    // A kept-alive connection, idle after its answer.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const keptAlive = await new Promise<Socket>((resolve) => {
      request({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
        res.resume();
        const socket = res.socket as Socket;
        res.on("end", () => resolve(socket));
      }).end();
    });
    let keptAliveClosedAt: number | null = null;
    keptAlive.once("close", () => (keptAliveClosedAt = performance.now()));

    const slow = get(port, "/slow");
    await sleep(100);
    expect(http.inFlight()).toBe(1);
    const started = performance.now();
    const stopped = http.shutdown(5_000);
    const refused = await get(port, "/").then(
      () => "answered",
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(refused).toBe("ECONNREFUSED");
    expect(await slow).toMatchObject({ status: 200, body: "done" });
    expect(await stopped).toBe(true);
    const took = performance.now() - started;
    expect(took).toBeLessThan(1_500);
    expect(keptAliveClosedAt).not.toBeNull();
    expect(keptAliveClosedAt! - started).toBeLessThan(300);
    agent.destroy();
  });

  it("gives up after the grace period: the stuck connection is closed and shutdown reports it", async () => {
    const { http, port } = await serve(() => {
      /* never answers */
    });
    const stuck = get(port, "/stuck").then(
      () => "answered",
      (e: NodeJS.ErrnoException) => e.code,
    );
    await sleep(50);
    const started = performance.now();
    expect(await http.shutdown(300)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await stuck).toBe("ECONNRESET");
  });
});

