// npm run db:migrate – apply the committed migrations to DATABASE_URL
import { runMigrations } from '@/db/migrate';
import { assertDatabaseReachable } from '@/db/admin';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('db:migrate: DATABASE_URL is required but not set');
  process.exit(1);
}
try {
  await assertDatabaseReachable(url);
  await runMigrations(url);
  console.log('migrations applied');
} catch (error) {
  console.error(`db:migrate: ${(error as Error).message}`);
  process.exit(1);
}
