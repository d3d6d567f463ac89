/**
 * Runs a command against a fresh, migrated test database, then drops it:
 *   tsx server/cli/with-test-db.ts vitest run
 * With DATABASE_URL set, the database is created on that server; without it, an embedded PostgreSQL is
 * started in a temporary directory and removed afterwards. The command sees the new DATABASE_URL, plus
 * test secrets, and TEST_ADMIN_DATABASE_URL for tests that need databases of their own.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runMigrations } from '@/db/migrate';
import { cliEnvOrExit, inheritedEnvironment } from '@/server/env';
import { assertDatabaseReachable, createDatabaseIfMissing, dropDatabase, withDatabase } from '@/db/admin';
import { makeTempDataDir, startEmbeddedPostgres, type EmbeddedServer } from './embedded-postgres';

const [command, ...commandArgs] = process.argv.slice(2);
if (!command) {
  console.error('usage: tsx server/cli/with-test-db.ts <command> [args...]');
  process.exit(2);
}

async function main(): Promise<number> {
  let embedded: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  let adminUrl: string;
  const env = cliEnvOrExit('test-db', ['DATABASE_URL', 'NEXTAUTH_SECRET', 'CRYPTOBOT_MASTER_KEY'], ['DATABASE_URL', 'NEXTAUTH_SECRET', 'CRYPTOBOT_MASTER_KEY']);
  if (env.DATABASE_URL) {
    adminUrl = withDatabase(env.DATABASE_URL, 'postgres');
    await assertDatabaseReachable(adminUrl);
  } else {
    dataDir = makeTempDataDir('cryptobot-test-');
    console.log('[test-db] no DATABASE_URL: starting an embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false });
    adminUrl = embedded.adminUrl;
  }
  const name = `cryptobot_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = await createDatabaseIfMissing(adminUrl, name);
  let code = 1;
  try {
    await runMigrations(url);
    console.log(`[test-db] database ${name} ready`);
    const bin = path.resolve('node_modules/.bin', command!);
    const child = spawn(fs.existsSync(bin) ? bin : command!, commandArgs, {
      stdio: 'inherit',
      env: {
        ...inheritedEnvironment(),
        DATABASE_URL: url,
        TEST_ADMIN_DATABASE_URL: adminUrl,
        NEXTAUTH_SECRET: env.NEXTAUTH_SECRET ?? randomBytes(48).toString('base64'),
        CRYPTOBOT_MASTER_KEY: env.CRYPTOBOT_MASTER_KEY ?? randomBytes(32).toString('base64'),
        NEXT_TELEMETRY_DISABLED: '1',
      },
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  } finally {
    await dropDatabase(adminUrl, name).catch((error) => console.error(`[test-db] could not drop ${name}: ${(error as Error).message}`));
    if (embedded) await embedded.stop();
    if (dataDir) fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[test-db] ${(error as Error).message}`);
    process.exit(1);
  },
);
