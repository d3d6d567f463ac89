import { getTableColumns, type Column, type InferSelectModel, type Table } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db, DbOrTx } from './client';

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
  return clientOf(db).unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }).execute() as unknown as Promise<T[]>;
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
