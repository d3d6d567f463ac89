import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/server/core/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows, fixtureText } from '@/server/testing/fixtures';
import { auditEvents } from '@/db/schema';
import { registerUser } from '@/server/services/auth/users';
import { eq } from 'drizzle-orm';
import { readCandleSeries, upsertCandles } from './candles';
import { readCoverage } from './coverage';
import { importCandleFile, ingestCandleRows, MAX_CANDLES_PER_REQUEST } from './ingest';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

const H = 3_600_000;

describe('ingestCandleRows (request bodies)', () => {
  it('stores the good rows and rejects each bad one with its index and reason', async () => {
    const key = { exchange: 'binance', symbol: 'ING/USDT', timeframe: '1h' };
    const rows: unknown[] = [
      [0, 100, 110, 90, 105, 1], // 0 ok
      [H, 'NaN', 110, 90, 105, 1], // 1 string (JSON cannot carry NaN)
      [2 * H, 100, 110, 90, null, 1], // 2 null
      [3 * H, 100, 99, 90, 105, 1], // 3 high < max(open, close)
      [4 * H, 100, 110, 101, 105, 1], // 4 low > min(open, close)
      [5 * H, 100, 110, 90, 105, -1], // 5 negative volume
      [5 * H + 60_000, 100, 110, 90, 105, 1], // 6 not aligned to 1h
      [0, 100, 110, 90, 105, 2], // 7 duplicate of 0
      [6 * H, 100, 110, 90], // 8 too short
      'row', // 9 not an array
      [7 * H, 100, 110, 90, 105, 3], // 10 ok
    ];
    const result = await ingestCandleRows(t.db, key, rows);
    expect(result.inserted, 'the two good rows stored').toBe(2);
    expect(
      result.rejected.map((r) => r.index),
      'every bad row reported, in order',
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const reason = (i: number) => result.rejected.find((r) => r.index === i)!.reason;
    expect(reason(1)).toMatch(/open must be a number or a decimal string, got "NaN"/);
    expect(reason(2)).toMatch(/close must be a number or a decimal string, got null/);
    expect(reason(3)).toMatch(/high 99 is below max\(open, close\) 105/);
    expect(reason(4)).toMatch(/low 101 is above/);
    expect(reason(5)).toMatch(/negative volume/);
    expect(reason(6)).toMatch(/not aligned to 1h/);
    expect(reason(7), 'duplicate names the kept row in request terms').toMatch(/duplicate time .*kept index 0/);
    const stored = await readCandleSeries(t.db, key, 0, 10 * H);
    expect(Array.from(stored.time)).toEqual([0, 7 * H]);
    expect(stored.volume[0], 'the first of two duplicates is kept').toBe(1);

    const asText = await ingestCandleRows(t.db, key, [['1970-01-01T08:00:00Z', '100', '110.5', 90, '105', '1e1']]);
    expect(asText, 'prices as decimal strings and the time as ISO 8601, as everywhere in the API').toEqual({
      inserted: 1,
      updated: 0,
      unchanged: 0,
      rejected: [],
    });
    expect((await readCandleSeries(t.db, key, 8 * H, 9 * H)).high[0]).toBe(110.5);

    const again = await ingestCandleRows(t.db, key, [
      [0, 100, 110, 90, 105, 9],
      [7 * H, 100, 110, 90, 105, 3],
    ]);
    expect(again, 'second request: one changed, one identical').toEqual({ inserted: 0, updated: 1, unchanged: 1, rejected: [] });
  });

  it('refuses a bad series key naming the field, and an oversized request', async () => {
    const error = await ingestCandleRows(t.db, { exchange: 'Binance!', symbol: 'btcusdt', timeframe: '2x' }, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).details?.fields?.map((f) => f.field)).toEqual(['exchange', 'symbol', 'timeframe']);
    const big = await ingestCandleRows(
      t.db,
      { exchange: 'binance', symbol: 'BIG/USDT', timeframe: '1h' },
      new Array(MAX_CANDLES_PER_REQUEST + 1).fill([0, 1, 1, 1, 1, 1]),
    ).catch((e: unknown) => e);
    expect((big as AppError).details?.fields?.[0]?.field, 'the cap names candles').toBe('candles');
  });
});

describe('importCandleFile on the real files (the repository fixtures)', () => {
  it('Coinbase ETH/USD 4h as ccxt JSON: all rows stored, the 9 known gaps found by coverage', async () => {
    const key = { exchange: 'coinbase', symbol: 'ETH/USD', timeframe: '4h' };
    const rows = fixtureRows('eth-usd-4h');
    const text = JSON.stringify(rows);
    const result = await importCandleFile(t.db, key, text);
    expect(result.format).toBe('ccxt-json');
    expect(result.inserted, 'every row of the file is new').toBe(rows.length);
    expect(result.rejected).toEqual([]);
    expect(result.gaps.length, 'the series has 9 gaps').toBe(9);

    const [coverage] = await readCoverage(t.db, key);
    expect(coverage!.count).toBe(rows.length);
    expect(coverage!.gapCount, 'coverage finds the same gaps in the table').toBe(9);
    expect(coverage!.gaps, 'gap-for-gap identical to the file parser').toEqual(result.gaps);
    expect(coverage!.gaps[0], 'after the first candle (2016-05-18 00:00 UTC), 3 missing').toEqual({
      from: Date.UTC(2016, 4, 18, 4),
      to: Date.UTC(2016, 4, 18, 16),
      missing: 3,
    });
    expect(coverage!.missing).toBe(result.gaps.reduce((s, g) => s + g.missing, 0));

    const reimport = await importCandleFile(t.db, key, text);
    expect(reimport, 'a second import of the same file changes nothing').toMatchObject({ inserted: 0, updated: 0, unchanged: rows.length });
  });

  it('Coinbase BTC/USD 4h (objects JSON, strings): 3 gaps', async () => {
    const key = { exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '4h' };
    const result = await importCandleFile(t.db, key, fixtureText('btc-usd-4h'));
    expect(result.format).toBe('objects-json');
    expect(result.inserted).toBeGreaterThan(20_000);
    const [coverage] = await readCoverage(t.db, key);
    expect(coverage!.gapCount, 'the 4h Coinbase series has 3 gaps').toBe(3);
    expect(coverage!.count).toBe(result.accepted);
  });

  it('Coinbase BTC/USD 1h CSV (banner, newest first): stored ascending, rejected lines reported by line index', async () => {
    const key = { exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '1h' };
    const result = await importCandleFile(t.db, key, fixtureText('btc-usd-1h'));
    expect(result.format).toBe('csv');
    expect(result.accepted + result.rejected.length, 'every data line accounted for (20,111 rows)').toBe(20_111);
    expect(result.firstMs!, 'ascending although the file is newest first').toBeLessThan(result.lastMs!);
    const series = await readCandleSeries(t.db, key, 0, Number.MAX_SAFE_INTEGER);
    expect(series.length).toBe(result.accepted);
    expect(series.time[0]).toBe(Date.UTC(2017, 6, 1, 11));
  });

  it('an unreadable file is a 422 naming "file"', async () => {
    const error = (await importCandleFile(t.db, { exchange: 'binance', symbol: 'BAD/USDT', timeframe: '1h' }, 'hello,world\n1,2').catch(
      (e: unknown) => e,
    )) as AppError;
    expect(error.code).toBe('UNPROCESSABLE');
    expect(error.details?.fields?.[0]?.field).toBe('file');
  });
});

describe('an upload that does not look like the chosen series asks for confirmation', () => {
  // Real BTC levels (Coinbase BTC-USD 4h, ~9-60k in 2020-21) stored as kraken BTC/USDT; a SOL-like file (~150) chosen as the same market.
  const btc = fixtureRows('btc-usd-4h').filter((r) => r[0] >= Date.UTC(2021, 0, 1) && r[0] < Date.UTC(2021, 2, 1));
  const sol = btc.map((r) => [r[0], r[1] / 300, r[2] / 300, r[3] / 300, r[4] / 300, r[5]] as const);
  const key = { exchange: 'kraken', symbol: 'BTC/USDT', timeframe: '4h' };

  it('409 "confirm" when the median close is more than 5x from the stored market; stored nothing; confirm: true imports and is audited', async () => {
    await upsertCandles(t.db, key, btc);
    const before = (await readCandleSeries(t.db, key, 0, Number.MAX_SAFE_INTEGER)).length;
    const refused = (await importCandleFile(t.db, key, JSON.stringify(sol)).catch((e: unknown) => e)) as AppError;
    expect(refused).toBeInstanceOf(AppError);
    expect(refused.code, 'a conflict with the stored data: 409').toBe('CONFLICT');
    expect(refused.message).toMatch(/^confirm: .*median close.*kraken/);
    expect(refused.details).toMatchObject({ reason: 'price_level', confirm: expect.any(String) });
    expect((refused.details as { storedMedianClose: number }).storedMedianClose).toBeGreaterThan(10_000);
    expect((await readCandleSeries(t.db, key, 0, Number.MAX_SAFE_INTEGER)).length, 'nothing stored without confirmation').toBe(before);

    const uploader = await registerUser(t.db, { username: 'confirming-admin', password: 'confirming admin 1' });
    const confirmed = await importCandleFile(t.db, key, JSON.stringify(sol), { confirm: true, userId: uploader.id, ip: '203.0.113.9' });
    expect(confirmed.updated, 'the confirmed file replaced the stored candles of the same times').toBe(sol.length);
    const audited = await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'market_data.price_level_confirmed'));
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ userId: uploader.id, ip: '203.0.113.9', details: { exchange: 'kraken', symbol: 'BTC/USDT', reason: 'price_level' } });
  });

  it('a level within 5x, other dates, or a market with nothing stored yet, import without asking', async () => {
    const other = { ...key, symbol: 'LEVEL/USDT' };
    await upsertCandles(t.db, other, btc);
    const halved = btc.map((r) => [r[0], r[1] / 2, r[2] / 2, r[3] / 2, r[4] / 2, r[5]] as const);
    await expect(importCandleFile(t.db, other, JSON.stringify(halved)), 'within 5x').resolves.toMatchObject({ updated: halved.length });
    const years = 3 * 365 * 86_400_000;
    const later = sol.map((r) => [r[0] + years, r[1], r[2], r[3], r[4], r[5]] as const);
    await expect(importCandleFile(t.db, other, JSON.stringify(later)), 'no stored candles on those dates: nothing to compare').resolves.toMatchObject({
      inserted: later.length,
    });
    await expect(importCandleFile(t.db, { ...key, symbol: 'NEW/USDT' }, JSON.stringify(sol))).resolves.toMatchObject({ inserted: sol.length });
  });

  it('candles spaced by another timeframe than the chosen one ask for confirmation too', async () => {
    const hourly = fixtureRows('btc-usd-1h').slice(0, 300);
    const refused = (await importCandleFile(t.db, { exchange: 'coinbase', symbol: 'SPACING/USD', timeframe: '4h' }, JSON.stringify(hourly)).catch(
      (e: unknown) => e,
    )) as AppError;
    expect(refused.code).toBe('CONFLICT');
    expect(refused.details).toMatchObject({ reason: 'timeframe_mismatch', fileTimeframe: '1h' });
    expect(refused.message).toMatch(/1h apart, not 4h/);
  });
});
