import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { PageHeader } from "../../app/PageHeader";
import { useTRPC, type Me } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { formatUtc } from "../../lib/format";
import { ConfirmDialog } from "../settings/SettingsDialog";
import { DeliveryLog } from "./DeliveryLog";
import { CreateEndpointDialog, RotateSecretDialog } from "./EndpointDialogs";
import { eventTypeLabels, type EndpointRow } from "./webhooks-types";
import "./webhooks.css";

/**
 * Webhooks (issue 15): the account's endpoints and each one's delivery log. Owners add, enable or disable,
 * rotate and delete endpoints; owners and admins send a delivery again or a test event; viewers read. An
 * endpoint the delivery disabled after 24 hours of failures says so here, with the reason.
 */
export function WebhooksPage({ me }: { me: Me }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.webhooks.list.queryOptions());
  const isOwner = me.role === "owner";
  const canResend = me.role !== "viewer";
  const headingId = useId();
  const [notice, setNotice] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [rotating, setRotating] = useState<EndpointRow | null>(null);
  const [removing, setRemoving] = useState<EndpointRow | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const invalidate = () => queryClient.invalidateQueries(trpc.webhooks.pathFilter());
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.webhooks.remove.mutationOptions({ onSuccess: invalidate }));
  const endpoints = list.data?.endpoints;
  const selected = endpoints?.find((e) => e.id === selectedId) ?? endpoints?.[0] ?? null;
  const disabled = endpoints?.filter((e) => !e.enabled) ?? [];

  return (
    <div className="settings-page webhooks-page">
      <PageHeader section="Webhooks" description={`Seatdesk posts events of ${me.account.name} to your endpoints, signed per the Standard Webhooks specification.`}>
        Webhooks
      </PageHeader>
      {!isOwner && (
        <p className="alert alert-info settings-readonly" role="note">
          Only an owner can add, change or delete endpoints.{canResend ? " You can send deliveries again and send test events." : ""}
        </p>
      )}
      {disabled.length > 0 && (
        <div className="alert alert-error" role="alert">
          <p className="alert-title">{disabled.length === 1 ? "An endpoint is disabled" : `${disabled.length} endpoints are disabled`}: nothing is sent to it until an owner enables it.</p>
          {disabled.map((e) => (
            <p key={e.id}>
              <code>{e.url}</code>: {e.disabledReason}
            </p>
          ))}
        </div>
      )}
      <div role="status" className="flash-region">
        {notice && (
          <div className="flash flash-success">
            <span className="flash-icon" aria-hidden="true">
              ✓
            </span>
            <span className="flash-text">{notice}</span>
            <button type="button" className="icon-button icon-button-light" aria-label="Dismiss" onClick={() => setNotice(null)}>
              <span aria-hidden="true">×</span>
            </button>
          </div>
        )}
      </div>
      <section className="panel settings-panel" aria-labelledby={headingId}>
        <div className="panel-header">
          <div>
            <h2 id={headingId}>Endpoints</h2>
            <p className="panel-description">Each endpoint receives the events it subscribes to, within seconds of the change, at least once.</p>
          </div>
          {isOwner && (
            <div className="panel-actions">
              <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
                Add endpoint
              </button>
            </div>
          )}
        </div>
        {(list.isError || update.isError) && (
          <div role="alert" className="alert alert-error panel-alert">
            {errorMessage(list.error ?? update.error)}
          </div>
        )}
        <div className="table-wrap">
          <table className="data-table settings-table" aria-label="Webhook endpoints" aria-busy={list.isFetching}>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.isPending && (
                <tr aria-hidden="true">
                  <td colSpan={5}>
                    <span className="skeleton" />
                  </td>
                </tr>
              )}
              {endpoints && endpoints.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty">
                    <strong>No endpoints</strong>
                    {isOwner ? "Add one to receive notices, subscription changes, invoices and reports." : "An owner can add one."}
                  </td>
                </tr>
              )}
              {endpoints?.map((e) => (
                <tr key={e.id} className={e.id === selected?.id ? "selected" : undefined}>
                  <th scope="row" className="cell-url">
                    <code>{e.url}</code>
                    {e.description && <span className="note">{e.description}</span>}
                    <span className="note">
                      Secret <code>{e.secretHint}</code>
                    </span>
                  </th>
                  <td>{e.eventTypes.length === 0 ? "All events" : e.eventTypes.map((t) => eventTypeLabels[t] ?? t).join(", ")}</td>
                  <td>
                    {e.enabled ? <span className="badge badge-active">Enabled</span> : <span className="badge badge-canceled">Disabled</span>}
                    {e.enabled && e.consecutiveFailures > 0 && <span className="note">{e.consecutiveFailures} failed in a row</span>}
                    {!e.enabled && e.disabledAt && <span className="note">{formatUtc(e.disabledAt)}</span>}
                  </td>
                  <td className="cell-date">{formatUtc(e.createdAt)}</td>
                  <td className="col-actions">
                    <div className="row-actions">
                      <button type="button" className="btn btn-normal btn-small" aria-pressed={e.id === selected?.id} onClick={() => setSelectedId(e.id)}>
                        Deliveries
                      </button>
                      {isOwner && (
                        <>
                          <button
                            type="button"
                            className="btn btn-normal btn-small"
                            disabled={update.isPending}
                            onClick={() =>
                              update.mutate(
                                { endpointId: e.id, enabled: !e.enabled },
                                { onSuccess: () => setNotice(e.enabled ? `Disabled ${e.url}: nothing is sent to it until it is enabled.` : `Enabled ${e.url}.`) },
                              )
                            }
                          >
                            {e.enabled ? "Disable" : "Enable"}
                          </button>
                          <button type="button" className="btn btn-normal btn-small" onClick={() => setRotating(e)}>
                            Rotate secret
                          </button>
                          <button
                            type="button"
                            className="btn btn-danger btn-small"
                            onClick={() => {
                              remove.reset();
                              setRemoving(e);
                            }}
                          >
                            Delete
                          </button>
                        </>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {selected && <DeliveryLog key={selected.id} endpoint={selected} canResend={canResend} onNotice={setNotice} />}
      {creating && <CreateEndpointDialog onClose={() => setCreating(false)} onCreated={(url) => setNotice(`Added ${url}.`)} />}
      {rotating && <RotateSecretDialog endpoint={rotating} onClose={() => setRotating(null)} />}
      {removing && (
        <ConfirmDialog
          title={`Delete the endpoint ${removing.url}?`}
          confirmLabel="Delete endpoint"
          pendingLabel="Deleting…"
          danger
          pending={remove.isPending}
          error={remove.isError ? errorMessage(remove.error) : null}
          onClose={() => setRemoving(null)}
          onConfirm={() =>
            remove.mutate(
              { endpointId: removing.id },
              {
                onSuccess: () => {
                  setNotice(`Deleted ${removing.url}.`);
                  setRemoving(null);
                },
              },
            )
          }
        >
          <p>
            <strong>Immediately:</strong> nothing more is sent to it, including deliveries still being retried, and its delivery log is deleted.
          </p>
          <p>This cannot be undone; add the endpoint again to receive events (with a new secret).</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
