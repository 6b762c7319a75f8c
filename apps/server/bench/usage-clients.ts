/**
 * The load side of bench/usage.ts, in a worker thread so that the clients' own work (building bodies,
 * parsing answers) never runs on the server's event loop. Each of the `clients` loops sends one request
 * at a time over a keep-alive connection (node:http Agent), as the tool's backends would, with the
 * profile API key as the bearer. Plain HTTP rather than the typed client: the client's cost is not
 * what is measured, and the wire format is tRPC's own (POST body = input; GET ?input=).
 */
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";

export type PhaseKind = "single" | "batch" | "check" | "noop" | "noop-key";

export interface PhaseConfig {
  url: string;
  key: string;
  kind: PhaseKind;
  /** The path for this phase (e.g. /trpc/usage.record). */
  path: string;
  clients: number;
  warmupMs: number;
  durationMs: number;
  batchSize: number;
  /** Subscribed users' ids, picked at random. */
  userIds: string[];
  /** Credits per event are drawn from 0.01 to this (two decimals). */
  maxCredits: number;
  /** Makes this run's idempotency keys unique. */
  runId: string;
}

export type PhaseMessage =
  | { type: "measuring" }
  | {
      type: "done";
      /** Requests answered 2xx while measuring, and the events they carried (1 for single, batchSize for batch). */
      requests: number;
      events: number;
      /** Client-side latency of every measured request, in ms. */
      latencies: Float64Array;
      /** Every non-2xx answer (or network failure, as status 0), warm-up included. */
      failures: number;
      statuses: Record<string, number>;
      firstErrors: string[];
      /** Events answered 2xx, warm-up included: the database must hold exactly this many bench events. */
      acceptedEvents: number;
      /** Requests answered 2xx in each second of the phase, warm-up included (its first seconds): whether the rate was steady. */
      timeline: number[];
      elapsedMs: number;
    };

const config = workerData as PhaseConfig;
const port = parentPort!;
const target = new URL(config.url);
const agent = new Agent({ keepAlive: true, maxSockets: config.clients, maxFreeSockets: config.clients });
const clients = ["ide", "cli", "jetbrains-plugin"];
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const credits = () => (1 + Math.floor(Math.random() * Math.round(config.maxCredits * 100))) / 100;

function send(method: "GET" | "POST", path: string, body: string | null): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method,
        path,
        agent,
        headers: {
          authorization: `Bearer ${config.key}`,
          ...(body === null ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (e) => resolve({ status: 0, text: String(e) }));
      },
    );
    req.on("error", (e) => resolve({ status: 0, text: String(e) }));
    req.end(body ?? undefined);
  });
}

let sequence = 0;
const event = (client: number) => ({
  userId: pick(config.userIds),
  credits: credits(),
  client: pick(clients),
  occurredAt: new Date().toISOString(),
  idempotencyKey: `bench-${config.runId}-${config.kind}-${client}-${sequence++}`,
});

/** One request of this phase: its method, path and body, and how many events it carries. */
function next(client: number): { method: "GET" | "POST"; path: string; body: string | null; events: number } {
  switch (config.kind) {
    case "single":
      return { method: "POST", path: config.path, body: JSON.stringify(event(client)), events: 1 };
    case "batch":
      return { method: "POST", path: config.path, body: JSON.stringify({ events: Array.from({ length: config.batchSize }, () => event(client)) }), events: config.batchSize };
    case "check":
      return { method: "GET", path: `${config.path}?input=${encodeURIComponent(JSON.stringify({ userId: pick(config.userIds) }))}`, body: null, events: 0 };
    case "noop":
    case "noop-key":
      return { method: "POST", path: config.path, body: JSON.stringify(event(client)), events: 0 };
  }
}

let recording = false;
let requests = 0;
let events = 0;
let acceptedEvents = 0;
let failures = 0;
let latencies = new Float64Array(1 << 16);
let latencyCount = 0;
const statuses: Record<string, number> = {};
const firstErrors: string[] = [];
const timeline: number[] = [];
const phaseStart = performance.now();

function keep(ms: number) {
  if (latencyCount === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[latencyCount++] = ms;
}

async function run(client: number, until: number) {
  while (performance.now() < until) {
    const r = next(client);
    const t0 = performance.now();
    const res = await send(r.method, r.path, r.body);
    const elapsed = performance.now() - t0;
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.status >= 200 && res.status < 300) {
      acceptedEvents += r.events;
      const second = Math.floor((performance.now() - phaseStart) / 1000);
      timeline[second] = (timeline[second] ?? 0) + 1;
      if (recording) {
        requests++;
        events += r.events;
        keep(elapsed);
      }
    } else {
      failures++;
      if (firstErrors.length < 5) firstErrors.push(`HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    }
  }
}

const all = Array.from({ length: config.clients }, (_, i) => i);
await Promise.all(all.map((i) => run(i, performance.now() + config.warmupMs)));
recording = true;
port.postMessage({ type: "measuring" } satisfies PhaseMessage);
const t0 = performance.now();
await Promise.all(all.map((i) => run(i, t0 + config.durationMs)));
const elapsedMs = performance.now() - t0;
recording = false;
agent.destroy();
const measured = latencies.slice(0, latencyCount);
port.postMessage({ type: "done", requests, events, latencies: measured, failures, statuses, firstErrors, acceptedEvents, elapsedMs, timeline: Array.from(timeline, (n) => n ?? 0) } satisfies PhaseMessage, [measured.buffer]);
