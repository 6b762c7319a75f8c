/**
 * The cell suite's pieces: the cell the global setup started (ops/cell.sh's state.json), a harness on its
 * database for seeding through the product's own code, HTTP calls to HAProxy or to one server, and
 * HAProxy's count of requests per server.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createConnection } from "node:net";
import { inject } from "vitest";
import { defaultCatalog } from "@seatdesk/domain";
import { connect } from "@seatdesk/db";
import { fixedClock } from "../../src/clock";
import { silentLog } from "../../src/log";
import { defaultRegions } from "../../src/regions";
import type { Harness } from "../harness";

export interface CellState {
  /** HAProxy. */
  url: string;
  databaseUrl: string;
  servers: { url: string; pid: number }[];
  workers: { pid: number }[];
  haproxy: { pid: number; socket: string };
}

export const cell = (): CellState => inject("cell");

/** A harness on the cell's database, its clock at the real time (the cell's servers run on it). */
export async function cellHarness(url = cell().databaseUrl): Promise<Harness> {
  const database = await connect({ url, max: 4 });
  const clock = fixedClock(new Date());
  return { database, clock, deps: { database, clock, log: silentLog, catalog: defaultCatalog, regions: defaultRegions }, close: () => database.close() };
}

export interface Answer<T> {
  status: number;
  data: T | undefined;
  message: string | undefined;
  code: string | undefined;
  headers: Headers;
}

/** One tRPC call over HTTP: a mutation (POST) or, with `query`, a GET; a bearer key or a session cookie. */
export async function call<T>(base: string, path: string, input: unknown, auth: { key?: string; cookie?: string } = {}, query = false): Promise<Answer<T>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth.key) headers.authorization = `Bearer ${auth.key}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  const res = query
    ? await fetch(`${base}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
    : await fetch(`${base}/trpc/${path}`, { method: "POST", headers, body: JSON.stringify(input) });
  const json = (await res.json()) as { result?: { data: T }; error?: { message: string; data?: { code?: string } } };
  return { status: res.status, data: json.result?.data, message: json.error?.message, code: json.error?.data?.code, headers: res.headers };
}

/** A command on HAProxy's stats socket (level admin: the tests take a server out and back), and its answer. */
export function haproxy(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(cell().haproxy.socket);
    let text = "";
    socket.on("data", (d) => (text += d.toString()));
    socket.on("error", reject);
    socket.on("end", () => resolve(text));
    socket.write(`${command}\n`);
  });
}

/**
 * HAProxy's count of requests each server answered so far in one backend (`show stat`): `servers` (the
 * console, SCIM, health; round robin) or `usage` (/trpc/usage.*, hashed by the API key).
 */
export async function requestsPerServer(backend: "servers" | "usage" = "servers"): Promise<Map<string, number>> {
  const text = await haproxy("show stat");
  const [header, ...rows] = text.trim().split("\n");
  const columns = header!.replace(/^# /, "").split(",");
  const [px, sv, stot] = ["pxname", "svname", "stot"].map((c) => columns.indexOf(c));
  const counts = new Map<string, number>();
  for (const row of rows.map((r) => r.split(","))) {
    if (row[px!] === backend && row[sv!]!.startsWith("server-")) counts.set(row[sv!]!, Number(row[stot!]));
  }
  return counts;
}

/** What each server took between two counts. */
export const taken = (before: Map<string, number>, after: Map<string, number>) => [...after].map(([name, n]) => n - (before.get(name) ?? 0));

/**
 * The local ports of a process's TCP connections (from /proc: its socket inodes, matched in
 * /proc/net/tcp), to find its sessions in pg_stat_activity (client_port).
 */
export function tcpPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSafe(`/proc/${pid}/fd`)) {
    const target = readlinkSafe(`/proc/${pid}/fd/${fd}`);
    const m = /^socket:\[(\d+)\]$/.exec(target ?? "");
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue; // no IPv6 table on this machine: nothing to match there
    }
    for (const line of text.trim().split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (inodes.has(fields[9]!)) ports.push(parseInt(fields[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return []; // the process has exited
  }
}
function readlinkSafe(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null; // the descriptor was closed meanwhile
  }
}
