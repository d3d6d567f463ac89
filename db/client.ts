import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PostgresJsDatabase<Schema>;
/** A transaction handle; services accept `Db | Tx` where they can run inside a caller's transaction. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  /** The raw postgres.js client, for COPY, LISTEN/NOTIFY and shutdown. */
  sql: postgres.Sql;
  close(): Promise<void>;
}

export function createDatabase(url: string, options: { max?: number; applicationName?: string } = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'cryptobot' },
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

const globalForDb = globalThis as unknown as { cryptobotDatabase?: Database };

/**
 * The process-wide database of the web server (one pool per process, reused across hot reloads).
 * The worker and tests create their own with `createDatabase`.
 */
export function getDatabase(): Database {
  if (!globalForDb.cryptobotDatabase) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set');
    globalForDb.cryptobotDatabase = createDatabase(url, { max: Number(process.env.DATABASE_POOL_SIZE ?? 10), applicationName: 'cryptobot-web' });
  }
  return globalForDb.cryptobotDatabase;
}
