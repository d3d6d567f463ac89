import { randomBytes } from 'node:crypto';
import { createDatabase, type Database } from '@/db/client';
import { runMigrations } from '@/db/migrate';
import { createDatabaseIfMissing, dropDatabase } from '@/db/admin';
import { parseCliEnv } from '@/server/env';

export interface TestDatabase extends Database {
  url: string;
  /** Closes the pool and drops the database. */
  destroy(): Promise<void>;
}

/**
 * A fresh, migrated database of its own for one test file, on the server that with-test-db chose
 * (the machine's PostgreSQL, or the embedded one). Use in beforeAll / afterAll:
 *
 *   let t: TestDatabase;
 *   beforeAll(async () => { t = await createTestDatabase(); });
 *   afterAll(() => t.destroy());
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = parseCliEnv(['TEST_ADMIN_DATABASE_URL'], ['TEST_ADMIN_DATABASE_URL']).TEST_ADMIN_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run tests through `npm run test:unit` (server/cli/with-test-db.ts)');
  const name = `cbt_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabaseIfMissing(adminUrl, name);
  await runMigrations(url);
  const database = createDatabase(url, { max: 5, applicationName: 'cryptobot-test' });
  return {
    ...database,
    url,
    async destroy() {
      await database.close();
      // A database left behind is harmless (its name is unique); a hung clean-up is not.
      await dropDatabase(adminUrl, name).catch((error: Error) => console.warn(`could not drop ${name}: ${error.message}`));
    },
  };
}
