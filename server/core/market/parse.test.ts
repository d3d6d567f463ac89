import { describe, expect, it } from 'vitest';
import { fixtureText } from '@/server/testing/fixtures';
import { detectCandleFormat, parseCandleFile, parseTimeField } from './parse';
import { findGaps, importCandles } from './validate';
import { msToIso } from '../time';

const gapSummary = (gaps: { from: number; missing: number }[]) => gaps.map((g) => `${msToIso(g.from)}+${g.missing}`);

// The real files are the repository's fixtures (server/testing/fixtures/candles, see its README).
const BTC_4H_GAPS = ['2017-02-28T20:00:00.000Z+1', '2018-08-10T04:00:00.000Z+3', '2025-10-25T16:00:00.000Z+1'];

describe('ccxt JSON (what fetchOHLCV exports) with the real values of the Coinbase 4h file', () => {
  // The same candles as [timeMs, open, high, low, close, volume] arrays, once as numbers and once as strings.
  const candles = importCandles(fixtureText('btc-usd-4h'), '4h').accepted;

  it.each([
    ['numbers', JSON.stringify(candles)],
    ['numeric strings', JSON.stringify(candles.map((row) => [row[0], ...row.slice(1).map(String)]))],
  ])('%s: every candle back exactly, the three outages found', (_label, text) => {
    expect(detectCandleFormat(text), 'an array of arrays is ccxt JSON').toBe('ccxt-json');
    const result = importCandles(text, '4h');
    expect(result.rejected, 'nothing to reject').toEqual([]);
    expect(result.accepted, 'the same rows, value for value').toEqual(candles);
    expect(gapSummary(result.gaps), 'gaps of the 4h series').toEqual(BTC_4H_GAPS);
  });
});

describe('real Coinbase {"candles":[...]} 4h files', () => {
  it('BTC: 20695 candles from string fields, 3 gaps', () => {
    const text = fixtureText('btc-usd-4h');
    expect(detectCandleFormat(text), 'object with a candles array').toBe('objects-json');
    const result = importCandles(text, '4h');
    expect(result.accepted.length, 'row count').toBe(20695);
    expect(result.rejected, 'no invalid rows').toEqual([]);
    expect(result.accepted[0], 'start is unix SECONDS → ms; strings → numbers').toEqual([1463544000000, 456.16, 456.81, 455.3, 456.02, 561.88098307]);
    expect(result.accepted.at(-1), 'last candle').toEqual([1761609600000, 114087.06, 114553.83, 113570.73, 113912.05, 671.40683572]);
    expect(gapSummary(result.gaps), 'three gaps, as documented').toEqual(BTC_4H_GAPS);
  });

  it('ETH: 20675 candles, first and last exact', () => {
    const result = importCandles(fixtureText('eth-usd-4h'), '4h');
    expect(result.accepted.length, 'row count').toBe(20675);
    expect(result.rejected, 'no invalid rows').toEqual([]);
    expect(result.accepted[0], 'first').toEqual([1463529600000, 12.5, 14.93, 12.5, 14, 23.51733077]);
    expect(result.accepted.at(-1), 'last').toEqual([1761609600000, 4120, 4141.94, 4070.01, 4094.15, 15210.02992667]);
    expect(result.gaps.length, 'the early ETH market was patchy: 9 gaps').toBe(9);
  });
});

describe('real Coinbase_BTCUSD_1h.csv (banner, header, newest first, AM/PM hours)', () => {
  const text = fixtureText('btc-usd-1h');
  const result = importCandles(text, '1h');

  it('skips the banner, outputs ascending, reads 12-AM/12-PM right, takes volume_btc (base) over volume (quote)', () => {
    expect(detectCandleFormat(text), 'text with a header is CSV').toBe('csv');
    expect(result.accepted[0], 'oldest candle (last line of the file): 2017-07-01 11-AM').toEqual([
      Date.UTC(2017, 6, 1, 11),
      2505.56,
      2513.38,
      2495.12,
      2509.17,
      114.6,
    ]);
    expect(result.accepted.at(-1), 'newest (line 2): 2019-10-17 09-AM, volume_btc 61.25 not USD 492394.56').toEqual([
      Date.UTC(2019, 9, 17, 9),
      8051,
      8056.83,
      8021.23,
      8035.88,
      61.25,
    ]);
    const times = result.accepted.map((r) => r[0]);
    expect(
      times.every((t, i) => i === 0 || t > times[i - 1]!),
      'strictly ascending',
    ).toBe(true);
    const noon = result.accepted.find((r) => r[0] === Date.UTC(2017, 6, 1, 12));
    expect(noon?.[1], '"2017-07-01 12-PM" is 12:00 UTC (open 2509.17)').toBe(2509.17);
    const midnight = result.accepted.find((r) => r[0] === Date.UTC(2017, 10, 11, 0));
    expect(midnight?.[1], '"2017-11-11 12-AM" is 00:00 UTC (open 6834.99)').toBe(6834.99);
  });

  it('rejects the five out-of-order rows 2017-11-12 04..08-AM (copies of the five hours before), by line index', () => {
    // Lines (1-based) 16901, 16903, 16905, 16907, 16909 → 0-based 16900.. — each interleaved in the wrong place.
    expect(
      result.rejected.map((r) => r.index),
      'line indexes of the misplaced rows',
    ).toEqual([16900, 16902, 16904, 16906, 16908]);
    expect(
      result.rejected.every((r) => r.reason.startsWith('out of order')),
      'reason names the order violation',
    ).toBe(true);
    expect(result.accepted.length, '20111 data lines minus the 5 rejected').toBe(20106);
    expect(gapSummary(result.gaps), 'those five hours are then missing').toEqual(['2017-11-12T04:00:00.000Z+5']);
  });

  it('keeps its 28 zero-volume candles: quiet hours, and the 2018-08-10 outage filled with one flat price', () => {
    const quiet = result.accepted.filter((r) => r[5] === 0);
    expect(quiet.length, 'zero volume is a valid (quiet) candle').toBe(28);
    const outage = quiet.filter((r) => r[0] >= Date.UTC(2018, 7, 10, 1) && r[0] <= Date.UTC(2018, 7, 10, 15));
    expect(outage.length, '15 hours without trades while Coinbase was down (the 4h file has no candles there)').toBe(15);
    expect(new Set(outage.map((r) => r[4])).size, 'all at one price').toBe(1);
  });
});

describe('synthetic inputs', () => {
  it('CSV in any column order, ISO / seconds / ms dates, semicolons, bad rows reported with their line index', () => {
    const csv = [
      'Volume;Close;Low;High;Open;Timestamp',
      '10;101;99;102;100;2024-01-01T00:00:00Z',
      '11;102;100;103;101;1704070800',
      '12;103;101;104;102;1704074400000',
      'x;1;1;1;1;1704078000000',
      '13;104;102;105;103;not-a-date',
      '14;90;95;99;98;1704081600000',
    ].join('\n');
    const result = importCandles(csv, '1h');
    expect(
      result.accepted.map((r) => r[0]),
      'three date styles parse to the same grid',
    ).toEqual([Date.UTC(2024, 0, 1, 0), Date.UTC(2024, 0, 1, 1), Date.UTC(2024, 0, 1, 2)]);
    expect(result.accepted[0], 'columns mapped by name').toEqual([Date.UTC(2024, 0, 1), 100, 102, 99, 101, 10]);
    expect(
      result.rejected.map((r) => r.index),
      'line indexes of bad rows',
    ).toEqual([4, 5, 6]);
    expect(result.rejected[2]?.reason, 'low 95 > min(open 98, close 90)').toMatch(/low 95 is above/);
  });

  it('duplicate times: the first is kept and the duplicate names the kept index', () => {
    const parsed = parseCandleFile(
      JSON.stringify([
        [0, 1, 1, 1, 1, 1],
        [3600000, 1, 1, 1, 1, 1],
        [3600000, 2, 2, 2, 2, 2],
      ]),
    );
    expect(parsed.rows.length, 'one of the duplicates is dropped').toBe(2);
    expect(parsed.rejected, 'reported with the kept index').toEqual([{ index: 2, reason: 'duplicate time 1970-01-01T01:00:00.000Z (kept index 1)' }]);
  });

  it('time parsing: AM/PM edge hours, ISO offsets, epoch magnitudes, nonsense', () => {
    expect(parseTimeField('2019-10-17 12-AM'), '12-AM is midnight').toBe(Date.UTC(2019, 9, 17, 0));
    expect(parseTimeField('2019-10-17 12-PM'), '12-PM is noon').toBe(Date.UTC(2019, 9, 17, 12));
    expect(parseTimeField('2019-10-17 01-PM'), '01-PM is 13:00').toBe(Date.UTC(2019, 9, 17, 13));
    expect(parseTimeField('2024-03-01T02:00:00+02:00'), 'offset subtracted').toBe(Date.UTC(2024, 2, 1, 0));
    expect(parseTimeField('2024-03-01 05:00'), 'no zone = UTC').toBe(Date.UTC(2024, 2, 1, 5));
    expect(parseTimeField('1463544000'), 'seconds').toBe(1463544000000);
    expect(parseTimeField(1463544000000), 'ms').toBe(1463544000000);
    expect(parseTimeField('2024-02-30'), 'impossible date').toBeUndefined();
    expect(parseTimeField(''), 'empty').toBeUndefined();
  });

  it('findGaps with a range reports leading and trailing holes', () => {
    const h = 3_600_000;
    expect(findGaps([2 * h, 3 * h, 6 * h], '1h', { startMs: 0, endMs: 8 * h }), 'holes at 0-2, 4-6, 7-8').toEqual([
      { from: 0, to: 2 * h, missing: 2 },
      { from: 4 * h, to: 6 * h, missing: 2 },
      { from: 7 * h, to: 8 * h, missing: 1 },
    ]);
    expect(findGaps([], '1h', { startMs: 0, endMs: 3 * h }), 'nothing stored = one gap').toEqual([{ from: 0, to: 3 * h, missing: 3 }]);
  });
});
