import { hashKey, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useTRPC } from "../../app/trpc";
import { isUnauthorized } from "../../lib/errors";

/** Who is signed in; an UNAUTHORIZED error means nobody (the sign-in page is shown). */
export function useMe() {
  const trpc = useTRPC();
  return useQuery(trpc.session.me.queryOptions());
}

export function useSignIn() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.session.signIn.mutationOptions({
      // Nothing cached under an earlier session is shown to this one. Returning the promise keeps
      // the button busy until the console has its account loaded.
      onSuccess: () => {
        const me = hashKey(trpc.session.me.queryKey());
        queryClient.removeQueries({ predicate: (q) => q.queryHash !== me });
        return queryClient.invalidateQueries(trpc.session.me.queryFilter());
      },
    }),
  );
}

export function useSignOut() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.session.signOut.mutationOptions({
      // Even if the session had already ended, the person wanted out: drop what this admin could see.
      onSettled: async () => {
        const me = hashKey(trpc.session.me.queryKey());
        queryClient.removeQueries({ predicate: (q) => q.queryHash !== me });
        await queryClient.resetQueries(trpc.session.me.queryFilter());
      },
    }),
  );
}

/**
 * A session can end while the console is open (expiry, sign-out in another tab). The first request
 * refused as UNAUTHORIZED makes `session.me` ask again, which brings back the sign-in page.
 */
export function useSessionExpiryWatcher() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  useEffect(() => {
    const recheck = (error: unknown) => {
      if (!isUnauthorized(error)) return;
      // Already signed out (a wrong password, say): nothing to find out.
      const me = queryClient.getQueryState(trpc.session.me.queryKey());
      if (me?.status === "error" && isUnauthorized(me.error)) return;
      void queryClient.invalidateQueries(trpc.session.me.queryFilter());
    };
    const meKey = hashKey(trpc.session.me.queryKey());
    const offQueries = queryClient.getQueryCache().subscribe((event) => {
      if (event.type === "updated" && event.action.type === "error" && event.query.queryHash !== meKey) recheck(event.action.error);
    });
    const offMutations = queryClient.getMutationCache().subscribe((event) => {
      if (event.type === "updated" && event.action.type === "error") recheck(event.action.error);
    });
    return () => {
      offQueries();
      offMutations();
    };
  }, [queryClient, trpc]);
}
