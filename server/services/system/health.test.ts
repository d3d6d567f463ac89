import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { workerHeartbeats } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { workerAliveOnHost } from './health';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.destroy());

it("a container's worker is alive while its own heartbeat is fresh, not after it stops or goes quiet", async () => {
  expect(await workerAliveOnHost(t.db, 'box-a', 15_000), 'no worker yet').toBe(false);
  await t.db.insert(workerHeartbeats).values({ workerId: 'w-a', hostname: 'box-a', pid: 1 });
  await t.db.insert(workerHeartbeats).values({ workerId: 'w-b', hostname: 'box-b', pid: 1, lastHeartbeatAt: sql`now() - interval '1 minute'` });
  expect(await workerAliveOnHost(t.db, 'box-a', 15_000)).toBe(true);
  expect(await workerAliveOnHost(t.db, 'box-c', 15_000), "another host's worker does not count").toBe(false);
  expect(await workerAliveOnHost(t.db, 'box-b', 15_000), 'a heartbeat a minute old is too old').toBe(false);
  expect(await workerAliveOnHost(t.db, 'box-b', 120_000), 'within a longer limit').toBe(true);
  await t.db
    .update(workerHeartbeats)
    .set({ stoppedAt: sql`now()` })
    .where(sql`${workerHeartbeats.workerId} = 'w-a'`);
  expect(await workerAliveOnHost(t.db, 'box-a', 15_000), 'a stopped worker is not alive').toBe(false);
});
