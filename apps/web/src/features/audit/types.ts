import type { AppRouter } from "@seatdesk/server/router";
import type { inferRouterClient } from "@trpc/client";

type Api = inferRouterClient<AppRouter>;

/** audit.list's answer and input, as they travel (instants as ISO strings). */
export type AuditPage = Awaited<ReturnType<Api["audit"]["list"]["query"]>>;
export type AuditEntry = AuditPage["entries"][number];
export type AuditFilterInput = Omit<Parameters<Api["audit"]["list"]["query"]>[0], "cursor" | "limit">;
