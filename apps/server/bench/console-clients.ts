/**
 * The load side of bench/console.ts, in a worker thread so that the clients' own work (building
 * requests, parsing answers) never runs on the server's event loop and inflates its timings.
 * Each client has its own connection and signed-in session, one request at a time.
 */
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../src/router";
import { consoleViews, viewChainPages } from "./console-views";

export interface ClientsConfig {
  url: string;
  email: string;
  password: string;
  profileId: string;
  clients: number;
  warmupMs: number;
  durationMs: number;
  /** The share of requests that are searches (the rest: 30% first pages, then deep pages). */
  searchShare: number;
  /** The share of requests that are pages of a filtered or sorted view (console-views.ts). */
  viewShare: number;
  /** Name fragments to search for. */
  fragments: string[];
  /** Cursors into the middle and end of the list, for deep pages. */
  deepCursors: string[];
}

export type RequestKind = "first" | "search" | "deep" | "view";

export type ClientsMessage =
  | { type: "signed-in" }
  | { type: "measuring" }
  | { type: "done"; requests: Record<RequestKind, number>; rows: number; errorCount: number; errors: string[]; clientP95Ms: number };

const config = workerData as ClientsConfig;
const port = parentPort!;
const post = (m: ClientsMessage) => port.postMessage(m);
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

type Page = inferRouterOutputs<AppRouter>["subscriptions"]["list"];
type PageInput = inferRouterInputs<AppRouter>["subscriptions"]["list"];

/**
 * One client: its own keep-alive connection and session cookie, speaking tRPC's HTTP form directly
 * (GET with `input` for queries, a JSON POST for mutations). Plain node:http rather than the tRPC
 * client on fetch: on a 2-core machine the load generator shares the CPU with the server it measures,
 * and a CPU profile showed the fetch-based clients (Request, AbortSignal, web streams) using about 45%
 * of one core at 360 requests a second.
 */
class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private cookie: string | undefined;

  private call(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { origin: config.url };
    if (this.cookie) headers.cookie = this.cookie;
    if (payload !== undefined) headers["content-type"] = "application/json";
    return new Promise((resolve, reject) => {
      const req = request(`${config.url}/trpc/${path}`, { method, agent: this.agent, headers }, (res) => {
        const set = res.headers["set-cookie"]?.find((c) => c.startsWith("seatdesk_session="));
        if (set) this.cookie = set.split(";")[0];
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          resolve((JSON.parse(text) as { result: { data: unknown } }).result.data);
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(payload);
    });
  }

  query<T>(path: string, input: unknown): Promise<T> {
    return this.call("GET", `${path}?input=${encodeURIComponent(JSON.stringify(input))}`) as Promise<T>;
  }

  mutate(path: string, input?: unknown): Promise<unknown> {
    return this.call("POST", path, input ?? {});
  }

  close() {
    this.agent.destroy();
  }
}

const requests: Record<RequestKind, number> = { first: 0, search: 0, deep: 0, view: 0 };
/** The first few failures, word for word; all of them are counted. */
const errors: string[] = [];
let errorCount = 0;
const clientMs: number[] = [];
let rows = 0;
let recording = false;

/**
 * One client: a mix of first pages, searches, views (a filter or sort, following nextCursor for a few pages)
 * and deep pages (following nextCursor from a deep start).
 */
async function run(client: Client, until: number) {
  let cursor: string | null = null;
  let pagesOnChain = 0;
  let view: { input: (typeof consoleViews)[number]; cursor: string | null; pages: number } | null = null;
  while (Date.now() < until) {
    const r = Math.random();
    const kind: RequestKind = r < 0.3 ? "first" : r < 0.3 + config.searchShare ? "search" : r < 0.3 + config.searchShare + config.viewShare ? "view" : "deep";
    if (kind === "view" && (view === null || view.cursor === null || view.pages >= viewChainPages)) view = { input: pick(consoleViews), cursor: null, pages: 0 };
    if (kind === "deep" && (cursor === null || pagesOnChain >= 20)) {
      cursor = pick(config.deepCursors);
      pagesOnChain = 0;
    }
    const input: PageInput =
      kind === "first"
        ? { profileId: config.profileId }
        : kind === "search"
          ? { profileId: config.profileId, search: pick(config.fragments) }
          : kind === "view"
            ? { profileId: config.profileId, ...view!.input, cursor: view!.cursor }
            : { profileId: config.profileId, cursor };
    const t0 = performance.now();
    try {
      const page: Page = await client.query<Page>("subscriptions.list", input);
      if (recording) {
        clientMs.push(performance.now() - t0);
        requests[kind]++;
        rows += page.rows.length;
      }
      if (kind === "deep") {
        cursor = page.nextCursor;
        pagesOnChain++;
      }
      if (kind === "view") {
        view!.cursor = page.nextCursor;
        view!.pages++;
      }
    } catch (e) {
      errorCount++;
      if (errors.length < 10) errors.push(`${kind}: ${(e as Error).message}`);
    }
  }
}

const clients: Client[] = [];
for (let i = 0; i < config.clients; i++) {
  const client = new Client();
  await client.mutate("session.signIn", { email: config.email, password: config.password });
  clients.push(client);
}
post({ type: "signed-in" });

await Promise.all(clients.map((c) => run(c, Date.now() + config.warmupMs)));
recording = true;
post({ type: "measuring" });
await Promise.all(clients.map((c) => run(c, Date.now() + config.durationMs)));
recording = false;

clientMs.sort((a, b) => a - b);
post({ type: "done", requests, rows, errorCount, errors, clientP95Ms: clientMs[Math.max(0, Math.ceil(0.95 * clientMs.length) - 1)] ?? 0 });
await Promise.all(clients.map((c) => c.mutate("session.signOut")));
for (const c of clients) c.close();
