import { createTRPCClient, httpBatchLink, TRPCClientError, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "@seatdesk/server/router";

export { TRPCClientError };
export type { AppRouter };

/** The typed API of a Seatdesk server (every router of DESIGN.md §4), signed in as one console admin. */
export type SeatdeskClient = TRPCClient<AppRouter> & {
  /** Ends the session on the server and forgets its cookie; later calls are answered UNAUTHORIZED. */
  signOut(): Promise<void>;
};

export interface ClientOptions {
  /** A fetch to send requests with (a proxy agent, a recorder in tests); the global fetch by default. */
  fetch?: typeof fetch;
}

/**
 * The server refuses batches larger than its maxBatchSize (20); the client splits before that, so a
 * script may fire many calls at once.
 */
const maxItemsPerBatch = 10;

/**
 * Cookies the server set, kept the way a browser would for one site: a later Set-Cookie replaces a
 * value, and an expired one (Max-Age=0 at sign-out) removes it.
 */
class CookieJar {
  readonly #values = new Map<string, string>();

  absorb(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key = "", val = ""] = a.split("=").map((s) => s.trim());
        if (key.toLowerCase() === "max-age") return Number(val) <= 0;
        if (key.toLowerCase() === "expires") return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired || value === "") this.#values.delete(name);
      else this.#values.set(name, value);
    }
  }

  header(): string | undefined {
    if (this.#values.size === 0) return undefined;
    return [...this.#values].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  clear(): void {
    this.#values.clear();
  }
}

/**
 * Signs in to a Seatdesk server as a console admin and returns its typed tRPC client: one import for
 * scripts. The session cookie the server sets is sent with every later call. A failed sign-in rejects
 * with the server's TRPCClientError (for example "E-mail or password is wrong").
 */
export async function createClient(url: string, credentials: { email: string; password: string }, options: ClientOptions = {}): Promise<SeatdeskClient> {
  const baseFetch = options.fetch ?? fetch;
  const jar = new CookieJar();
  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: new URL("/trpc", url),
        maxItems: maxItemsPerBatch,
        headers: () => {
          const cookie = jar.header();
          return cookie ? { cookie } : {};
        },
        fetch: async (input, init) => {
          const response = await baseFetch(input, init as RequestInit | undefined);
          jar.absorb(response.headers.getSetCookie());
          return response;
        },
      }),
    ],
  });

  await trpc.session.signIn.mutate({ email: credentials.email, password: credentials.password });

  const signOut = async () => {
    try {
      await trpc.session.signOut.mutate();
    } finally {
      // Even if the server could not be reached, this client no longer claims the session.
      jar.clear();
    }
  };

  // The tRPC client is a proxy in which every property is a route; signOut is answered before it.
  return new Proxy(trpc, {
    get: (target, property, receiver) => (property === "signOut" ? signOut : Reflect.get(target, property, receiver)),
  }) as SeatdeskClient;
}
