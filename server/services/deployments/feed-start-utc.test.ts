/**
 * A feed start without a time zone is UTC (the app's convention), whatever the server's zone: this file
 * runs with TZ=America/New_York, where `Date.parse('2024-01-01T00:00')` is 05:00 UTC.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { strategies } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createDeployment, stopDeployment } from './deployments';

const HOUR = 3_600_000;
const NEW_YEAR_UTC = Date.UTC(2024, 0, 1);
const savedTz = process.env.TZ;

let t: TestDatabase;
let userId: string;
let accountId: string;
let strategyId: string;

beforeAll(async () => {
  process.env.TZ = 'America/New_York';
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'new-york', password: 'correct horse battery' })).id;
  accountId = (await createAccount(t.db, userId, { name: 'paper', exchange: 'paper', balances: { USDT: '10000' } })).id;
  // Three days of 1h candles around the new year (UTC), so both readings of the start exist.
  const first = NEW_YEAR_UTC - 24 * HOUR;
  await upsertCandles(
    t.db,
    { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    Array.from({ length: 72 }, (_, i) => [first + i * HOUR, 100, 101, 99, 100, 1]),
  );
  strategyId = (
    await createStrategyForUser(t.db, userId, {
      name: 'tz',
      type: 'sma_crossover',
      params: { fastPeriod: 5, slowPeriod: 20 },
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
    })
  ).id;
  await t.db.update(strategies).set({ status: 'backtested' }).where(eq(strategies.id, strategyId));
}, 60_000);

afterAll(async () => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
  await t?.destroy();
});

it('runs in a zone where local time is not UTC', () => {
  expect(Date.parse('2024-01-01T00:00'), "this process reads a zone-less time as New York's").toBe(NEW_YEAR_UTC + 5 * HOUR);
});

it('a replay started at "2024-01-01T00:00" starts at 2024-01-01T00:00Z, not at New York midnight', async () => {
  for (const start of [
    '2024-01-01T00:00',
    '2024-01-01T00:00:00',
    '2024-01-01T00:00:00.000',
    '2024-01-01',
    '2024-01-01T00:00Z',
    '2023-12-31T19:00-05:00',
    String(NEW_YEAR_UTC),
  ]) {
    const d = await createDeployment(t.db, userId, strategyId, { accountId, mode: 'paper', feed: { type: 'replay', start, speed: 3600 } });
    expect(d.feed.start, `feed.start "${start}"`).toBe('2024-01-01T00:00:00.000Z');
    await stopDeployment(t.db, userId, d.id);
  }
});

it('the simulated feed reads its start the same way', async () => {
  const d = await createDeployment(t.db, userId, strategyId, { accountId, mode: 'paper', feed: { type: 'simulated', start: '2024-01-01T00:00', speed: 3600 } });
  expect(d.feed.start).toBe('2024-01-01T00:00:00.000Z');
  await stopDeployment(t.db, userId, d.id);
});

it('a start in a local-time format is refused with 422 naming feed.start', async () => {
  for (const start of ['2024-01-01 00:00', 'Jan 1 2024', '2024-02-30T00:00', '2024-01-01T24:00']) {
    const error = await createDeployment(t.db, userId, strategyId, { accountId, mode: 'paper', feed: { type: 'replay', start, speed: 3600 } }).catch(
      (e: unknown) => e,
    );
    expect(error, start).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('UNPROCESSABLE');
    expect((error as AppError).details?.fields?.map((f) => f.field)).toEqual(['feed.start']);
  }
});
