/**
 * The load side of bench/console.ts, in a worker thread so that the clients' own work (building
 * requests, parsing answers) never runs on the server's event loop and inflates its timings.
 * Each client is a typed tRPC client with its own signed-in session, one request at a time.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter } from "../src/router";

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
  /** Name fragments to search for. */
  fragments: string[];
  /** Cursors into the middle and end of the list, for deep pages. */
  deepCursors: string[];
}

export type RequestKind = "first" | "search" | "deep";

export type ClientsMessage =
  | { type: "signed-in" }
  | { type: "measuring" }
  | { type: "done"; requests: Record<RequestKind, number>; rows: number; errorCount: number; errors: string[]; clientP95Ms: number };

const config = workerData as ClientsConfig;
const port = parentPort!;
const post = (m: ClientsMessage) => port.postMessage(m);
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

function signedInClient() {
  let cookie: string | undefined;
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${config.url}/trpc`,
        headers: () => (cookie ? { cookie } : {}),
        fetch: async (input, init) => {
          const response = await fetch(input, init as RequestInit | undefined);
          const set = response.headers.getSetCookie().find((c) => c.startsWith("seatdesk_session="));
          if (set) cookie = set.split(";")[0];
          return response;
        },
      }),
    ],
  });
}

type Client = ReturnType<typeof signedInClient>;

const requests: Record<RequestKind, number> = { first: 0, search: 0, deep: 0 };
/** The first few failures, word for word; all of them are counted. */
const errors: string[] = [];
let errorCount = 0;
const clientMs: number[] = [];
let rows = 0;
let recording = false;

/** One client: a mix of first pages, searches and deep pages (following nextCursor from a deep start). */
async function run(client: Client, until: number) {
  let cursor: string | null = null;
  let pagesOnChain = 0;
  while (Date.now() < until) {
    const r = Math.random();
    const kind: RequestKind = r < 0.3 ? "first" : r < 0.3 + config.searchShare ? "search" : "deep";
    if (kind === "deep" && (cursor === null || pagesOnChain >= 20)) {
      cursor = pick(config.deepCursors);
      pagesOnChain = 0;
    }
    const input =
      kind === "first"
        ? { profileId: config.profileId }
        : kind === "search"
          ? { profileId: config.profileId, search: pick(config.fragments) }
          : { profileId: config.profileId, cursor };
    const t0 = performance.now();
    try {
      const page = await client.subscriptions.list.query(input);
      if (recording) {
        clientMs.push(performance.now() - t0);
        requests[kind]++;
        rows += page.rows.length;
      }
      if (kind === "deep") {
        cursor = page.nextCursor;
        pagesOnChain++;
      }
    } catch (e) {
      errorCount++;
      if (errors.length < 10) errors.push(`${kind}: ${(e as Error).message}`);
    }
  }
}

const clients: Client[] = [];
for (let i = 0; i < config.clients; i++) {
  const client = signedInClient();
  await client.session.signIn.mutate({ email: config.email, password: config.password });
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
await Promise.all(clients.map((c) => c.session.signOut.mutate()));
