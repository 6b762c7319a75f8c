import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "../../app/trpc";
import { errorMessage } from "../../lib/errors";
import { useDebouncedValue } from "../../lib/use-debounced-value";

export interface Picked {
  id: string;
  displayName: string;
  /** A user's e-mail; a group's member count in words. */
  detail: string;
}

interface Props {
  kind: "user" | "group";
  chosen: Picked | null;
  onChoose: (picked: Picked) => void;
  disabled: boolean;
  /** Says which of the results already have an override. */
  noteFor: (id: string) => string | null;
}

const shown = 8;

/** Find a person or a group in the directory by name (server-side search) and choose one, as a radio group. */
export function DirectoryPicker({ kind, chosen, onChoose, disabled, noteFor }: Props) {
  const searchId = useId();
  const name = useId();
  const [text, setText] = useState("");
  const search = useDebouncedValue(text.trim(), 250);
  const noun = kind === "user" ? "user" : "group";
  const input = { ...(search ? { search } : {}), limit: shown };
  const trpc = useTRPC();
  const users = useQuery(trpc.directory.listUsers.queryOptions(input, { enabled: kind === "user", placeholderData: keepPreviousData }));
  const groups = useQuery(trpc.directory.listGroups.queryOptions(input, { enabled: kind === "group", placeholderData: keepPreviousData }));
  const list = kind === "user" ? users : groups;
  const rows: Picked[] =
    kind === "user"
      ? (users.data?.rows ?? []).map((u) => ({ id: u.id, displayName: u.displayName, detail: u.email }))
      : (groups.data?.rows ?? []).map((g) => ({ id: g.id, displayName: g.displayName, detail: `${g.memberCount.toLocaleString("en-US")} ${g.memberCount === 1 ? "member" : "members"}` }));
  // The chosen one stays visible while another search is typed.
  const options = chosen && !rows.some((r) => r.id === chosen.id) ? [chosen, ...rows] : rows;

  return (
    <div className="picker">
      <div className="field">
        <label htmlFor={searchId}>Find a {noun}</label>
        <input
          id={searchId}
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={kind === "user" ? "Name or e-mail" : "Group name"}
          autoComplete="off"
          spellCheck={false}
          disabled={disabled}
        />
      </div>
      <fieldset className="picker-results" disabled={disabled} aria-busy={list.isFetching}>
        <legend className="visually-hidden">{kind === "user" ? "User" : "Group"}</legend>
        {list.isPending && (
          <p className="muted picker-empty" role="status">
            <span className="spinner" aria-hidden="true" /> Searching…
          </p>
        )}
        {list.isError && (
          <p role="alert" className="field-error picker-empty">
            Could not search: {errorMessage(list.error)}
          </p>
        )}
        {!list.isPending && !list.isError && options.length === 0 && <p className="muted picker-empty">No {noun}s match “{search}”.</p>}
        {options.map((o) => {
          const note = noteFor(o.id);
          return (
            <label key={o.id} className={`picker-option${chosen?.id === o.id ? " checked" : ""}`}>
              <input type="radio" name={name} checked={chosen?.id === o.id} onChange={() => onChoose(o)} />
              <span className="picker-name">{o.displayName}</span>
              <span className="picker-detail">{o.detail}</span>
              {note && <span className="picker-note">{note}</span>}
            </label>
          );
        })}
        {!list.isPending && (list.data?.nextCursor ?? null) !== null && <p className="muted picker-more">Type to narrow down: only the first {shown} are shown.</p>}
      </fieldset>
    </div>
  );
}
