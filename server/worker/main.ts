/**
 * The worker process (`npm run worker`): connects to PostgreSQL, beats, runs the loops of
 * server/worker/loops.ts, and exits cleanly on SIGTERM/SIGINT. Never imports next/* or app/.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import { createDatabase } from '@/db/client';
import { databaseEnvShape } from '@/db/settings';
import { assertDatabaseReachable } from '@/db/admin';
import { logger as baseLogger } from '@/server/logger';
import { startHeartbeat } from './heartbeat';
import { WORKER_LOOPS } from './loops';

const workerEnv = z.object({
  DATABASE_URL: z.string().url({ message: 'must be a postgres:// URL' }),
  WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  WORKER_ID: z.string().min(1).max(100).optional(),
  // The worker decrypts exchange credentials and key-rotation successors.
  CRYPTOBOT_MASTER_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, { message: 'must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)' }),
  // Pool size and the database timeouts (db/settings.ts).
  ...databaseEnvShape,
});

async function main(): Promise<void> {
  const parsed = workerEnv.safeParse(process.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      const hint = name === 'DATABASE_URL' ? ' (or run `npm start`, which starts a local database)' : '';
      console.error(`worker: ${name} ${process.env[name] ? issue.message : `is required but not set${hint}`}`);
    }
    process.exit(1);
  }
  const env = parsed.data;
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

  try {
    await assertDatabaseReachable(env.DATABASE_URL);
  } catch (error) {
    console.error(`worker: ${(error as Error).message}`);
    process.exit(1);
  }
  const database = createDatabase(env.DATABASE_URL, { max: 10, applicationName: 'cryptobot-worker' });
  const heartbeat = await startHeartbeat(database.db, workerId, env.WORKER_HEARTBEAT_MS, (error) => logger.warn({ err: error }, 'heartbeat failed'));
  const stops: Array<() => Promise<void>> = [];
  cleanup = async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
    await heartbeat.stop().catch((error) => logger.warn({ err: error }, 'could not mark the worker stopped'));
    await database.close();
  };
  for (const loop of WORKER_LOOPS) {
    if (controller.signal.aborted) break;
    stops.push(await loop.start({ database, workerId, logger: logger.child({ loop: loop.name }), signal: controller.signal }));
  }
  if (stopping) return;
  logger.info({ loops: WORKER_LOOPS.map((l) => l.name) }, 'worker started');
}

main().catch((error) => {
  baseLogger.fatal({ err: error }, 'worker crashed');
  process.exit(1);
});
