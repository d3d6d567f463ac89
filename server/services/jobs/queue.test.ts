import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobs } from '@/db/schema';
import { registerUser } from '@/server/services/auth/users';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { claimJob, completeJob, enqueueJob, failJob, getJobForUser, heartbeatJob, requestJobCancel } from './queue';

let t: TestDatabase;
let userId: string;
let otherUserId: string;
beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'jobowner', password: 'long enough pw' })).id;
  otherUserId = (await registerUser(t.db, { username: 'jobother', password: 'long enough pw' })).id;
});
afterAll(() => t.destroy());

const TYPE = 'test.echo';

describe('job queue', () => {
  it('hands each job to exactly one of many concurrent claimers', async () => {
    const type = 'test.concurrent';
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => enqueueJob(t.db, { type, payload: { i }, userId })));
    const claimed = await Promise.all(Array.from({ length: 30 }, (_, w) => claimJob(t.db, `worker-${w}`, [type], 30_000)));
    const ids = claimed.filter((j) => j !== null).map((j) => j!.id);
    expect(ids.length, 'every job claimed once, the extra claimers get nothing').toBe(20);
    expect(new Set(ids).size).toBe(20);
    expect(new Set(ids)).toEqual(new Set(created.map((j) => j.id)));
  });

  it('reclaims a running job whose worker died (lease expired), and the dead worker can no longer finish it', async () => {
    const job = await enqueueJob(t.db, { type: TYPE, payload: {}, userId });
    const first = await claimJob(t.db, 'dead-worker', [TYPE], 30_000);
    expect(first?.id).toBe(job.id);
    expect(await claimJob(t.db, 'live-worker', [TYPE], 30_000), 'a live lease is respected').toBeNull();

    await t.db
      .update(jobs)
      .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(jobs.id, job.id));
    const second = await claimJob(t.db, 'live-worker', [TYPE], 30_000);
    expect(second?.id, 'the expired lease is taken over').toBe(job.id);
    expect(second?.attempts).toBe(2);

    expect((await heartbeatJob(t.db, job.id, 'dead-worker', 30_000)).held, 'the old owner learns it lost the lease').toBe(false);
    expect(await completeJob(t.db, job.id, 'dead-worker', { by: 'dead' }), 'the old owner cannot complete it').toBe(false);
    expect(await completeJob(t.db, job.id, 'live-worker', { by: 'live' })).toBe(true);
    const done = await getJobForUser(t.db, job.id, userId);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ by: 'live' });
  });

  it('retries a retryable failure later and gives up after maxAttempts', async () => {
    const job = await enqueueJob(t.db, { type: 'test.flaky', payload: {}, userId, maxAttempts: 2 });
    const a1 = (await claimJob(t.db, 'w', ['test.flaky'], 30_000))!;
    await failJob(t.db, a1, 'w', 'exchange timeout', true);
    let row = await getJobForUser(t.db, job.id, userId);
    expect(row.status, 'requeued with a backoff').toBe('queued');
    expect(row.runAfter.getTime()).toBeGreaterThan(Date.now());
    await t.db
      .update(jobs)
      .set({ runAfter: sql`now()` })
      .where(eq(jobs.id, job.id));
    const a2 = (await claimJob(t.db, 'w', ['test.flaky'], 30_000))!;
    await failJob(t.db, a2, 'w', 'exchange timeout', true);
    row = await getJobForUser(t.db, job.id, userId);
    expect(row.status).toBe('failed');
    expect(row.error).toBe('exchange timeout');
  });

  it('cancels a queued job at once and flags a running one; other users get NOT_FOUND', async () => {
    const queued = await enqueueJob(t.db, { type: 'test.cancel-queued', payload: {}, userId });
    expect((await requestJobCancel(t.db, queued.id, userId)).status).toBe('canceled');
    expect(await claimJob(t.db, 'w', ['test.cancel-queued'], 30_000), 'a canceled job is never claimed').toBeNull();

    const running = await enqueueJob(t.db, { type: 'test.cancel-running', payload: {}, userId });
    await claimJob(t.db, 'w', ['test.cancel-running'], 30_000);
    await expect(requestJobCancel(t.db, running.id, otherUserId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const flagged = await requestJobCancel(t.db, running.id, userId);
    expect(flagged.status).toBe('running');
    expect((await heartbeatJob(t.db, running.id, 'w', 30_000)).cancelRequested, 'the runner sees the cancel at its next heartbeat').toBe(true);
  });
});
