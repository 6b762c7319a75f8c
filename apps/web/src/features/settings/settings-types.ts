import type { AppRouter } from "@seatdesk/server/router";
import type { inferRouterClient } from "@trpc/client";

type Api = inferRouterClient<AppRouter>;

/** What the API answers, as it arrives (dates as ISO strings). */
export type Settings = Awaited<ReturnType<Api["settings"]["get"]["query"]>>;
export type UserOverride = Settings["userOverrides"][number];
export type GroupOverride = Settings["groupOverrides"][number];
export type SettingsUpdate = Parameters<Api["settings"]["update"]["mutate"]>[0];
export type ApiKeyRow = Awaited<ReturnType<Api["keys"]["list"]["query"]>>[number];
/** A cap as the API shows it: credits, or "unlimited". */
export type WireCap = number | "unlimited";
