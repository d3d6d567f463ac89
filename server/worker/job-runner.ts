import { EVENTS_CHANNEL, parseAppEventOf } from '@/server/services/events';
import { isJobType, JobInterrupted, parseJobPayload, type JobContext, type JobHandler, type JobHandlers } from '@/server/services/jobs/contract';
import { cancelRunningJob, claimJob, completeJob, failJob, heartbeatJob, type Job } from '@/server/services/jobs/queue';
import type { WorkerLoop } from './loops';
import { wakeableSleep } from './wakeable-sleep';

export const JOB_LEASE_MS = 30_000;

/**
 * The job runner loop: claims jobs of the registered types one at a time and runs their handler (the job
 * contract is server/services/jobs/contract.ts). The worker registers `JobHandlers`, one per job type of the
 * contract; the runner's tests register handlers of types of their own, whose payloads pass through as stored.
 */
export function createJobRunner(handlers: JobHandlers | Record<string, JobHandler>, options: { pollMs?: number; leaseMs?: number } = {}): WorkerLoop {
  const leaseMs = options.leaseMs ?? JOB_LEASE_MS;
  const pollMs = options.pollMs ?? 1_000;
  return {
    name: 'job-runner',
    async start({ database, workerId, logger, signal }) {
      const types = Object.keys(handlers);
      const pause = wakeableSleep();
      // A queued job wakes an idle runner at once; polling covers missed notifications and expired leases.
      const listener = await database.sql
        .listen(EVENTS_CHANNEL, (payload) => {
          if (parseAppEventOf(payload, ['job_queued'])) pause.wake();
        })
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'LISTEN failed; polling only');
          return null;
        });

      async function runOne(job: Job): Promise<void> {
        const handler = (handlers as Record<string, JobHandler<unknown>>)[job.type]!;
        const log = logger.child({ jobId: job.id, jobType: job.type, attempt: job.attempts });
        log.info('job started');
        let lastBeat = 0;
        let payload: unknown;
        try {
          payload = isJobType(job.type) ? parseJobPayload(job.type, job.payload) : job.payload;
        } catch (error) {
          // Never worth another attempt: the stored payload will not change.
          log.warn({ err: error }, 'job failed');
          await failJob(database.db, job, workerId, (error as Error).message.slice(0, 2000), false);
          return;
        }
        const context: JobContext<unknown> = {
          job,
          payload,
          db: database.db,
          workerId,
          signal,
          async progress(fraction, message) {
            if (signal.aborted) throw new JobInterrupted('lease_lost');
            const now = Date.now();
            if (now - lastBeat < 250 && fraction < 1) return;
            lastBeat = now;
            const lease = await heartbeatJob(database.db, job.id, workerId, leaseMs, { fraction, message });
            if (!lease.held) throw new JobInterrupted('lease_lost');
            if (lease.cancelRequested) throw new JobInterrupted('canceled');
          },
        };
        // Claiming counts an attempt, also when it takes over an expired lease: past the job's attempts, its
        // worker died on it every time (a crash, out of memory), so it fails here instead of killing the next one.
        if (job.attempts > job.maxAttempts) {
          const message = `gave up after ${job.maxAttempts} attempts: the worker running it stopped each time (see the worker log)`;
          log.error({ attempts: job.attempts }, 'job abandoned: its worker stopped on every attempt');
          try {
            await handler.abandon?.(context, message);
          } finally {
            await failJob(database.db, job, workerId, message, false);
          }
          return;
        }
        // Keep the lease while the handler computes between progress calls.
        const keepAlive = setInterval(() => {
          heartbeatJob(database.db, job.id, workerId, leaseMs).catch((error) => log.warn({ err: error }, 'lease renewal failed'));
        }, leaseMs / 3);
        try {
          const result = await handler.run(context);
          await completeJob(database.db, job.id, workerId, result);
          log.info('job completed');
        } catch (error) {
          if (error instanceof JobInterrupted) {
            if (error.reason === 'canceled') await cancelRunningJob(database.db, job.id, workerId);
            log.info({ reason: error.reason }, 'job interrupted');
            return;
          }
          const retryable = handler.isRetryable?.(error) ?? false;
          const message = error instanceof Error ? error.message : String(error);
          log.warn({ err: error, retryable }, 'job failed');
          await failJob(database.db, job, workerId, message.slice(0, 2000), retryable);
        } finally {
          clearInterval(keepAlive);
        }
      }

      signal.addEventListener('abort', () => pause.wake(), { once: true });
      const loop = (async () => {
        while (!signal.aborted) {
          let job: Job | null = null;
          try {
            job = await claimJob(database.db, workerId, types, leaseMs);
          } catch (error) {
            logger.warn({ err: error }, 'claiming a job failed');
          }
          if (job) {
            await runOne(job);
            continue;
          }
          await pause.sleep(pollMs);
        }
      })();

      return async () => {
        pause.wake();
        await loop;
        await listener?.unlisten().catch(() => {});
      };
    },
  };
}
