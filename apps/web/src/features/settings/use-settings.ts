import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../app/trpc";

/**
 * One `settings.update` of its own per control, so each field shows its own pending state, success
 * and server error. The answer is written into the cache at once (no flicker back to the old value);
 * then everything under `settings` (a user's effective limits too) is read again.
 */
export function useSettingsUpdate(profileId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(
    trpc.settings.update.mutationOptions({
      onSuccess: async (answer) => {
        const { changed: _changed, ...settings } = answer;
        queryClient.setQueryData(trpc.settings.get.queryKey({ profileId }), (old) => (old ? { ...old, ...settings } : old));
        await queryClient.invalidateQueries(trpc.settings.pathFilter());
      },
    }),
  );
}

/** A user's override (cap and overage switch); the lists under `settings` are read again after it. */
export function useSetUserOverride() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(trpc.settings.setUserOverride.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.settings.pathFilter()) }));
}

/** A group's cap override. */
export function useSetGroupOverride() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useMutation(trpc.settings.setGroupOverride.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.settings.pathFilter()) }));
}
