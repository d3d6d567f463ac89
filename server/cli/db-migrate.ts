// npm run db:migrate – apply the committed migrations to DATABASE_URL
import { runMigrations } from '@/db/migrate';
import { cliEnvOrExit } from '@/server/env';
import { assertDatabaseReachable } from '@/db/admin';

const { DATABASE_URL: url } = cliEnvOrExit('db:migrate', ['DATABASE_URL']);
try {
  await assertDatabaseReachable(url);
  await runMigrations(url);
  console.log('migrations applied');
} catch (error) {
  console.error(`db:migrate: ${(error as Error).message}`);
  process.exit(1);
}
