import { getTableColumns, type Column, type InferSelectModel, type Table } from 'drizzle-orm';
import type postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { asHolderOf, transactionPreamble, type Db, type DbOrTx } from './client';
import * as schema from './schema';

/**
 * Hand-written statements for hot paths, on the same connection (and transaction) as a drizzle handle.
 *
 * Why: a drizzle query is sent unprepared, and postgres.js sends an unprepared statement with parameters in two
 * round trips (Parse + Describe to learn the parameter types, then Bind + Execute). A fixed text sent here is a
 * named prepared statement: described once per connection, then one round trip. Building the text once also
 * saves the query builder's work, which for a chain of data-modifying CTEs cost more than running it. Use it
 * only where that matters (the order path); everything else stays on drizzle's builders.
 */
export function queryRows<T extends Record<string, unknown> = Record<string, unknown>>(db: Connection, text: string, params: readonly unknown[]): Promise<T[]> {
  // Issued now, not when awaited (postgres.js queries are lazy): statements go out in the order of the calls.
  return clientOf(db)
    .unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })
    .execute() as unknown as Promise<T[]>;
}

/** A statement without parameters (BEGIN, COMMIT), issued now: in order with queryRows calls. */
export function issue(connection: postgres.ReservedSql, text: string): Promise<unknown> {
  return connection.unsafe(text).execute();
}

/** A drizzle database or transaction, or a postgres.js connection reserved by reserveConnection. */
export type Connection = DbOrTx | postgres.ReservedSql;

function clientOf(db: Connection): postgres.Sql {
  // PgDatabase and PgTransaction both expose their session; the postgres-js session holds the postgres.js
  // client (inside a transaction: the transaction's reserved connection).
  return typeof db === 'function' ? db : (db._.session as unknown as { client: postgres.Sql }).client;
}

/**
 * One connection of the database's pool, for the caller alone until `release()`: statements sent on it
 * without awaiting each other are pipelined (one write, answers in order), e.g. BEGIN with the first
 * statement of a transaction. The caller ends any transaction it began before releasing it.
 */
export function reserveConnection(db: Db): Promise<postgres.ReservedSql> {
  return clientOf(db).reserve();
}

const columnsOf = new WeakMap<Table, Array<[string, Column]>>();

/**
 * Maps a row as the driver returns it for hand-written SQL (snake_case column names, timestamps as strings) to
 * the table's select model, exactly as drizzle's own queries would: each column's `mapFromDriverValue`.
 */
export function rowFromDriver<T extends Table>(table: T, raw: Record<string, unknown>): InferSelectModel<T> {
  let columns = columnsOf.get(table);
  if (!columns) columnsOf.set(table, (columns = Object.entries(getTableColumns(table))));
  const row: Record<string, unknown> = {};
  for (const [key, column] of columns) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}

/** A fixed SQL text and its positional parameters. */
export interface Statement {
  text: string;
  params: readonly unknown[];
}

/**
 * A transaction on one reserved connection in as few round trips as its statements allow: BEGIN goes out together
 * with `first`, and COMMIT together with the statements `run` returns (its last writes). In between, `run` gets
 * `first`'s rows, and `handle()` builds a drizzle handle on the same connection for anything else (only when asked:
 * the order path needs none).
 *
 * A statement that fails aborts the transaction, and PostgreSQL answers the COMMIT sent behind it with a rollback;
 * the first failure in the order sent is thrown. `run` returning null, or throwing, rolls back. Returns the rows of
 * each last statement, or null.
 */
export async function pipelinedTransaction(
  db: Db,
  first: Statement,
  run: (firstRows: Array<Record<string, unknown>>, handle: () => Db) => Promise<Statement[] | null>,
): Promise<Array<Array<Record<string, unknown>>> | null> {
  const connection = await reserveConnection(db);
  // While the connection is ours, `run` must not ask the pool for another (db/client.ts, PoolNestingError).
  return asHolderOf(clientOf(db), () => pipelined(connection, db, first, run));
}

async function pipelined(
  connection: postgres.ReservedSql,
  db: Db,
  first: Statement,
  run: (firstRows: Array<Record<string, unknown>>, handle: () => Db) => Promise<Statement[] | null>,
): Promise<Array<Array<Record<string, unknown>>> | null> {
  let open = false;
  try {
    // Issued in this order, sent in one write.
    const begin = issue(connection, 'begin');
    open = true;
    // Through a transaction-mode pooler: the timeouts as SET LOCAL, in the same write (db/client.ts).
    const preamble = transactionPreamble(clientOf(db));
    const settings = preamble ? queryRows(connection, preamble.text, preamble.params) : null;
    const head = queryRows(connection, first.text, first.params);
    const [, , firstRows] = await Promise.all([begin, settings, head]);
    const last = await run(firstRows, () => drizzleOn(connection, db));
    if (last === null) return null;
    const sent = last.map((statement) => queryRows(connection, statement.text, statement.params));
    const commit = issue(connection, 'commit');
    open = false;
    const settled = await Promise.allSettled([...sent, commit]);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.slice(0, sent.length).map((result) => (result as PromiseFulfilledResult<Array<Record<string, unknown>>>).value);
  } finally {
    // Any way out but a sent COMMIT (an error, null from run): roll back before the connection goes back.
    if (open) await issue(connection, 'rollback').catch(() => {});
    connection.release();
  }
}

/** A drizzle handle on a reserved connection (which lacks the pool's `options` that drizzle reads). */
function drizzleOn(connection: postgres.ReservedSql, db: Db): Db {
  const client = connection as unknown as postgres.Sql;
  if (!(client as { options?: unknown }).options) Object.defineProperty(client, 'options', { value: clientOf(db).options });
  return drizzle(client, { schema }) as unknown as Db;
}
