import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { jobs } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import { clearMarketCache, createCcxtExchange } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, binanceApiUrls } from '@/server/testing/exchange/binance-test-server';
import { JobInterrupted, parseJobPayload } from '@/server/services/jobs/contract';
import { cancelRunningJob, claimJob, completeJob, heartbeatJob } from '@/server/services/jobs/queue';
import { registerUser } from '@/server/services/auth/users';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { readCandleSeries, upsertCandles } from './candles';
import { cancelImport, createImportJobHandler, getImport, MARKET_DATA_IMPORT_JOB, missingRanges, startImport } from './imports';

const H = 3_600_000;
// Real Coinbase BTC/USD 1h (2017-07 → 2019-10), served by the test server as Binance's BTCUSDT.
const BTC_1H: OhlcvRow[] = fixtureRows('btc-usd-1h');
const key = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

let t: TestDatabase;
let server: BinanceTestServer;
let userId: string;

function testExchange(baseUrl: string, attempts = 2) {
  return createCcxtExchange({
    exchangeId: 'binance',
    timeoutMs: 5_000,
    rateLimit: { perSecond: 1_000, perMinute: 60_000 },
    urls: binanceApiUrls(baseUrl),
    retry: { attempts, baseDelayMs: 1, maxDelayMs: 5 },
  });
}

/** Claims the queued import and runs it the way the worker's job runner does, recording progress. */
async function runImportJob(handler: ReturnType<typeof createImportJobHandler>, options: { interruptAfterPages?: number } = {}) {
  const job = await claimJob(t.db, 'test-worker', [MARKET_DATA_IMPORT_JOB], 30_000);
  expect(job, 'a queued import to claim').not.toBeNull();
  const progress: Array<{ fraction: number; message?: string }> = [];
  const context = {
    job: job!,
    payload: parseJobPayload(MARKET_DATA_IMPORT_JOB, job!.payload),
    workerId: 'test-worker',
    db: t.db,
    signal: new AbortController().signal,
    async progress(fraction: number, message?: string) {
      progress.push({ fraction, message });
      if (options.interruptAfterPages !== undefined && progress.length > options.interruptAfterPages) throw new Error('worker killed');
    },
  };
  const result = await handler.run(context);
  await completeJob(t.db, job!.id, 'test-worker', result);
  return { job: job!, result, progress };
}

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ klines: { BTCUSDT: { '1h': BTC_1H } } }).start();
  userId = (await registerUser(t.db, { username: 'importer', password: 'importer password 1' })).id;
});
afterAll(async () => {
  await server.close();
  await t.destroy();
});
beforeEach(async () => {
  clearMarketCache();
  server.requests.length = 0;
  await t.db.execute(`delete from candles` as never);
  await t.db.delete(jobs);
});

describe('market-data.import job against the Binance test server', () => {
  it('imports a range page by page with progress, stores every candle, and reports the result on the job', async () => {
    const start = BTC_1H[0]![0];
    const end = BTC_1H[2500]![0];
    const queued = await startImport(t.db, userId, { ...key, startMs: start, endMs: end });
    expect(queued.status).toBe('queued');

    const handler = createImportJobHandler({ exchangeFor: () => testExchange(server.baseUrl), pageLimit: 1000 });
    const { job, result, progress } = await runImportJob(handler);
    const expected = BTC_1H.filter((r) => r[0] >= start && r[0] < end);
    expect(result, 'every candle the exchange has in range stored').toMatchObject({ inserted: expected.length, fetched: expected.length, updated: 0 });
    const stored = await readCandleSeries(t.db, key, start, end);
    expect(Array.from(stored.time), 'exactly the exchange candles').toEqual(expected.map((r) => r[0]));
    expect(stored.close[100]).toBe(expected[100]![4]);
    expect(server.count('GET', '/api/v3/klines'), 'paginated: 1000 per request').toBeGreaterThanOrEqual(3);
    const fractions = progress.map((p) => p.fraction);
    expect(fractions.length, 'progress reported per page').toBeGreaterThanOrEqual(4);
    expect(
      fractions.every((f, i) => i === 0 || f >= fractions[i - 1]!),
      'progress never goes back',
    ).toBe(true);
    expect(fractions.at(-1), 'ends at 1').toBe(1);

    const view = await getImport(t.db, job.id);
    expect(view, 'status and result readable by its owner').toMatchObject({ status: 'completed', progress: 1, result: { inserted: expected.length } });
  });

  it('fetches only what is missing and resumes after an interruption from the last stored candle', async () => {
    // A stretch without exchange gaps (2018-01-01 → 2018-02-12), of which the first 300 candles are stored.
    const base = BTC_1H.findIndex((r) => r[0] >= Date.UTC(2018, 0, 1));
    const start = BTC_1H[base]![0];
    const end = BTC_1H[base + 1000]![0];
    await upsertCandles(t.db, key, BTC_1H.slice(base, base + 300));
    expect(await missingRanges(t.db, key, start, end), 'only after the stored candles').toEqual([{ from: BTC_1H[base + 300]![0], to: end }]);

    await startImport(t.db, userId, { ...key, startMs: start, endMs: end });
    const handler = createImportJobHandler({ exchangeFor: () => testExchange(server.baseUrl), pageLimit: 300 });
    // The first attempt dies after its first page (as if the worker were killed).
    await expect(runImportJob(handler, { interruptAfterPages: 1 })).rejects.toThrow('worker killed');
    const afterFirst = await readCandleSeries(t.db, key, start, end);
    expect(afterFirst.length, 'the first page was stored before the interruption').toBe(600);
    const lastStored = afterFirst.time[afterFirst.length - 1]!;
    const firstRequest = server.requests.find((r) => r.path === '/api/v3/klines')!;
    expect(Number(firstRequest.query.get('startTime')), 'no candle already stored was fetched').toBe(BTC_1H[base + 300]![0]);

    // The queue hands the job out again (lease expired); the retry continues after the last stored candle.
    await t.db.update(jobs).set({ status: 'queued', leaseOwner: null }).where(eq(jobs.type, MARKET_DATA_IMPORT_JOB));
    server.requests.length = 0;
    const { result } = await runImportJob(handler);
    const resumedFrom = Number(server.requests.find((r) => r.path === '/api/v3/klines')!.query.get('startTime'));
    expect(resumedFrom, 'resumed from the last stored candle + 1h').toBe(lastStored + H);
    const all = await readCandleSeries(t.db, key, start, end);
    expect(all.length, 'complete after the retry').toBe(1000);
    expect(result, 'nothing fetched twice').toMatchObject({ inserted: 400, updated: 0, unchanged: 0, fetched: 400 });
  });

  it('a job with nothing missing makes no exchange request', async () => {
    await upsertCandles(t.db, key, BTC_1H.slice(0, 200));
    await startImport(t.db, userId, { ...key, startMs: BTC_1H[0]![0], endMs: BTC_1H[199]![0] + H });
    const handler = createImportJobHandler({ exchangeFor: () => testExchange(server.baseUrl) });
    const { result } = await runImportJob(handler);
    expect(result.missingBefore).toBe(0);
    expect(server.count('GET', '/api/v3/klines'), 'nothing to fetch').toBe(0);
  });

  it('fails with a clear "exchange unreachable" message when the exchange cannot be reached, and is retryable', async () => {
    await startImport(t.db, userId, { ...key, startMs: BTC_1H[0]![0], endMs: BTC_1H[10]![0] });
    const handler = createImportJobHandler({ exchangeFor: () => testExchange('http://127.0.0.1:1', 1) });
    const error = await runImportJob(handler).catch((e: unknown) => e);
    expect(String((error as Error).message), 'says what is wrong').toMatch(/^exchange unreachable: could not get candles from binance/);
    expect(handler.isRetryable(error), 'the queue tries again later').toBe(true);
  });

  it('refuses bad requests naming the field; another user may follow the import but not cancel it', async () => {
    const bad = await startImport(t.db, userId, { ...key, startMs: 10 * H, endMs: 5 * H }).catch((e: unknown) => e);
    expect((bad as { details: { fields: Array<{ field: string }> } }).details.fields[0]!.field).toBe('end');
    const notEnabled = await startImport(t.db, userId, { ...key, exchange: 'nosuchexchange', startMs: 0, endMs: H }).catch((e: unknown) => e);
    expect((notEnabled as { details: { fields: Array<{ field: string }> } }).details.fields[0]!.field).toBe('exchange');
    const queued = await startImport(t.db, userId, { ...key, startMs: 0, endMs: H });
    const other = (await registerUser(t.db, { username: 'someone-else', password: 'someone password 1' })).id;
    expect((await getImport(t.db, queued.id)).id, 'imports are shared: anyone can follow one').toBe(queued.id);
    await expect(cancelImport(t.db, queued.id, other), 'only its owner cancels it').rejects.toMatchObject({ code: 'NOT_FOUND' });
    const timeframe = await startImport(t.db, userId, { ...key, timeframe: '7h', startMs: 0, endMs: H }).catch((e: unknown) => e);
    expect((timeframe as { details: { fields: Array<{ field: string }> } }).details.fields[0]!.field, 'an unknown timeframe names the field').toBe('timeframe');
  });
});

/**
 * A gate in front of the Binance test server: klines requests after the first `open` ones wait until
 * `release()`, so a test knows exactly which page is in flight when it acts.
 */
async function gatedProxy(target: () => string, open: number) {
  let klines = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let heldResolve!: () => void;
  const held = new Promise<void>((resolve) => (heldResolve = resolve));
  const proxy: Server = createServer((req, res) => {
    const isKlines = (req.url ?? '').startsWith('/api/v3/klines');
    const wait = isKlines && ++klines > open ? (heldResolve(), released) : Promise.resolve();
    void wait.then(() => {
      const upstream = request(`${target()}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    /** Resolves when a klines request is being held. */
    held,
    release,
    klines: () => klines,
    close: () => new Promise<void>((resolve) => (proxy.closeAllConnections(), proxy.close(() => resolve()))),
  };
}

describe('canceling an import', () => {
  it('a running import stops between pages, keeps the pages it stored and ends "canceled"', async () => {
    // 1000 hours without exchange gaps, from 2018-01-01.
    const base = BTC_1H.findIndex((r) => r[0] >= Date.UTC(2018, 0, 1));
    const start = BTC_1H[base]![0];
    const end = BTC_1H[base + 1000]![0];
    const queued = await startImport(t.db, userId, { ...key, startMs: start, endMs: end });
    const gate = await gatedProxy(() => server.baseUrl, 2);
    try {
      const handler = createImportJobHandler({ exchangeFor: () => testExchange(gate.baseUrl), pageLimit: 100 });
      const job = (await claimJob(t.db, 'test-worker', [MARKET_DATA_IMPORT_JOB], 30_000))!;
      // The job runner's context (server/worker/job-runner.ts): progress renews the lease and stops on a cancel.
      const context = {
        job,
        payload: parseJobPayload(MARKET_DATA_IMPORT_JOB, job.payload),
        workerId: 'test-worker',
        db: t.db,
        signal: new AbortController().signal,
        async progress(fraction: number, message?: string) {
          const lease = await heartbeatJob(t.db, job.id, 'test-worker', 30_000, { fraction, message });
          if (lease.cancelRequested) throw new JobInterrupted('canceled');
        },
      };
      const run = handler.run(context).then(
        (result) => completeJob(t.db, job.id, 'test-worker', result).then(() => 'completed'),
        async (error: unknown) => {
          if (!(error instanceof JobInterrupted)) throw error;
          await cancelRunningJob(t.db, job.id, 'test-worker');
          return 'canceled';
        },
      );

      await gate.held; // pages 1 and 2 are stored, page 3 is on its way
      expect((await readCandleSeries(t.db, key, start, end)).length).toBe(200);
      const asked = await cancelImport(t.db, queued.id, userId);
      expect(asked, 'still running until it reaches the end of the page').toMatchObject({ status: 'running', cancelRequested: true });
      gate.release();

      expect(await run, 'the handler stopped at the first progress report after the cancel').toBe('canceled');
      const stored = await readCandleSeries(t.db, key, start, end);
      expect(stored.length, 'the page in flight is stored too; nothing after it').toBe(300);
      expect(Array.from(stored.time)).toEqual(BTC_1H.slice(base, base + 300).map((r) => r[0]));
      expect(gate.klines(), 'no page was asked for after the cancel').toBe(3);
      const view = await getImport(t.db, queued.id);
      expect(view).toMatchObject({ status: 'canceled', cancelRequested: false, result: null, error: 'canceled by the user' });
      expect(view.progressMessage, 'the progress says what was kept').toMatch(/^300 candles stored/);
      expect(view.progress).toBeCloseTo(0.3, 5);

      await expect(cancelImport(t.db, queued.id, userId), 'a finished import cannot be canceled').rejects.toMatchObject({ code: 'CONFLICT' });

      // Imported again later, it fetches only what the canceled one did not store.
      await startImport(t.db, userId, { ...key, startMs: start, endMs: end });
      const { result } = await runImportJob(createImportJobHandler({ exchangeFor: () => testExchange(server.baseUrl), pageLimit: 1000 }));
      expect(result).toMatchObject({ missingBefore: 700, inserted: 700, unchanged: 0 });
    } finally {
      gate.release();
      await gate.close();
    }
  });

  it('a queued import is canceled at once and never runs; only its owner can cancel it', async () => {
    const queued = await startImport(t.db, userId, { ...key, startMs: BTC_1H[0]![0], endMs: BTC_1H[100]![0] });
    const other = (await registerUser(t.db, { username: 'not-the-owner', password: 'not the owner pw 1' })).id;
    await expect(cancelImport(t.db, queued.id, other), 'scoped by user').rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(cancelImport(t.db, 'not-a-uuid', userId)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const canceled = await cancelImport(t.db, queued.id, userId);
    expect(canceled).toMatchObject({ status: 'canceled', cancelRequested: false, error: 'canceled by the user' });
    expect(await claimJob(t.db, 'test-worker', [MARKET_DATA_IMPORT_JOB], 30_000), 'nothing left to run').toBeNull();
    expect(server.count('GET', '/api/v3/klines')).toBe(0);
  });
});

describe('exchange imports: any user, shared, deduplicated, throttled per user', () => {
  const range = { ...key, startMs: Date.UTC(2018, 0, 1), endMs: Date.UTC(2018, 1, 1) };

  it('a second request for the same series and range joins the queued import instead of queuing another', async () => {
    const alice = (await registerUser(t.db, { username: 'dedup-alice', password: 'dedup alice pw 1' })).id;
    const bob = (await registerUser(t.db, { username: 'dedup-bob', password: 'dedup bob pw 12' })).id;
    const first = await startImport(t.db, alice, range);
    expect(first.joined).toBe(false);
    const second = await startImport(t.db, bob, range);
    expect(second, 'the same job, marked as joined').toMatchObject({ id: first.id, joined: true });
    const inner = await startImport(t.db, bob, { ...range, startMs: range.startMs + 24 * H, endMs: range.endMs - 24 * H });
    expect(inner.id, 'a range inside the running one joins it too').toBe(first.id);
    const wider = await startImport(t.db, bob, { ...range, endMs: range.endMs + 24 * H });
    expect(wider.id, 'a range the running import does not cover is a new import').not.toBe(first.id);
    const other = await startImport(t.db, bob, { ...range, timeframe: '4h' });
    expect(other.id, 'another timeframe is another series').not.toBe(first.id);
    const queued = await t.db.select().from(jobs).where(eq(jobs.type, MARKET_DATA_IMPORT_JOB));
    expect(queued).toHaveLength(3);
  });

  it('concurrent identical requests queue exactly one import', async () => {
    const users = await Promise.all([1, 2, 3, 4, 5].map((i) => registerUser(t.db, { username: `burst-${i}`, password: `burst password ${i}` })));
    const views = await Promise.all(users.map((u) => startImport(t.db, u.id, range)));
    expect(new Set(views.map((v) => v.id)).size).toBe(1);
    expect(views.filter((v) => !v.joined)).toHaveLength(1);
  });

  it('a finished import is not joined: a new request queues a new one', async () => {
    const first = await startImport(t.db, userId, range);
    await t.db.update(jobs).set({ status: 'completed' }).where(eq(jobs.id, first.id));
    const again = await startImport(t.db, userId, range);
    expect(again.id).not.toBe(first.id);
  });

  it('each user may queue a limited number of new imports per window (429 with Retry-After); joining is free', async () => {
    const carol = (await registerUser(t.db, { username: 'throttle-carol', password: 'throttle carol 1' })).id;
    let clock = Date.UTC(2030, 0, 1);
    const throttle = { limit: 2, windowMs: 3_600_000, now: () => new Date(clock) };
    const day = (d: number) => ({ ...key, startMs: Date.UTC(2018, 0, d), endMs: Date.UTC(2018, 0, d + 1) });
    const a = await startImport(t.db, carol, day(1), Date.now(), { throttle });
    await startImport(t.db, carol, day(2), Date.now(), { throttle });
    const over = await startImport(t.db, carol, day(3), Date.now(), { throttle }).catch((e: unknown) => e);
    expect(over).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect((over as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds).toBeGreaterThan(0);
    expect((await startImport(t.db, carol, day(1), Date.now(), { throttle })).id, 'joining a running import is not throttled').toBe(a.id);
    const dave = (await registerUser(t.db, { username: 'throttle-dave', password: 'throttle dave 12' })).id;
    await expect(startImport(t.db, dave, day(3), Date.now(), { throttle }), 'per user: another user is not held back').resolves.toMatchObject({
      joined: false,
    });
    clock += 3_600_001;
    await expect(startImport(t.db, carol, day(4), Date.now(), { throttle }), 'the next window allows again').resolves.toMatchObject({ joined: false });
  });
});
