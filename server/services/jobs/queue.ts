import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { jobs, type JobStatus } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { jobEvent, jobQueuedEvent, notifyEvent } from '@/server/services/events';
import { isJobType, parseJobPayload, type Job, type JobPayload, type JobType } from './contract';

export type { Job };

/**
 * A job to queue. A type of the contract (./contract.ts) takes its payload type and is checked against its
 * schema; any other type (the queue's own tests) carries a plain object and runs only where a handler is registered.
 */
export interface EnqueueInput<T extends string> {
  type: T;
  payload: T extends JobType ? JobPayload<T> : Record<string, unknown>;
  userId?: string | null;
  maxAttempts?: number;
  /** queued but not claimable until releaseHeldJob (a job that waits for others, e.g. a sharded study's combining step) */
  held?: boolean;
}

/** A held job's run_after: no worker claims it before releaseHeldJob. */
const HELD_UNTIL = new Date('9999-01-01T00:00:00Z');

export async function enqueueJob<T extends string>(db: DbOrTx, input: EnqueueInput<T>): Promise<Job> {
  const payload: Record<string, unknown> = isJobType(input.type) ? parseJobPayload(input.type, input.payload) : input.payload;
  const [job] = await db
    .insert(jobs)
    .values({ type: input.type, payload, userId: input.userId ?? null, maxAttempts: input.maxAttempts ?? 3, ...(input.held && { runAfter: HELD_UNTIL }) })
    .returning();
  if (!job) throw new Error('insert returned no row');
  if (!input.held) await notifyEvent(db, jobQueuedEvent({ jobId: job.id, type: job.type }));
  return job;
}

/** Makes a held job claimable now (and wakes the runners); false when it is no longer queued. */
export async function releaseHeldJob(db: DbOrTx, jobId: string): Promise<boolean> {
  const [released] = await db
    .update(jobs)
    .set({ runAfter: sql`now()` })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'queued')))
    .returning({ id: jobs.id, type: jobs.type });
  if (released) await notifyEvent(db, jobQueuedEvent({ jobId: released.id, type: released.type }));
  return Boolean(released);
}

/** Fails a job that is still queued (a held one whose shards failed); false when it already ended or runs. */
export async function failQueuedJob(db: DbOrTx, jobId: string, error: string): Promise<boolean> {
  const [failed] = await db
    .update(jobs)
    .set({ status: 'failed', error: error.slice(0, 2000), finishedAt: sql`now()` })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'queued')))
    .returning();
  if (failed) await notifyEvent(db, jobEvent({ jobId, userId: failed.userId, status: 'failed', progress: failed.progress }));
  return Boolean(failed);
}

/**
 * Claims the oldest runnable job of the given types: a queued one, or a running one whose lease
 * expired (its worker died). SKIP LOCKED lets any number of workers claim concurrently without
 * ever handing the same job to two of them.
 */
export async function claimJob(db: Db, workerId: string, types: string[], leaseMs: number): Promise<Job | null> {
  if (types.length === 0) return null;
  const typeList = sql.join(
    types.map((t) => sql`${t}`),
    sql`, `,
  );
  const rows = await db.execute<{ id: string }>(sql`
    update jobs set
      status = 'running',
      lease_owner = ${workerId},
      lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000}),
      attempts = attempts + 1,
      started_at = coalesce(started_at, now())
    where id = (
      select id from jobs
      where type in (${typeList})
        and ((status = 'queued' and run_after <= now()) or (status = 'running' and lease_expires_at < now()))
      order by created_at
      for update skip locked
      limit 1
    )
    returning id`);
  const id = rows[0]?.id;
  if (!id) return null;
  const [job] = await db.select().from(jobs).where(eq(jobs.id, id));
  return job ?? null;
}

export interface LeaseState {
  /** false when another worker took the job over, or it was finished elsewhere: stop at once. */
  held: boolean;
  cancelRequested: boolean;
}

/** Renews the lease and records progress (0..1); tells the runner whether to go on. */
export async function heartbeatJob(
  db: Db,
  jobId: string,
  workerId: string,
  leaseMs: number,
  progress?: { fraction: number; message?: string },
): Promise<LeaseState> {
  const [row] = await db
    .update(jobs)
    .set({
      leaseExpiresAt: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
      ...(progress ? { progress: Math.min(1, Math.max(0, progress.fraction)), progressMessage: progress.message ?? null } : {}),
    })
    .where(and(eq(jobs.id, jobId), eq(jobs.leaseOwner, workerId), eq(jobs.status, 'running')))
    .returning({ cancelRequested: jobs.cancelRequested, userId: jobs.userId, progress: jobs.progress });
  if (!row) return { held: false, cancelRequested: false };
  if (progress) await notifyEvent(db, jobEvent({ jobId, userId: row.userId, status: 'running', progress: row.progress }));
  return { held: true, cancelRequested: row.cancelRequested };
}

async function finish(db: Db, jobId: string, workerId: string, status: JobStatus, fields: Partial<typeof jobs.$inferInsert>): Promise<boolean> {
  const [row] = await db
    .update(jobs)
    .set({ status, finishedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null, ...fields })
    .where(and(eq(jobs.id, jobId), eq(jobs.leaseOwner, workerId), eq(jobs.status, 'running')))
    .returning({ userId: jobs.userId, progress: jobs.progress });
  if (row) await notifyEvent(db, jobEvent({ jobId, userId: row.userId, status, progress: row.progress }));
  return !!row;
}

export function completeJob(db: Db, jobId: string, workerId: string, result: Record<string, unknown> = {}): Promise<boolean> {
  return finish(db, jobId, workerId, 'completed', { result, progress: 1, progressMessage: null });
}

export function cancelRunningJob(db: Db, jobId: string, workerId: string): Promise<boolean> {
  return finish(db, jobId, workerId, 'canceled', { error: 'canceled by the user' });
}

/** A failed attempt: retried later (with backoff) while attempts remain and the error is retryable. */
export async function failJob(db: Db, job: Job, workerId: string, error: string, retryable: boolean): Promise<void> {
  if (retryable && job.attempts < job.maxAttempts) {
    const delaySeconds = 2 ** job.attempts;
    await db
      .update(jobs)
      .set({ status: 'queued', leaseOwner: null, leaseExpiresAt: null, error, runAfter: sql`now() + make_interval(secs => ${delaySeconds})` })
      .where(and(eq(jobs.id, job.id), eq(jobs.leaseOwner, workerId)));
    return;
  }
  await finish(db, job.id, workerId, 'failed', { error });
}

/** The user's job, or NOT_FOUND (also for another user's job: existence never leaks). */
export async function getJobForUser(db: DbOrTx, jobId: string, userId: string): Promise<Job> {
  const [job] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, jobId), eq(jobs.userId, userId)));
  if (!job) throw AppError.notFound('job');
  return job;
}

/** A job of `type` by id, whoever queued it (for shared work such as candle imports), or NOT_FOUND. */
export async function getSharedJob(db: DbOrTx, jobId: string, type: string): Promise<Job> {
  const [job] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.id, jobId), eq(jobs.type, type)));
  if (!job) throw AppError.notFound('job');
  return job;
}

/** Queued and running jobs of a type not asked to cancel, oldest first (few: for deduplicating shared work). */
export async function listActiveJobs(db: DbOrTx, type: string): Promise<Job[]> {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.type, type), inArray(jobs.status, ['queued', 'running']), eq(jobs.cancelRequested, false)))
    .orderBy(jobs.createdAt);
}

export async function listJobsForUser(db: DbOrTx, userId: string, types: string[], limit = 100): Promise<Job[]> {
  return db
    .select()
    .from(jobs)
    .where(and(eq(jobs.userId, userId), inArray(jobs.type, types)))
    .orderBy(desc(jobs.createdAt))
    .limit(limit);
}

/**
 * Cancels a job: a queued one at once; a running one is flagged, and its runner stops at its next
 * heartbeat. Finished jobs are left as they are.
 */
export async function requestJobCancel(db: DbOrTx, jobId: string, userId: string): Promise<Job> {
  await getJobForUser(db, jobId, userId);
  const [queued] = await db
    .update(jobs)
    .set({ status: 'canceled', finishedAt: sql`now()`, error: 'canceled by the user' })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'queued')))
    .returning();
  if (queued) {
    await notifyEvent(db, jobEvent({ jobId, userId, status: 'canceled', progress: queued.progress }));
    return queued;
  }
  await db
    .update(jobs)
    .set({ cancelRequested: true })
    .where(and(eq(jobs.id, jobId), eq(jobs.status, 'running')));
  return getJobForUser(db, jobId, userId);
}
