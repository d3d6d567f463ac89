import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseIsoTimeUtc } from '@/server/core/time';
import { ZCreateBacktestRequestSchema } from './backtests';
import { ZTimeInput } from './market-data';

/** Run in a zone where local time is not UTC: a zone-less time must still be read as UTC. */
const savedTz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'America/New_York';
});
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const NEW_YEAR_UTC = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

it('backtest ranges and market-data times read zone-less date-times as UTC, as deployments do', () => {
  expect(Date.parse('2024-01-01T00:00'), 'this process is in New York').toBe(NEW_YEAR_UTC + 5 * HOUR);
  expect(ZTimeInput.parse('2024-01-01T00:00')).toBe(NEW_YEAR_UTC);
  const backtest = ZCreateBacktestRequestSchema.parse({
    strategyId: '00000000-0000-4000-8000-000000000000',
    start: '2024-01-01T00:00',
    end: '2024-01-02T00:00:00.5',
  });
  expect([backtest.start, backtest.end]).toEqual([NEW_YEAR_UTC, NEW_YEAR_UTC + 24 * HOUR + 500]);
});

it('parseIsoTimeUtc: dates, date-times with and without zones, and what it refuses', () => {
  expect(parseIsoTimeUtc('2024-01-01')).toBe(NEW_YEAR_UTC);
  expect(parseIsoTimeUtc('2024-01-01T01:02:03.456789Z')).toBe(NEW_YEAR_UTC + HOUR + 2 * 60_000 + 3_456);
  expect(parseIsoTimeUtc('2024-01-01T02:00+02:00')).toBe(NEW_YEAR_UTC);
  expect(parseIsoTimeUtc('2023-12-31T19:00-0500')).toBe(NEW_YEAR_UTC);
  expect(parseIsoTimeUtc('2024-02-29T00:00')).toBe(Date.UTC(2024, 1, 29));
  for (const bad of [
    '2024-01-01 00:00',
    'Jan 1 2024',
    '2023-02-29',
    '2024-13-01',
    '2024-01-01T24:00',
    '2024-01-01T00:60',
    '2024-01-01Z',
    '2024-01-01T00:00+25:00',
    '',
  ]) {
    expect(parseIsoTimeUtc(bad), bad).toBeNaN();
  }
});
