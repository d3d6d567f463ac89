/**
 * The worker process (`npm run worker`): connects to PostgreSQL, beats, runs the loops of
 * server/worker/loops.ts, and exits cleanly on SIGTERM/SIGINT. Never imports next/* or app/.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { createDatabase } from '@/db/client';
import { assertDatabaseReachable } from '@/db/admin';
import { getAppConfig } from '@/server/config';
import { ConfigError, directDatabaseUrlOf, keysConfig, workerEnvFromProcess, type WorkerEnv } from '@/server/env';
import { logger as baseLogger } from '@/server/logger';
import { startHeartbeat } from './heartbeat';
import { WORKER_LOOPS } from './loops';

/**
 * Every setting the worker uses, checked before anything starts (server/env.ts, the key settings, the exchange
 * config file and CRYPTOBOT_EXCHANGE_URLS): a bad one exits 1 with a line naming the variable.
 */
function configurationOrExit(): WorkerEnv {
  const problems: string[] = [];
  let env: WorkerEnv | undefined;
  try {
    env = workerEnvFromProcess();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems.map((p) => (p.startsWith('DATABASE_URL is required') ? `${p} (or run \`npm start\`, which starts a local database)` : p)));
  }
  // The key settings (API_KEY_*) and the exchange config (CRYPTOBOT_CONFIG, CRYPTOBOT_EXCHANGE_URLS) have their own
  // parsers, shared with the web server; their messages name the variable or the file.
  if (env !== undefined) {
    try {
      directDatabaseUrlOf(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
    for (const check of [keysConfig, getAppConfig]) {
      try {
        check();
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  if (problems.length > 0 || env === undefined) {
    for (const problem of problems) console.error(`worker: ${problem}`);
    process.exit(1);
  }
  return env;
}

async function main(): Promise<void> {
  const env = configurationOrExit();
  const workerId = env.WORKER_ID ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const logger = baseLogger.child({ workerId });

  // Signals are handled from the first moment: a SIGTERM during start-up stops cleanly too.
  const controller = new AbortController();
  let stopping = false;
  let cleanup: (() => Promise<void>) | null = null;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker stopping');
    controller.abort();
    const forceExit = setTimeout(() => {
      logger.error('worker did not stop within 15 s; exiting');
      process.exit(1);
    }, 15_000);
    forceExit.unref();
    await cleanup?.();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  // The worker LISTENs and holds long transactions: always the direct connection, never a transaction-mode pooler.
  const databaseUrl = directDatabaseUrlOf(env);
  try {
    await assertDatabaseReachable(databaseUrl);
  } catch (error) {
    console.error(`worker: ${(error as Error).message}`);
    process.exit(1);
  }
  const database = createDatabase(databaseUrl, { max: 10, applicationName: 'cryptobot-worker' });
  // The heartbeat goes on while the loops wind down after SIGTERM; stop() ends it.
  const heartbeat = await startHeartbeat(database.db, workerId, env.WORKER_HEARTBEAT_MS, { logger, signal: new AbortController().signal });
  const stops: Array<() => Promise<void>> = [];
  cleanup = async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
    await heartbeat.stop().catch((error) => logger.warn({ err: error }, 'could not mark the worker stopped'));
    await database.close();
  };
  for (const loop of WORKER_LOOPS) {
    if (controller.signal.aborted) break;
    stops.push(await loop.start({ database, workerId, logger: logger.child({ loop: loop.name }), signal: controller.signal, settings: env }));
  }
  if (stopping) return;
  logger.info({ loops: WORKER_LOOPS.map((l) => l.name) }, 'worker started');
}

main().catch((error) => {
  baseLogger.fatal({ err: error }, 'worker crashed');
  process.exit(1);
});
