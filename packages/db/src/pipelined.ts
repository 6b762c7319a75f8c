import type { Query, SQL } from "drizzle-orm";
import type { PgDialect } from "drizzle-orm/pg-core";
import { PostgresJsSession, PostgresJsTransaction } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import type { Executor, Tx } from "./connect";
import { rowsOf } from "./rows";
import { runPrepared, toQuery } from "./prepared";

/**
 * A transaction's last statement, sent together with its COMMIT. The transaction ends with it: nothing
 * may follow. If the statement fails, PostgreSQL ends the transaction with a rollback (COMMIT in a failed
 * transaction rolls back) and the statement's error is thrown. So a statement that must undo the
 * transaction on a condition raises an error (see migration 0021), rather than have the caller see it in
 * the rows and roll back.
 */
export type CommitWith = <T extends Record<string, unknown>>(name: string, statement: SQL | Query) => Promise<T[]>;

/** What drizzle's own `transaction` hands from the database's session to the transaction's (not public in its types). */
interface SessionInternals {
  client: Sql;
  dialect: PgDialect;
  options: ConstructorParameters<typeof PostgresJsSession>[3];
}

/** `tx.query` of transactionCommittingWith's transactions: using it is a mistake, said at once rather than as an undefined. */
const noRelationalQueries = new Proxy({} as Tx["query"], {
  get(_, table) {
    throw new Error(`transactionCommittingWith: tx.query.${String(table)} is not available in this transaction; use tx.select() or a prepared statement`);
  },
});

/**
 * Runs `fn` in a transaction that costs two round trips fewer on PostgreSQL: BEGIN goes with the
 * transaction's first statements (in the same write to the socket), and COMMIT with its last (`commitWith`).
 * postgres.js's own `begin` waits for BEGIN's answer before the first statement and for the callback's
 * last statement before COMMIT: four round trips for a read and a write, where this takes two.
 *
 * On a reserved connection of the pool (postgres.js `reserve`). If that connection closes meanwhile,
 * every query of the transaction fails and the connection is never handed back to the pool (our patch of
 * postgres.js: a closed connection may already be open again for other queries). If `fn` throws before
 * `commitWith`, the transaction is rolled back. On PGlite (one connection, no round trips), a plain
 * transaction with `commitWith` running its statement last.
 */
export async function transactionCommittingWith<T>(db: Executor, fn: (tx: Tx, commitWith: CommitWith) => Promise<T>): Promise<T> {
  const session = db._.session as unknown as SessionInternals;
  // Inside a transaction already (a savepoint then), or on PGlite: the plain way.
  if (!(db._.session instanceof PostgresJsSession) || typeof session.client.reserve !== "function") {
    return db.transaction((tx) => {
      let ended = false;
      return fn(tx, async (name, statement) => {
        if (ended) throw new Error(`commitWith(${name}): the transaction has ended`);
        ended = true;
        return runPrepared(tx, name, statement);
      });
    });
  }
  const { dialect, options } = session;
  const connection = await session.client.reserve();
  let ended = false;
  try {
    const began = connection.unsafe("begin").execute();
    // Its failure is the failure of every statement after it, which fn sees; awaited below.
    began.catch(() => {});
    // A transaction's session over the reserved connection: its statements are all this needs (no savepoints),
    // and without the schema's relational query builders (`tx.query`, which nothing run here uses): drizzle
    // builds one per table for every transaction given the schema, 3% of the server thread's CPU in bench:usage's
    // single events (perf, on-CPU samples).
    const tx = new PostgresJsTransaction(dialect, new PostgresJsSession(connection, dialect, undefined, options) as never, undefined) as unknown as Tx;
    tx.query = noRelationalQueries;
    const commitWith: CommitWith = async (name, statement) => {
      if (ended) throw new Error(`commitWith(${name}): the transaction has ended`);
      ended = true;
      const query = toQuery(statement);
      // Both handed to the connection now, in this order: one write to the socket.
      const last = connection.unsafe(query.sql, query.params as never[], { prepare: true }).execute();
      const commit = connection.unsafe("commit").execute();
      const [rows, committed] = await Promise.allSettled([last, commit]);
      if (rows.status === "rejected") throw rows.reason;
      if (committed.status === "rejected") throw committed.reason;
      return rowsOf(rows.value);
    };
    const result = await fn(tx, commitWith);
    await began;
    if (!ended) {
      ended = true;
      await connection.unsafe("commit");
    }
    return result;
  } catch (e) {
    if (!ended) {
      ended = true;
      // A closed connection refuses it (and is not handed back): PostgreSQL has rolled back already.
      await connection.unsafe("rollback").catch(() => {});
    }
    throw e;
  } finally {
    connection.release();
  }
}
