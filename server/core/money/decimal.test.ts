import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import Decimal from 'decimal.js';
import {
  add,
  floatToDecimalString,
  compare,
  decimalFromNumber,
  div,
  formatDecimal,
  isMultipleOfStep,
  mul,
  parseDecimal,
  parseDecimalString,
  roundToDecimals,
  roundToStep,
  sub,
  sum,
} from './decimal';
import { DomainError } from './errors';

function rejection(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe('parseDecimal', () => {
  it('accepts plain, fractional, exponent and numeric inputs and canonicalises them', () => {
    expect(parseDecimalString('64000.50', 'price'), 'trailing zeros are not part of the value').toBe('64000.5');
    expect(parseDecimalString('1e-3', 'quantity'), 'exponent input is formatted without an exponent').toBe('0.001');
    expect(parseDecimalString(0.1, 'quantity'), 'a float is read by its shortest representation').toBe('0.1');
    expect(parseDecimalString(12n, 'quantity'), 'bigints are integers').toBe('12');
    expect(parseDecimalString('0.000000000000000001', 'quantity'), '18 decimal places is the limit, inclusive').toBe('0.000000000000000001');
    expect(parseDecimalString('1000000000000000', 'notional'), '1e15 itself is allowed').toBe('1000000000000000');
  });

  it.each([
    ['NaN', 'must be a decimal number'],
    ['Infinity', 'must be a decimal number'],
    ['-Infinity', 'must be a decimal number'],
    ['', 'must be a decimal number'],
    [' 1', 'must be a decimal number'],
    ['0x10', 'must be a decimal number'],
    ['1,5', 'must be a decimal number'],
    ['+1', 'must be a decimal number'],
    ['.5', 'must be a decimal number'],
    ['1e309', 'magnitude exceeds 1e15'],
    ['1000000000000000.1', 'magnitude exceeds 1e15'],
    ['-1e16', 'magnitude exceeds 1e15'],
    ['0.0000000000000000001', 'has more than 18 decimal places'],
    ['1e-19', 'has more than 18 decimal places'],
    ['-1', 'must not be negative'],
    ['-0', 'must not be negative zero'],
    ['-0.0', 'must not be negative zero'],
  ])('rejects %j: %s', (input, reason) => {
    const error = rejection(() => parseDecimal(input, 'quantity'));
    expect(error.field, 'the error names the field at fault').toBe('quantity');
    expect(error.reason, 'the error says why').toBe(reason);
  });

  it.each([
    [Number.NaN, 'must be a finite decimal number'],
    [Number.POSITIVE_INFINITY, 'must be a finite decimal number'],
    [1e309, 'must be a finite decimal number'],
    [-0, 'must not be negative zero'],
    [null, 'must be a decimal number'],
    [undefined, 'must be a decimal number'],
    [{}, 'must be a decimal number'],
  ])('rejects the non-string %p', (input, reason) => {
    expect(rejection(() => parseDecimal(input, 'price')).reason, 'non-finite numbers and non-numbers are refused').toBe(reason);
  });

  it('applies allowZero, allowNegative, min and max', () => {
    expect(rejection(() => parseDecimal('0', 'quantity', { allowZero: false })).reason, 'zero quantity').toBe('must be greater than zero');
    expect(rejection(() => parseDecimal('-0', 'pnl', { allowNegative: true, allowZero: false })).reason).toBe('must be greater than zero');
    expect(parseDecimalString('-0', 'pnl', { allowNegative: true }), '-0 loses its sign where negatives are allowed').toBe('0');
    expect(parseDecimalString('-12.5', 'pnl', { allowNegative: true }), 'negative PnL is a value').toBe('-12.5');
    expect(rejection(() => parseDecimal('0.5', 'feeRate', { max: '0.1' })).reason, 'above max').toBe('must be at most 0.1');
    expect(rejection(() => parseDecimal('5', 'quantity', { min: '10' })).reason, 'below min').toBe('must be at least 10');
    expect(parseDecimalString('10', 'quantity', { min: '10', max: '10' }), 'bounds are inclusive').toBe('10');
  });

  it('round-trips: format(parse(s)) is canonical and parse(format(x)) = x', () => {
    const decimalString = fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 999_999_999_999_999n }), fc.integer({ min: 0, max: 18 }))
      .map(([negative, digits, scale]) => {
        const padded = digits.toString().padStart(scale + 1, '0');
        const integerPart = padded.slice(0, padded.length - scale);
        const fraction = padded.slice(padded.length - scale);
        return `${negative ? '-' : ''}${integerPart}${scale > 0 ? `.${fraction}` : ''}`;
      });
    fc.assert(
      fc.property(decimalString, (input) => {
        const canonical = parseDecimalString(input, 'value', { allowNegative: true });
        expect(canonical, 'canonical form has no exponent, no trailing fractional zeros').toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
        expect(parseDecimalString(canonical, 'value', { allowNegative: true }), 'formatting is idempotent').toBe(canonical);
        expect(compare(canonical, input), 'canonicalising never changes the value').toBe(0);
      }),
    );
  });

  it('round-trips every finite double within range through decimalFromNumber', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e15, max: 1e15, noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = formatDecimal(decimalFromNumber(value));
        expect(text, 'never an exponent').not.toMatch(/e/i);
        const back = parseDecimal(text, 'value', { allowNegative: true });
        expect(back.decimalPlaces(), 'at most 18 decimal places').toBeLessThanOrEqual(18);
        expect(Math.abs(Number(text) - value), 'within half a unit of the 18th decimal place').toBeLessThanOrEqual(5e-19 + Math.abs(value) * Number.EPSILON);
      }),
    );
  });
});

describe('arithmetic', () => {
  it('is exact where floats are not', () => {
    expect(formatDecimal(add('0.1', '0.2')), '0.1 + 0.2 is exactly 0.3').toBe('0.3');
    expect(formatDecimal(sub('1', '0.9')), '1 - 0.9 is exactly 0.1').toBe('0.1');
    expect(formatDecimal(mul('0.000000000000000001', '0.000000000000000001')), 'products keep every digit').toBe('0.000000000000000000000000000000000001');
    expect(
      formatDecimal(mul('999999999999999.999999999999999999', '999999999999999.999999999999999999')),
      '(1e15 - 1e-18)^2 = 1e30 - 0.002 + 1e-36, every digit kept',
    ).toBe(`${'9'.repeat(30)}.998${'0'.repeat(32)}1`);
    expect(formatDecimal(div('1', '4')), 'terminating quotients are exact').toBe('0.25');
    expect(formatDecimal(sum(['1.1', '2.2', '-3.3'])), 'sums are exact').toBe('0');
    expect(compare('1.50', '1.5'), 'compare is numeric, not textual').toBe(0);
    expect(compare('2', '10'), 'compare is numeric, not textual').toBe(-1);
  });

  it('refuses division by zero and non-finite operands', () => {
    expect(rejection(() => div('1', '0', 'price')).code, 'x/0 is an error, not Infinity').toBe('division_by_zero');
    expect(rejection(() => add(Number.NaN, '1')).reason, 'NaN never enters the arithmetic').toBe('must be a finite decimal number');
    expect(rejection(() => add('Infinity', '1')).reason, 'Infinity never enters the arithmetic').toBe('must be a finite decimal number');
  });
});

describe('rounding to exchange precision', () => {
  it('rounds to a tick or lot size down, up and to nearest', () => {
    expect(formatDecimal(roundToStep('0.123456', '0.001', 'down')), 'lot size truncation').toBe('0.123');
    expect(formatDecimal(roundToStep('0.123456', '0.001', 'up'))).toBe('0.124');
    expect(formatDecimal(roundToStep('0.1235', '0.001', 'nearest')), 'ties round away from zero').toBe('0.124');
    expect(formatDecimal(roundToStep('0.1234', '0.001', 'nearest'))).toBe('0.123');
    expect(formatDecimal(roundToStep('64012.37', '0.5', 'down')), 'non-decimal tick sizes').toBe('64012');
    expect(formatDecimal(roundToStep('1', '0.003', 'down')), 'steps that do not divide a power of ten').toBe('0.999');
    expect(formatDecimal(roundToStep('1234', '25', 'up'))).toBe('1250');
    expect(formatDecimal(roundToStep('-0.1234', '0.01', 'down')), 'down is toward minus infinity').toBe('-0.13');
    expect(formatDecimal(roundToDecimals('1.23456', 2, 'down'))).toBe('1.23');
    expect(formatDecimal(roundToDecimals('1.23156', 2, 'up'))).toBe('1.24');
    expect(rejection(() => roundToStep('1', '0', 'down')).field, 'a zero step is refused').toBe('step');
  });

  it('always yields a multiple of the step, within one step, on the requested side', () => {
    const positiveDecimal = fc
      .tuple(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.integer({ min: 0, max: 10 }))
      .map(([digits, scale]) => formatDecimal(div(digits.toString(), `1e${scale}`)));
    fc.assert(
      fc.property(positiveDecimal, positiveDecimal, (value, step) => {
        const down = roundToStep(value, step, 'down');
        const up = roundToStep(value, step, 'up');
        const nearest = roundToStep(value, step, 'nearest');
        for (const rounded of [down, up, nearest]) {
          expect(isMultipleOfStep(rounded, step), 'every rounding lands on the grid').toBe(true);
        }
        expect(compare(down, value), 'down never rounds up').toBeLessThanOrEqual(0);
        expect(compare(up, value), 'up never rounds down').toBeGreaterThanOrEqual(0);
        expect(compare(sub(up, down), step), 'down and up are at most one step apart').toBeLessThanOrEqual(0);
        expect(nearest.eq(down) || nearest.eq(up), 'nearest is one of the two neighbours').toBe(true);
      }),
    );
  });
});

describe('floatToDecimalString', () => {
  it('gives what Decimal gives for the float to 15 significant digits, for any finite double', () => {
    const reference = (value: number) => formatDecimal(new Decimal(value.toPrecision(15)));
    for (const value of [0, -0, 100, 59496.85669000001, 0.1 + 0.2, -12.5, 1e-7, 0.000001234, 123456789012345, 1.5e21, -3e-12]) {
      expect(floatToDecimalString(value), String(value)).toBe(reference(value));
    }
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => floatToDecimalString(value) === reference(value)),
      { numRuns: 5_000 },
    );
  });
});
