import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '@/server/logger';
import { registerUser } from '@/server/services/auth/users';
import { enqueueJob, getJobForUser, requestJobCancel } from '@/server/services/jobs/queue';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { jobs } from '@/db/schema';
import { BACKTEST_JOB_TYPE, JobInterrupted, type JobHandler } from '@/server/services/jobs/contract';
import { createJobRunner } from './job-runner';

let t: TestDatabase;
let userId: string;
beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'runnerowner', password: 'long enough pw' })).id;
});
afterAll(() => t.destroy());

describe('job runner loop', () => {
  it('runs handlers, records progress and results, and stops a job the user cancels', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const handlers: Record<string, JobHandler> = {
      'runner.ok': {
        run: async (ctx) => {
          await ctx.progress(0.5, 'half');
          return { doubled: Number(ctx.job.payload.n) * 2 };
        },
      },
      'runner.long': {
        run: async (ctx) => {
          await blocked;
          await ctx.progress(0.9);
          return { finished: true };
        },
      },
    };
    const controller = new AbortController();
    const stop = await createJobRunner(handlers, { pollMs: 50 }).start({ database: t, workerId: 'runner-1', logger, signal: controller.signal });
    try {
      const ok = await enqueueJob(t.db, { type: 'runner.ok', payload: { n: 21 }, userId });
      const long = await enqueueJob(t.db, { type: 'runner.long', payload: {}, userId });
      await expect.poll(async () => (await getJobForUser(t.db, ok.id, userId)).status, { timeout: 10_000 }).toBe('completed');
      expect((await getJobForUser(t.db, ok.id, userId)).result).toEqual({ doubled: 42 });

      await expect.poll(async () => (await getJobForUser(t.db, long.id, userId)).status, { timeout: 10_000 }).toBe('running');
      await requestJobCancel(t.db, long.id, userId);
      release();
      await expect.poll(async () => (await getJobForUser(t.db, long.id, userId)).status, { timeout: 10_000 }).toBe('canceled');
      expect((await getJobForUser(t.db, long.id, userId)).result, 'a canceled job stores no result').toBeNull();
    } finally {
      controller.abort();
      await stop();
    }
    expect(new JobInterrupted('canceled').reason).toBe('canceled');
  });

  it("checks a contract type's payload: refused when queued, and a stored one that does not match fails the job without running it", async () => {
    await expect(enqueueJob(t.db, { type: BACKTEST_JOB_TYPE, payload: { backtestId: '' }, userId }), 'an empty id is refused when queued').rejects.toThrow(
      /invalid backtest\.run payload: backtestId/,
    );
    const [stored] = await t.db
      .insert(jobs)
      .values({ type: BACKTEST_JOB_TYPE, payload: { backtest: 'x' }, userId })
      .returning();
    let ran = false;
    const handlers: Record<string, JobHandler> = {
      [BACKTEST_JOB_TYPE]: {
        run: async () => {
          ran = true;
          return {};
        },
      },
    };
    const controller = new AbortController();
    const stop = await createJobRunner(handlers, { pollMs: 50 }).start({ database: t, workerId: 'runner-2', logger, signal: controller.signal });
    try {
      await expect.poll(async () => (await getJobForUser(t.db, stored!.id, userId)).status, { timeout: 10_000 }).toBe('failed');
    } finally {
      controller.abort();
      await stop();
    }
    const failed = await getJobForUser(t.db, stored!.id, userId);
    expect([failed.error, failed.attempts], 'failed at once, naming the payload problem').toEqual([
      expect.stringMatching(/^invalid backtest\.run payload: /),
      1,
    ]);
    expect(ran, 'the handler never saw the bad payload').toBe(false);
  });
});
