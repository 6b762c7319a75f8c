import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import type { CellState } from "./cell";
import { freePort } from "../ports";

const root = fileURLToPath(new URL("../../../..", import.meta.url));
const run = promisify(execFile);


declare module "vitest" {
  export interface ProvidedContext {
    cell: CellState;
  }
}

/**
 * Brings a cell up through the same script as `pnpm cell:up` (ops/cell.sh) on CELL_DATABASE_URL (else
 * TEST_DATABASE_URL; created and migrated when missing), in a state folder of its own, and brings it down
 * after the suite. CELL_DIR names the state folder (default: a new temporary one). CELL_PORT fixes HAProxy's port (the servers take the next ones); otherwise free ports.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.CELL_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("The cell suite runs on PostgreSQL: set CELL_DATABASE_URL (or TEST_DATABASE_URL)");
  // CELL_DIR: the state folder (CI names it, to run cell:down itself if this run is cut short); else a new one.
  const dir = process.env.CELL_DIR ?? mkdtempSync(join(tmpdir(), "seatdesk-cell-"));
  const ports = process.env.CELL_PORT ? {} : { CELL_PORT: String(await freePort()), CELL_SERVER_PORTS: `${await freePort()},${await freePort()}` };
  const env = { ...process.env, ...ports, DATABASE_URL: url, CELL_DIR: dir, CELL_SERVERS: "2", CELL_WORKERS: "2", CELL_CLOSE_EVERY_S: "1", CELL_QUIET: "1" };
  const down = async () => {
    await run("bash", [join(root, "ops/cell.sh"), "down"], { env }).catch((e: unknown) => console.error(String(e)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await run("bash", [join(root, "ops/cell.sh"), "up"], { env, timeout: 180_000 });
  } catch (e) {
    await down();
    throw e;
  }
  project.provide("cell", JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as CellState);
  return down;
}
