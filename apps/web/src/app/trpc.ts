import type { AppRouter } from "@seatdesk/server/router";
import { QueryClient } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, type inferRouterClient } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { isClientError } from "../lib/errors";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

type Api = inferRouterClient<AppRouter>;
/** What a procedure answers, as it arrives (dates are ISO strings: the API has no transformer). */
export type Me = Awaited<ReturnType<Api["session"]["me"]["query"]>>;
export type UsersTabPage = Awaited<ReturnType<Api["subscriptions"]["list"]["query"]>>;
export type UsersTabRow = UsersTabPage["rows"][number];
export type SubscribeResult = Awaited<ReturnType<Api["subscriptions"]["subscribe"]["mutate"]>>;
/** What subscribing, changing or deactivating would do, per person, with the money (`subscriptions.previewChange`). */
export type PlanPreview = Awaited<ReturnType<Api["subscriptions"]["previewChange"]["query"]>>;

export function makeTrpcClient() {
  // Same origin: the session cookie travels with every request. The server refuses batches over 20.
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/trpc", maxItems: 10 })] });
}

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        // A 4xx will answer the same the second time; only transport and server failures are retried.
        retry: (failureCount, error) => !isClientError(error) && failureCount < 2,
      },
      mutations: { retry: false },
    },
  });
}
