import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startServer, webDir, type RunningServer } from "./server";

/** Debian's Chromium (nothing is downloaded), headless. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];
export const shotsDir = join(webDir, "test-output");
/** expect.poll gives up after 1 s by default; a request on a busy machine can take longer. */
export const patiently = { timeout: 10_000, interval: 100 };

export interface Console {
  server: RunningServer;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page, for a test to assert there were none. */
  pageErrors: string[];
  /** Saves a screenshot under apps/web/test-output. */
  shot: (name: string) => Promise<unknown>;
  /** Signs in through the form as the demo owner (or the given credentials) and waits for the console. */
  signIn: (credentials?: { email: string; password: string }) => Promise<void>;
  close: () => Promise<void>;
}

/**
 * A fresh server on embedded PGlite with the seeded demo, and a fresh Chromium profile on it
 * (1280 × 800). For a test file's beforeAll; close() in afterAll.
 */
export async function openConsole(viewport = { width: 1280, height: 800 }, serverEnv: Record<string, string> = {}): Promise<Console> {
  mkdirSync(shotsDir, { recursive: true });
  const server = await startServer(180_000, serverEnv);
  const profileDir = mkdtempSync(join(tmpdir(), "seatdesk-chromium-"));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport,
    baseURL: server.url,
    locale: "en-US",
    timezoneId: "America/Los_Angeles",
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  return {
    server,
    context,
    page,
    pageErrors,
    shot: (name) => page.screenshot({ path: join(shotsDir, name), fullPage: true }),
    signIn: async (credentials = server.credentials) => {
      await page.goto("/");
      await page.getByRole("textbox", { name: "E-mail" }).fill(credentials.email);
      await page.getByLabel("Password").fill(credentials.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("navigation", { name: "Console" }).waitFor();
    },
    close: async () => {
      await context.close();
      await server.stop();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
