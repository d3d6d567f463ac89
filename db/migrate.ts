import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { createDatabase } from './client';

export const MIGRATIONS_FOLDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Applies the committed drizzle-kit migrations; safe to run concurrently (drizzle takes a lock-free path, so we add an
 * advisory lock). Without the request timeouts: a migration may rightly take long, or wait for another one.
 */
export async function runMigrations(url: string): Promise<void> {
  const database = createDatabase(url, {
    max: 1,
    applicationName: 'cryptobot-migrate',
    statementTimeoutMs: 0,
    lockTimeoutMs: 0,
    idleInTransactionTimeoutMs: 0,
  });
  try {
    await database.sql`select pg_advisory_lock(727274)`;
    try {
      await migrate(database.db, { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await database.sql`select pg_advisory_unlock(727274)`;
    }
  } finally {
    await database.close();
  }
}
