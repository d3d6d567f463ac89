// The worker container's health check (docker-compose.yml): exit 0 when a worker on this host (the container's
// hostname) beat within three heartbeat intervals (WORKER_HEARTBEAT_MS; at least 15 s), 1 otherwise.
import os from 'node:os';
import { createDatabase } from '@/db/client';
import { cliEnvOrExit, directDatabaseUrl, envVariable } from '@/server/env';
import { workerAliveOnHost } from '@/server/services/system/health';

cliEnvOrExit('worker-health', ['DATABASE_URL']);
const database = createDatabase(directDatabaseUrl(), { max: 1, applicationName: 'cryptobot-worker-health' });
let alive = false;
try {
  alive = await workerAliveOnHost(database.db, os.hostname(), Math.max(3 * envVariable('WORKER_HEARTBEAT_MS'), 15_000));
  if (!alive) console.error(`worker-health: no live worker heartbeat from ${os.hostname()}`);
} catch (error) {
  console.error(`worker-health: ${(error as Error).message}`);
} finally {
  await database.close();
}
process.exit(alive ? 0 : 1);
