import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";

/** The account's console admins; every role may read the list, only owners change it. */
export function useAdmins() {
  const trpc = useTRPC();
  return useQuery(trpc.admins.list.queryOptions());
}

/**
 * After any change to the admins the list is read again, and so is `session.me`: an owner who changed
 * their own role sees the console as that role at once, not after the next reload.
 */
function useAfterChange() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => Promise.all([queryClient.invalidateQueries(trpc.admins.pathFilter()), queryClient.invalidateQueries(trpc.session.me.queryFilter())]);
}

export function useInviteAdmin() {
  const trpc = useTRPC();
  const afterChange = useAfterChange();
  return useMutation(trpc.admins.invite.mutationOptions({ onSuccess: () => afterChange() }));
}

export function useChangeAdminRole() {
  const trpc = useTRPC();
  const afterChange = useAfterChange();
  return useMutation(trpc.admins.changeRole.mutationOptions({ onSuccess: () => afterChange() }));
}

export function useRemoveAdmin() {
  const trpc = useTRPC();
  const afterChange = useAfterChange();
  return useMutation(trpc.admins.remove.mutationOptions({ onSuccess: () => afterChange() }));
}

/** "not an e-mail address" → "Not an e-mail address"; a message that opens with an address keeps it as typed. */
const sentence = (text: string) => (/^[a-z]+(\s|$)/.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text);

/**
 * The server's refusal, split by the field it is about, so each message stands next to its field:
 * input errors list every field (`data.fields`); others name theirs as "email: …". What is about no
 * field of the form (a role that changed meanwhile, a lost connection) is `other`.
 */
export function errorsByField<F extends string>(error: unknown, fields: readonly F[]): { byField: Partial<Record<F, string>>; other: string | null } {
  if (!error) return { byField: {}, other: null };
  const byField: Partial<Record<F, string>> = {};
  const known = (path: string): path is F => (fields as readonly string[]).includes(path);
  const listed = error instanceof TRPCClientError ? (error.data as { fields?: { path: string; message: string }[] } | undefined)?.fields : undefined;
  if (listed?.length) {
    for (const f of listed) if (known(f.path) && !byField[f.path]) byField[f.path] = sentence(f.message);
    const unplaced = listed.filter((f) => !known(f.path));
    return { byField, other: unplaced.length ? errorMessage(error) : null };
  }
  const message = errorMessage(error);
  const match = /^([A-Za-z]+): (.*)$/s.exec(message);
  if (match && known(match[1]!)) {
    byField[match[1]] = sentence(match[2]!);
    return { byField, other: null };
  }
  return { byField, other: message };
}
