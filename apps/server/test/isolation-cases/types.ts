import type { callerAs, Harness, Tenant } from "../harness";

export type Caller = ReturnType<typeof callerAs>;

/** Two accounts: `mine` makes the calls, `theirs` is what must stay out of reach. */
export interface World {
  h: Harness;
  mine: Tenant;
  theirs: Tenant;
}

export interface IsolationCase {
  /** The procedure's path, e.g. "subscriptions.subscribe". */
  path: string;
  /** Calls the procedure with `target`'s ids (the other account's in the isolation test, one's own in the role test). */
  call: (api: Caller, target: Tenant, w: World) => Promise<unknown>;
  /**
   * The procedure takes no ids and reads or writes only the signed-in account: in the isolation test it
   * succeeds, and its answer must show nothing of the other account.
   */
  sessionScoped?: boolean;
  /** The only answer expected from the other account's ids, when not NOT_FOUND or FORBIDDEN (sign-in: UNAUTHORIZED). */
  expectCode?: "UNAUTHORIZED" | "NOT_FOUND" | "FORBIDDEN";
  /** The one change the call may make in the target account: an audit entry of this action (a failed sign-in is recorded where it was tried). */
  auditsTarget?: string;
  /** A mutation a viewer may make (their own session, their own password), with the reason. */
  viewerMay?: string;
}
