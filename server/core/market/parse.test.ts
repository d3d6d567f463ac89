import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectCandleFormat, parseCandleFile, parseTimeField } from './parse';
import { findGaps, importCandles } from './validate';

const DATA = path.resolve(process.cwd(), '../shared/data');
const read = (file: string) => readFileSync(path.join(DATA, file), 'utf8');
const iso = (ms: number) => new Date(ms).toISOString();
const gapSummary = (gaps: { from: number; missing: number }[]) => gaps.map((g) => `${iso(g.from)}+${g.missing}`);

// Binance's six outages in the 1h files, as [first missing candle, missing count] — from the data README.
const BINANCE_1H_GAPS = [
  '2020-12-21T15:00:00.000Z+3',
  '2020-12-25T02:00:00.000Z+1',
  '2021-02-11T04:00:00.000Z+1',
  '2021-03-06T02:00:00.000Z+1',
  '2021-04-20T02:00:00.000Z+2',
  '2021-04-25T05:00:00.000Z+3',
];

describe('real Binance ccxt JSON files', () => {
  const cases = [
    ['BTC_USDT-1h.json', '1h', 5482, [1606780800000, 19695.87, 19720, 19479.8, 19565.47, 4570.361518], [1626552000000, 31834.33, 31898.5, 31723.08, 31723.09, 831.839377]],
    ['ETH_USDT-1h.json', '1h', 5482, [1606780800000, 616.65, 617.49, 603.08, 605.63, 70957.86207], [1626552000000, 1908.01, 1915.48, 1897.04, 1898.28, 13058.07835]],
    ['SOL_USDT-1h.json', '1h', 5482, [1606780800000, 1.9641, 1.9709, 1.95, 1.9534, 37793.09], [1626552000000, 27.144, 27.836, 27.141, 27.167, 187351.946]],
    ['BTC_USDT-5m.json', '5m', 65741, [1606780800000, 19695.87, 19720, 19578.96, 19607.03, 794.500517], [1626555900000, 31685.53, 31726.19, 31673.15, 31706.33, 65.710159]],
    ['ETH_USDT-5m.json', '5m', 65742, [1606780800000, 616.65, 617.49, 613.94, 615.06, 9670.10803], [1626556200000, 1897.08, 1901.29, 1896.75, 1899.55, 706.26721]],
    ['SOL_USDT-5m.json', '5m', 65744, [1606780800000, 1.9641, 1.9709, 1.961, 1.9612, 1325.86], [1626556800000, 27.3, 27.338, 27.257, 27.294, 4481.162]],
  ] as const;
  for (const [file, timeframe, count, first, last] of cases) {
    it(`${file}: ${count} candles, first and last exact, no rejections`, () => {
      const text = read(`binance/${file}`);
      expect(detectCandleFormat(text), 'an array of arrays is ccxt JSON').toBe('ccxt-json');
      const result = importCandles(text, timeframe);
      expect(result.accepted.length, 'every candle in the file is valid').toBe(count);
      expect(result.rejected, 'nothing to reject in the Binance export').toEqual([]);
      expect(result.accepted[0], 'first candle').toEqual(first);
      expect(result.accepted.at(-1), 'last candle').toEqual(last);
    });
  }

  it('BTC_USDT-1h: the six outages, and its zero-volume candles are kept', () => {
    const result = importCandles(read('binance/BTC_USDT-1h.json'), '1h');
    expect(gapSummary(result.gaps), 'gaps of the 1h file as documented').toEqual(BINANCE_1H_GAPS);
    expect(result.accepted.filter((r) => r[5] === 0).length, 'zero volume is a valid (quiet) candle').toBe(2);
  });

  it('BTC_USDT-5m: the same outages at 5m resolution', () => {
    const result = importCandles(read('binance/BTC_USDT-5m.json'), '5m');
    expect(gapSummary(result.gaps), 'gaps of the 5m file').toEqual([
      '2020-12-21T14:10:00.000Z+46',
      '2020-12-25T02:00:00.000Z+12',
      '2021-02-11T03:45:00.000Z+15',
      '2021-03-06T02:00:00.000Z+18',
      '2021-04-20T02:00:00.000Z+30',
      '2021-04-25T04:05:00.000Z+56',
    ]);
  });
});

describe('real Coinbase {"candles":[...]} 4h files', () => {
  it('BTC: 20695 candles from string fields, 3 gaps', () => {
    const text = read('coinbase/Coinbase-BTC-USD-PT4H-20160518_20251028.json');
    expect(detectCandleFormat(text), 'object with a candles array').toBe('objects-json');
    const result = importCandles(text, '4h');
    expect(result.accepted.length, 'row count').toBe(20695);
    expect(result.rejected, 'no invalid rows').toEqual([]);
    expect(result.accepted[0], 'start is unix SECONDS → ms; strings → numbers').toEqual([1463544000000, 456.16, 456.81, 455.3, 456.02, 561.88098307]);
    expect(result.accepted.at(-1), 'last candle').toEqual([1761609600000, 114087.06, 114553.83, 113570.73, 113912.05, 671.40683572]);
    expect(gapSummary(result.gaps), 'three gaps, as documented').toEqual(['2017-02-28T20:00:00.000Z+1', '2018-08-10T04:00:00.000Z+3', '2025-10-25T16:00:00.000Z+1']);
  });

  it('ETH: 20675 candles, first and last exact', () => {
    const result = importCandles(read('coinbase/Coinbase-ETH-USD-PT4H-20160518_20251028.json'), '4h');
    expect(result.accepted.length, 'row count').toBe(20675);
    expect(result.rejected, 'no invalid rows').toEqual([]);
    expect(result.accepted[0], 'first').toEqual([1463529600000, 12.5, 14.93, 12.5, 14, 23.51733077]);
    expect(result.accepted.at(-1), 'last').toEqual([1761609600000, 4120, 4141.94, 4070.01, 4094.15, 15210.02992667]);
    expect(result.gaps.length, 'the early ETH market was patchy: 9 gaps').toBe(9);
  });
});

describe('real Coinbase_BTCUSD_1h.csv (banner, header, newest first, AM/PM hours)', () => {
  const text = read('coinbase/Coinbase_BTCUSD_1h.csv');
  const result = importCandles(text, '1h');

  it('skips the banner, outputs ascending, reads 12-AM/12-PM right, takes volume_btc (base) over volume (quote)', () => {
    expect(detectCandleFormat(text), 'text with a header is CSV').toBe('csv');
    expect(result.accepted[0], 'oldest candle (last line of the file): 2017-07-01 11-AM').toEqual([Date.UTC(2017, 6, 1, 11), 2505.56, 2513.38, 2495.12, 2509.17, 114.6]);
    expect(result.accepted.at(-1), 'newest (line 2): 2019-10-17 09-AM, volume_btc 61.25 not USD 492394.56').toEqual([Date.UTC(2019, 9, 17, 9), 8051, 8056.83, 8021.23, 8035.88, 61.25]);
    const times = result.accepted.map((r) => r[0]);
    expect(times.every((t, i) => i === 0 || t > times[i - 1]!), 'strictly ascending').toBe(true);
    const noon = result.accepted.find((r) => r[0] === Date.UTC(2017, 6, 1, 12));
    expect(noon?.[1], '"2017-07-01 12-PM" is 12:00 UTC (open 2509.17)').toBe(2509.17);
    const midnight = result.accepted.find((r) => r[0] === Date.UTC(2017, 10, 11, 0));
    expect(midnight?.[1], '"2017-11-11 12-AM" is 00:00 UTC (open 6834.99)').toBe(6834.99);
  });

  it('rejects the five out-of-order rows 2017-11-12 04..08-AM (copies of the five hours before), by line index', () => {
    // Lines (1-based) 16901, 16903, 16905, 16907, 16909 → 0-based 16900.. — each interleaved in the wrong place.
    expect(result.rejected.map((r) => r.index), 'line indexes of the misplaced rows').toEqual([16900, 16902, 16904, 16906, 16908]);
    expect(result.rejected.every((r) => r.reason.startsWith('out of order')), 'reason names the order violation').toBe(true);
    expect(result.accepted.length, '20111 data lines minus the 5 rejected').toBe(20106);
    expect(gapSummary(result.gaps), 'those five hours are then missing').toEqual(['2017-11-12T04:00:00.000Z+5']);
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
    expect(result.accepted.map((r) => r[0]), 'three date styles parse to the same grid').toEqual([Date.UTC(2024, 0, 1, 0), Date.UTC(2024, 0, 1, 1), Date.UTC(2024, 0, 1, 2)]);
    expect(result.accepted[0], 'columns mapped by name').toEqual([Date.UTC(2024, 0, 1), 100, 102, 99, 101, 10]);
    expect(result.rejected.map((r) => r.index), 'line indexes of bad rows').toEqual([4, 5, 6]);
    expect(result.rejected[2]?.reason, 'low 95 > min(open 98, close 90)').toMatch(/low 95 is above/);
  });

  it('duplicate times: the first is kept and the duplicate names the kept index', () => {
    const parsed = parseCandleFile(JSON.stringify([[0, 1, 1, 1, 1, 1], [3600000, 1, 1, 1, 1, 1], [3600000, 2, 2, 2, 2, 2]]));
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
