/**
 * The load side of bench/usage.ts, in a worker thread so that the clients' own work (building bodies,
 * parsing answers) never runs on the server's event loop. Each of the `clients` loops sends one request
 * at a time over a keep-alive connection (node:http Agent), as the tool's backends would, with the
 * profile API key as the bearer. Plain HTTP rather than the typed client: the client's cost is not
 * what is measured, and the wire format is tRPC's own (POST body = input; GET ?input=).
 *
 * With two targets (the bare server and usage.record), the same clients alternate between them in slices
 * (A B B A A B B A …, or B A A B … for the round back), so that both are measured under the same
 * conditions: on this shared machine the CPU time one request takes moved by up to 80% from one minute to
 * the next (see bench/usage.ts, `sliceMs`), which a ratio of two phases run a minute apart takes whole.
 * Each slice begins with `switchMs` unmeasured (the requests of the last slice finish), and the parent is
 * told when each measured part starts and ends (`record`, `pause`), to read the CPU the slice took.
 */
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";

export type PhaseKind = "single" | "batch" | "check" | "noop" | "noop-key";

export interface PhaseTarget {
  url: string;
  /** The path for this target (e.g. /trpc/usage.record). */
  path: string;
  /** Makes this target's idempotency keys unique. */
  runId: string;
}

export interface PhaseConfig {
  key: string;
  kind: PhaseKind;
  /** One target, or two measured in alternating slices. */
  targets: readonly PhaseTarget[];
  /** With two targets: the first slice's target (0 or 1). */
  first: number;
  clients: number;
  warmupMs: number;
  /** Measured time per target. */
  durationMs: number;
  /** With two targets: the measured part of one slice, and the unmeasured switch before it. */
  sliceMs: number;
  switchMs: number;
  batchSize: number;
  /** Subscribed users' ids, picked at random. */
  userIds: string[];
  /** Credits per event are drawn from 0.01 to this (two decimals). */
  maxCredits: number;
}

export interface TargetTally {
  /** Requests answered 2xx that were sent while measuring, and the events they carried (1 for single, batchSize for batch). */
  requests: number;
  events: number;
  /** Client-side latency of every measured request, in ms. */
  latencies: Float64Array;
  /** Events answered 2xx, warm-up included: the database must hold exactly this many bench events. */
  acceptedEvents: number;
  /** The time this target was measured, ms. */
  measuredMs: number;
}

export type PhaseMessage =
  /** The warm-up is over: the parent answers "measure" when it is ready to (the clients go on meanwhile, unmeasured). */
  | { type: "warmed" }
  | { type: "record"; target: number }
  | { type: "pause" }
  | {
      type: "done";
      targets: TargetTally[];
      /** Every non-2xx answer (or network failure, as status 0), warm-up included. */
      failures: number;
      statuses: Record<string, number>;
      firstErrors: string[];
      /** Requests answered 2xx in each second of the phase, warm-up included (its first seconds): whether the rate was steady. */
      timeline: number[];
      /** Each measured slice in order: its target and the requests per second it measured. */
      slices: { target: number; perSecond: number }[];
    };

const config = workerData as PhaseConfig;
const port = parentPort!;
const clients = ["ide", "cli", "jetbrains-plugin"];
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const credits = () => (1 + Math.floor(Math.random() * Math.round(config.maxCredits * 100))) / 100;

class Target {
  readonly host: string;
  readonly port: string;
  readonly agent = new Agent({ keepAlive: true, maxSockets: config.clients, maxFreeSockets: config.clients });
  requests = 0;
  events = 0;
  acceptedEvents = 0;
  measuredMs = 0;
  latencies = new Float64Array(1 << 16);
  latencyCount = 0;
  constructor(readonly spec: PhaseTarget) {
    const u = new URL(spec.url);
    this.host = u.hostname;
    this.port = u.port;
  }
  keep(ms: number) {
    if (this.latencyCount === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.latencyCount++] = ms;
  }
}
const targets = config.targets.map((t) => new Target(t));

function send(target: Target, method: "GET" | "POST", path: string, body: string | null): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        method,
        path,
        agent: target.agent,
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
const event = (target: Target, client: number) => ({
  userId: pick(config.userIds),
  credits: credits(),
  client: pick(clients),
  occurredAt: new Date().toISOString(),
  idempotencyKey: `bench-${target.spec.runId}-${config.kind}-${client}-${sequence++}`,
});

/** One request of this phase: its method, path and body, and how many events it carries. */
function next(target: Target, client: number): { method: "GET" | "POST"; path: string; body: string | null; events: number } {
  const path = target.spec.path;
  switch (config.kind) {
    case "single":
      return { method: "POST", path, body: JSON.stringify(event(target, client)), events: 1 };
    case "batch":
      return { method: "POST", path, body: JSON.stringify({ events: Array.from({ length: config.batchSize }, () => event(target, client)) }), events: config.batchSize };
    case "check":
      return { method: "GET", path: `${path}?input=${encodeURIComponent(JSON.stringify({ userId: pick(config.userIds) }))}`, body: null, events: 0 };
    case "noop":
    case "noop-key":
      return { method: "POST", path, body: JSON.stringify(event(target, client)), events: 0 };
  }
}

/** The target the clients send to now, and whether what they send now is measured. */
let current = targets[0]!;
let recording = false;
let finished = false;
let failures = 0;
const statuses: Record<string, number> = {};
const firstErrors: string[] = [];
const timeline: number[] = [];
const phaseStart = performance.now();
const slicesMeasured: { target: number; perSecond: number }[] = [];

async function run(client: number) {
  while (!finished) {
    const target = current;
    const measured = recording;
    const r = next(target, client);
    const t0 = performance.now();
    const res = await send(target, r.method, r.path, r.body);
    const elapsed = performance.now() - t0;
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.status >= 200 && res.status < 300) {
      target.acceptedEvents += r.events;
      const second = Math.floor((performance.now() - phaseStart) / 1000);
      timeline[second] = (timeline[second] ?? 0) + 1;
      if (measured) {
        target.requests++;
        target.events += r.events;
        target.keep(elapsed);
      }
    } else {
      failures++;
      if (firstErrors.length < 5) firstErrors.push(`HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Slice i's target: A B B A, repeated (the first slice's target is `config.first`). */
const targetOf = (i: number) => (targets.length === 1 ? 0 : ([0, 1, 1, 0][i % 4]! + config.first) % 2);

async function schedule() {
  const two = targets.length > 1;
  // Warm-up, unmeasured: with two targets, in slices too, so that both are warm (connections, compiled code).
  for (let i = 0, until = performance.now() + config.warmupMs; performance.now() < until; i++) {
    current = targets[targetOf(i)]!;
    await sleep(two ? Math.min(config.sliceMs, until - performance.now()) : until - performance.now());
  }
  port.postMessage({ type: "warmed" } satisfies PhaseMessage);
  await new Promise((resolve) => port.once("message", resolve));
  const slices = two ? 2 * Math.max(1, Math.round(config.durationMs / config.sliceMs)) : 1;
  const sliceMs = two ? config.durationMs / (slices / 2) : config.durationMs;
  for (let i = 0; i < slices; i++) {
    const index = targetOf(i);
    current = targets[index]!;
    if (two) await sleep(config.switchMs);
    recording = true;
    port.postMessage({ type: "record", target: index } satisfies PhaseMessage);
    const t0 = performance.now();
    const before = current.requests;
    await sleep(sliceMs);
    recording = false;
    const took = performance.now() - t0;
    current.measuredMs += took;
    // The requests sent in this slice (those still out are counted when they come back: a close approximation).
    slicesMeasured.push({ target: index, perSecond: ((current.requests - before) * 1000) / took });
    port.postMessage({ type: "pause" } satisfies PhaseMessage);
  }
  finished = true;
}

await Promise.all([schedule(), ...Array.from({ length: config.clients }, (_, i) => run(i))]);
for (const t of targets) t.agent.destroy();
const tallies: TargetTally[] = targets.map((t) => ({
  requests: t.requests,
  events: t.events,
  latencies: t.latencies.slice(0, t.latencyCount),
  acceptedEvents: t.acceptedEvents,
  measuredMs: t.measuredMs,
}));
port.postMessage(
  { type: "done", targets: tallies, failures, statuses, firstErrors, timeline: Array.from(timeline, (n) => n ?? 0), slices: slicesMeasured } satisfies PhaseMessage,
  tallies.map((t) => t.latencies.buffer as ArrayBuffer),
);
