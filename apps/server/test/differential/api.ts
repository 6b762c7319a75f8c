import { Agent, request } from "node:http";

/**
 * The HTTP API as its clients call it: the console (tRPC with the session cookie; reads batched into one
 * GET), the tool's clients (a profile API key as the bearer) and the identity provider (SCIM 2.0 with its
 * token). Answers come back as data or as the error a client sees, nothing in between.
 */

export interface ApiError {
  message: string;
  /** tRPC's code name (`PRECONDITION_FAILED`, ...). */
  code: string;
  httpStatus: number;
  /** The machine-readable refusal code of edge case 16 (`not-subscribed`, ...), once the server sends one. */
  domainCode?: string;
}

export type Answer<T = unknown> = { ok: true; data: T } | { ok: false; error: ApiError };

interface WireError {
  message: string;
  data?: { code?: string; httpStatus?: number; domainCode?: string };
}

function answerOf(body: { result?: { data?: unknown }; error?: WireError }, status: number): Answer {
  if (body.error) {
    const e = body.error;
    return {
      ok: false,
      error: { message: e.message, code: e.data?.code ?? "UNKNOWN", httpStatus: e.data?.httpStatus ?? status, ...(e.data?.domainCode ? { domainCode: e.data.domainCode } : {}) },
    };
  }
  return { ok: true, data: body.result?.data };
}

export interface ScimAnswer {
  status: number;
  body: unknown;
}

export class Api {
  /** HTTP requests sent and the time they took, by path, for the speed report. */
  requests = 0;
  readonly timings = new Map<string, { n: number; ms: number }>();

  constructor(readonly base: string) {}

  /**
   * One connection kept open per concurrent request (node:http: less work per request than fetch). An idle
   * one is closed after 2 s, before the server's keep-alive timeout (5 s) closes it: otherwise a request
   * sent on it just as the server closes it meets ECONNRESET (a step of the month close on PGlite can keep
   * the connections idle that long).
   */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8, timeout: 2_000 });

  private async send(path: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: unknown }> {
    this.requests++;
    const started = performance.now();
    const method = init.method ?? "GET";
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${this.base}${path}`, { method, headers: init.headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(init.body);
    });
    const name = `${method} ${path.replace(/\?.*$/, "").replace(/[0-9a-f-]{36}/g, ":id")}`;
    const t = this.timings.get(name) ?? { n: 0, ms: 0 };
    this.timings.set(name, { n: t.n + 1, ms: t.ms + performance.now() - started });
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`${method} ${path} answered ${status} with a body that is not JSON: ${text.slice(0, 300)}`);
      }
    }
    if (status >= 500) throw new Error(`${method} ${path} answered ${status}: ${text.slice(0, 500)}`);
    return { status, body };
  }

  close(): void {
    this.agent.destroy();
  }

  /** Console queries in one batched GET (tRPC's httpBatchLink wire format), answers in the same order. */
  async queries(cookie: string, calls: { path: string; input: unknown }[]): Promise<Answer[]> {
    const input = Object.fromEntries(calls.map((c, i) => [String(i), c.input]));
    const { status, body } = await this.send(`/trpc/${calls.map((c) => c.path).join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`, {
      headers: { cookie },
    });
    if (!Array.isArray(body)) throw new Error(`a batch of ${calls.map((c) => c.path).join(",")} answered ${status} without a list: ${JSON.stringify(body).slice(0, 300)}`);
    return body.map((b: { result?: { data?: unknown }; error?: WireError }) => answerOf(b, status));
  }

  /** One console mutation (POST, JSON). */
  async mutation(cookie: string, path: string, input: unknown): Promise<Answer> {
    const { status, body } = await this.send(`/trpc/${path}`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify(input) });
    return answerOf(body as { result?: { data?: unknown }; error?: WireError }, status);
  }

  /** A usage call as the tool's clients make it: a GET for check, a POST for the rest, the profile key as the bearer. */
  async usage(key: string, path: "usage.check" | "usage.activate" | "usage.record" | "usage.recordBatch", input: unknown): Promise<Answer> {
    const auth = { authorization: `Bearer ${key}` };
    const { status, body } =
      path === "usage.check"
        ? await this.send(`/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: auth })
        : await this.send(`/trpc/${path}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(input) });
    return answerOf(body as { result?: { data?: unknown }; error?: WireError }, status);
  }

  /** One SCIM request as an identity provider sends it. */
  async scim(token: string, method: string, path: string, body?: unknown): Promise<ScimAnswer> {
    return this.send(`/scim/v2${path}`, {
      method,
      headers: { accept: "application/scim+json", authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/scim+json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
}

export const scimSchemas = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  patchOp: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
} as const;
