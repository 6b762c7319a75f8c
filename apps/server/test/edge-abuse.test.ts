import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendHugeBody } from "./edge/abuse-client";

/**
 * Abuse (issue 14): five 100 MB bodies at once, announced by Content-Length and chunked, to the regular tRPC
 * path without a session, the lean usage path without a key, and SCIM without a token. Each is answered 413
 * and the server's memory barely moves. The server runs in its own process (test/edge/server-child.ts), so
 * its resident set is measured alone, not mixed with the test's clients; it is sampled every 25 ms while
 * the bodies arrive, and the peak is compared with a baseline taken after warm-up requests.
 */

const hundredMb = 100 * 1024 * 1024;
let child: ChildProcess;
let port: number;

const ask = (m: string) =>
  new Promise<number>((resolve) => {
    const on = (msg: { rss?: number }) => {
      if (typeof msg.rss === "number") {
        child.off("message", on);
        resolve(msg.rss);
      }
    };
    child.on("message", on);
    child.send(m);
  });

beforeAll(async () => {
  child = fork(fileURLToPath(new URL("./edge/server-child.ts", import.meta.url)), [], { cwd: fileURLToPath(new URL("..", import.meta.url)), execArgv: ["--import", "tsx", "--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  port = await new Promise<number>((resolve, reject) => {
    child.once("message", (m: { port?: number }) => (m.port ? resolve(m.port) : reject(new Error("no port"))));
    child.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
}, 60_000);
afterAll(async () => {
  if (!child.connected) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.send("exit");
  await exited;
});

const targets = ["/trpc/subscriptions.subscribe", "/trpc/usage.record", "/scim/v2/Users"];

describe("hostile bodies", () => {
  it("five 100 MB bodies per path and framing: every one 413, the server's memory grows under 50 MB", async () => {
    // Warm-up: every path answers once with a small body, so what loads lazily is loaded before the baseline.
    for (const path of targets) expect((await sendHugeBody(port, path, "length", 2)).status).toBeLessThan(500);
    const baseline = await ask("rss-gc");
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await ask("rss"));
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const figures: string[] = [];
    for (const path of targets) {
      for (const mode of ["length", "chunked"] as const) {
        const started = performance.now();
        const answers = await Promise.all(Array.from({ length: 5 }, () => sendHugeBody(port, path, mode, hundredMb)));
        const ms = performance.now() - started;
        for (const a of answers) {
          expect(a.status, `${path} ${mode}`).toBe(413);
          expect(a.closed, `${path} ${mode}: the server closes the connection`).toBe(true);
          expect(a.sentBytes, `${path} ${mode}: the client stopped long before 100 MB`).toBeLessThan(hundredMb / 4);
        }
        figures.push(`${path} ${mode}: 5 × 413 in ${ms.toFixed(0)} ms, at most ${(Math.max(...answers.map((a) => a.sentBytes)) / 1024 / 1024).toFixed(1)} MB sent`);
      }
    }
    sampling = false;
    await sampler;
    const after = await ask("rss-gc");
    peak = Math.max(peak, after);
    const growth = (peak - baseline) / 1024 / 1024;
    console.log(`[edge-abuse] RSS baseline ${(baseline / 1024 / 1024).toFixed(1)} MB, peak +${growth.toFixed(1)} MB, after +${((after - baseline) / 1024 / 1024).toFixed(1)} MB\n  ${figures.join("\n  ")}`);
    expect(growth).toBeLessThan(50);
  }, 60_000);
});
