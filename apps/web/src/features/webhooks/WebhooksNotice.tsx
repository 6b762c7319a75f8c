import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../app/trpc";

/**
 * The console-wide notice that an endpoint was disabled (issue 15: "endpoints disabled after repeated
 * failure with a notice to owners"): on every page but Webhooks itself, until an owner enables it again.
 */
export function WebhooksNotice({ onOpen }: { onOpen: () => void }) {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.webhooks.list.queryOptions(), refetchInterval: 60_000 });
  const n = list.data?.disabledCount ?? 0;
  if (n === 0) return null;
  return (
    <div className="alert alert-error webhooks-notice" role="alert">
      {n === 1 ? "A webhook endpoint is disabled" : `${n} webhook endpoints are disabled`} after failing for 24 hours: its events are not being sent.{" "}
      <button type="button" className="btn btn-link" onClick={onOpen}>
        Open Webhooks
      </button>
    </div>
  );
}
