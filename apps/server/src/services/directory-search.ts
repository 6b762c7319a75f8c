import { sql } from "drizzle-orm";
import { runPrepared, type Executor } from "@seatdesk/db";
import type { Log } from "../log";

/**
 * The Users tab's search, in memory: for each account that has been searched, its directory users in
 * name order (as PostgreSQL sorts them) with what a search matches, and for every three-character
 * sequence the positions of the users whose text contains it.
 *
 * Why: a search lists matches in name order, 50 at a time. In SQL that means either walking the name
 * index and testing every user (cheap when many match, the whole directory when few do) or reading
 * every match through the trigram index and sorting them (a few thousand row fetches for a common
 * fragment). Here the positions of the rarest sequence of the fragment are already in name order, so a
 * page tests only those, from the cursor on, and stops at 51: one statement then reads those users' rows.
 *
 * It is never trusted blindly: the page statement reads the account's directory version (bumped at
 * commit by every transaction that changes users, migration 0007) in the same snapshot as the rows; if it
 * is not the version this index was built at, the page is answered by the SQL search instead and the
 * index is rebuilt in the background. Searches that filter (status, tier...) always run in SQL.
 */
export interface DirectorySearchOptions {
  /** A stale account index is rebuilt at most this often, so a burst of directory changes does not rebuild it on every search. */
  rebuildIntervalMs?: number;
  /** Users held over all accounts; the least recently searched accounts are dropped past it. */
  maxUsers?: number;
  log?: Log;
}

interface AccountIndex {
  version: number;
  /** A page statement saw a newer version: answer nothing from it until it is rebuilt. */
  stale: boolean;
  ids: string[];
  names: string[];
  texts: string[];
  /** Position of each user id in name order. */
  position: Map<string, number>;
  /** Three-character sequence (as a number) to the ascending positions of the texts that contain it. */
  grams: Map<number, Int32Array>;
}

export interface SearchHit {
  /** Up to `want` user ids, in the requested order. */
  ids: string[];
  /** The directory version the index was built at. */
  version: number;
}

/** A three-character sequence as one number (three UTF-16 code units, 16 bits each). */
const gramAt = (text: string, i: number) => text.charCodeAt(i) * 4294967296 + text.charCodeAt(i + 1) * 65536 + text.charCodeAt(i + 2);

/** Rows are folded into the index this many at a time, yielding to the event loop in between. */
const buildChunk = 1_000;

export class DirectorySearch {
  private readonly accounts = new Map<string, AccountIndex>();
  private readonly building = new Map<string, Promise<void>>();
  /** When each account's last build started (performance.now(): a monotonic interval, not a business time). */
  private readonly lastBuild = new Map<string, number>();
  private readonly rebuildIntervalMs: number;
  private readonly maxUsers: number;
  private readonly log: Log | undefined;
  /** How searches were answered, for the benchmark and tests. */
  readonly counts = { fromIndex: 0, fromSql: 0, builds: 0, lastBuildMs: 0 };

  constructor(
    private readonly db: Executor,
    options: DirectorySearchOptions = {},
  ) {
    this.rebuildIntervalMs = options.rebuildIntervalMs ?? 5_000;
    this.maxUsers = options.maxUsers ?? 1_000_000;
    this.log = options.log;
  }

  /**
   * The next `want` users after the cursor whose text contains `search` (already trimmed and lower-cased),
   * in name order (`desc`: the other way); null when this account has no index yet (one is being built)
   * or the cursor is not a user of the index: the caller searches in SQL.
   */
  find(accountId: string, search: string, after: readonly [string, string] | null, desc: boolean, want: number): SearchHit | null {
    const index = this.accounts.get(accountId);
    if (!index || index.stale) {
      this.refresh(accountId);
      return null;
    }
    // Most recently used last, so eviction drops the oldest first.
    this.accounts.delete(accountId);
    this.accounts.set(accountId, index);
    const n = index.ids.length;
    let from = desc ? n - 1 : 0;
    if (after) {
      const p = index.position.get(after[1]);
      if (p === undefined || index.names[p] !== after[0]) return null;
      from = desc ? p - 1 : p + 1;
    }
    const step = desc ? -1 : 1;
    const ids: string[] = [];
    const take = (p: number) => {
      if (index.texts[p]!.includes(search)) ids.push(index.ids[p]!);
      return ids.length < want;
    };
    if (search.length < 3) {
      for (let p = from; p >= 0 && p < n && take(p); p += step);
    } else {
      // The rarest sequence of the fragment: every match contains it, and it has the fewest candidates.
      let postings: Int32Array | undefined;
      for (let i = 0; i + 3 <= search.length; i++) {
        const list = index.grams.get(gramAt(search, i));
        if (!list) return { ids, version: index.version };
        if (!postings || list.length < postings.length) postings = list;
      }
      const list = postings!;
      // First candidate at or after `from` (asc), or at or before it (desc).
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (desc ? list[mid]! <= from : list[mid]! < from) lo = mid + 1;
        else hi = mid;
      }
      for (let k = desc ? lo - 1 : lo; k >= 0 && k < list.length && take(list[k]!); k += step);
    }
    return { ids, version: index.version };
  }

  /** A page statement saw another directory version than `version`: stop answering from it, and rebuild it (not awaited). */
  outdated(accountId: string, version: number): void {
    const index = this.accounts.get(accountId);
    if (index?.version !== version) return;
    index.stale = true;
    this.refresh(accountId);
  }

  /** Builds (or rebuilds) one account's index now; resolves when it is in place. */
  build(accountId: string): Promise<void> {
    const running = this.building.get(accountId);
    if (running) return running;
    this.lastBuild.set(accountId, performance.now());
    const job = this.load(accountId).finally(() => this.building.delete(accountId));
    this.building.set(accountId, job);
    return job;
  }

  private refresh(accountId: string) {
    if (this.building.has(accountId)) return;
    if (performance.now() - (this.lastBuild.get(accountId) ?? -Infinity) < this.rebuildIntervalMs) return;
    this.build(accountId).catch((e: unknown) => this.log?.error("directory search index build failed", { accountId, error: String(e) }));
  }

  private async load(accountId: string): Promise<void> {
    const started = performance.now();
    // One statement, one snapshot: the version read is exactly the version of these rows.
    const rows = await runPrepared<{ version: string | number; id: string | null; display_name: string | null; search_text: string | null }>(
      this.db,
      "directory_search_index",
      sql`select coalesce((select version from directory_versions where account_id = ${accountId}::uuid), 0) as version, u.id, u.display_name, u.search_text
        from (select 1) as one left join lateral (
          select id, display_name, search_text from directory_users where account_id = ${accountId}::uuid and deleted_at is null order by display_name, id
        ) as u on true`,
    );
    const version = Number(rows[0]?.version ?? 0);
    const users = rows[0]?.id === null ? [] : rows;
    const index: AccountIndex = { version, stale: false, ids: [], names: [], texts: [], position: new Map(), grams: new Map() };
    const lists = new Map<number, number[]>();
    for (let start = 0; start < users.length; start += buildChunk) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      for (let p = start; p < Math.min(users.length, start + buildChunk); p++) {
        const row = users[p]!;
        const text = row.search_text ?? "";
        index.ids.push(row.id!);
        index.names.push(row.display_name!);
        index.texts.push(text);
        index.position.set(row.id!, p);
        for (let i = 0; i + 3 <= text.length; i++) {
          const gram = gramAt(text, i);
          const list = lists.get(gram);
          if (!list) lists.set(gram, [p]);
          else if (list[list.length - 1] !== p) list.push(p);
        }
      }
    }
    for (const [gram, list] of lists) index.grams.set(gram, Int32Array.from(list));
    this.counts.builds++;
    this.counts.lastBuildMs = performance.now() - started;
    this.accounts.delete(accountId);
    this.accounts.set(accountId, index);
    this.evict();
  }

  private evict() {
    let held = 0;
    for (const index of this.accounts.values()) held += index.ids.length;
    for (const [accountId, index] of this.accounts) {
      if (held <= this.maxUsers || this.accounts.size === 1) break;
      this.accounts.delete(accountId);
      held -= index.ids.length;
    }
  }
}
