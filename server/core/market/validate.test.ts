import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateCandles } from './validate';

const H = 3_600_000;

describe('validateCandles', () => {
  it('rejects each kind of bad row with a reason, keeps the good ones sorted', () => {
    const rows = [
      [2 * H, 10, 12, 9, 11, 5], // 0 ok (out of order on purpose)
      [H, NaN, 12, 9, 11, 5], // 1 NaN
      [H, 10, Infinity, 9, 11, 5], // 2 Infinity
      [3 * H, 10, 10.5, 9, 11, 5], // 3 high < close
      [4 * H, 10, 12, 10.5, 11, 5], // 4 low > open
      [5 * H, 10, 12, 9, 11, -1], // 5 negative volume
      [5 * H + 60_000, 10, 12, 9, 11, 1], // 6 not aligned to 1h
      [0, 10, 12, 9, 11, 0], // 7 ok, zero volume allowed
      [2 * H, 10, 13, 9, 11, 7], // 8 duplicate of index 0
      [6 * H, 0, 1, 0, 1, 1], // 9 zero price
    ];
    const { accepted, rejected } = validateCandles(rows, '1h');
    expect(
      accepted.map((r) => r[0]),
      'valid rows, ascending',
    ).toEqual([0, 2 * H]);
    expect(accepted[1]?.[2], 'the FIRST of the duplicates is kept').toBe(12);
    const reasons = Object.fromEntries(rejected.map((r) => [r.index, r.reason]));
    expect(Object.keys(reasons).map(Number), 'every bad row reported once').toEqual([1, 2, 3, 4, 5, 6, 8, 9]);
    expect(reasons[1], 'NaN').toMatch(/open is not a finite number/);
    expect(reasons[2], 'Infinity').toMatch(/high is not a finite number/);
    expect(reasons[3], 'high').toMatch(/high 10.5 is below max/);
    expect(reasons[4], 'low').toMatch(/low 10.5 is above min/);
    expect(reasons[5], 'volume').toMatch(/negative volume/);
    expect(reasons[6], 'alignment').toMatch(/not aligned to 1h/);
    expect(reasons[8], 'names the kept index').toMatch(/duplicate time .*\(kept index 0\)/);
    expect(reasons[9], 'zero price').toMatch(/positive/);
  });

  it('property: accepted rows always satisfy the invariants, and accepted + rejected = input', () => {
    const num = fc.oneof(fc.double({ min: -10, max: 1000 }), fc.constantFrom(NaN, Infinity, 0));
    const row = fc.tuple(
      fc.integer({ min: 0, max: 20 }).map((k) => k * 300_000 + (k % 7 === 0 ? 1 : 0)),
      num,
      num,
      num,
      num,
      num,
    );
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const { accepted, rejected } = validateCandles(rows, '5m');
        expect(accepted.length + rejected.length, 'every input row is accounted for').toBe(rows.length);
        for (let i = 0; i < accepted.length; i++) {
          const [t, o, h, l, c, v] = accepted[i]!;
          expect(h >= Math.max(o, c) && l <= Math.min(o, c) && v >= 0 && t % 300_000 === 0, 'invariants').toBe(true);
          if (i > 0) expect(t > accepted[i - 1]![0], 'strictly ascending').toBe(true);
        }
      }),
    );
  });
});
