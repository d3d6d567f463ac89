import { describe, expect, it } from 'vitest';
import { parseIsoTimeUtc, parseTimeInput } from './time';

describe('the one time parser', () => {
  it('reads ISO 8601 without a zone as UTC, for users and files alike', () => {
    const ms = Date.UTC(2024, 0, 31, 9, 30);
    expect(parseIsoTimeUtc('2024-01-31T09:30')).toBe(ms);
    expect(parseIsoTimeUtc('2024-01-31T09:30', { file: true })).toBe(ms);
    expect(parseIsoTimeUtc('2024-01-31 09:30', { file: true }), 'files may separate with a space').toBe(ms);
    expect(parseIsoTimeUtc('2024-01-31 09:30'), 'users may not: Date.parse would read it in local time').toBeNaN();
    expect(parseIsoTimeUtc('2024-01-31T11:30+02:00')).toBe(ms);
    expect(parseIsoTimeUtc('2024-01-31 11:30 +0200', { file: true })).toBe(ms);
    expect(parseIsoTimeUtc('2024-02-30', { file: true }), 'a day the month does not have').toBeNaN();
  });

  it('takes a user time as epoch ms or ISO 8601, refusing anything else', () => {
    expect(parseTimeInput(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(parseTimeInput('1700000000000')).toBe(1_700_000_000_000);
    expect(parseTimeInput('2024-01-01')).toBe(Date.UTC(2024, 0, 1));
    for (const bad of [-1, 1.5, '-5', 'Jan 1 2024', '', 9e15]) expect(parseTimeInput(bad), String(bad)).toBeNaN();
  });
});
