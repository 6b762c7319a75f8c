import type { AppRouter } from "@seatdesk/server/router";
import type { inferRouterClient } from "@trpc/client";

type Api = inferRouterClient<AppRouter>;

/** What subscriptions.user answers, as it arrives (instants as ISO strings). */
export type UserView = Awaited<ReturnType<Api["subscriptions"]["user"]["query"]>>;
export type UserRow = UserView["row"];
export type Usage = NonNullable<UserRow["usage"]>;
export type Charge = NonNullable<UserView["charge"]>;
export type UserNotice = UserView["notices"][number];
/** settings.effectiveLimits: may they run into overage, their cap (credits or "unlimited") and where it is set. */
export type Limits = Awaited<ReturnType<Api["settings"]["effectiveLimits"]["query"]>>;
export type AuditEntry = Awaited<ReturnType<Api["audit"]["list"]["query"]>>["entries"][number];
