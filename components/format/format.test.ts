import { describe, expect, it } from 'vitest';
import {
  arrow,
  floatToDecimalString,
  formatAxisTime,
  formatCount,
  formatDate,
  formatDateTime,
  formatDateTimeSeconds,
  formatFee,
  formatFractionAsPercent,
  formatMoney,
  formatNumber,
  formatPercent,
  formatPnl,
  formatPrice,
  formatQuantity,
  formatSignedMoney,
  formatTimeOfDay,
  isValidTimeZone,
  parseDecimal,
  signTone,
  stepDecimals,
  timeZoneLabel,
} from './index';

describe('parseDecimal', () => {
  it('reads decimal strings and finite numbers, nothing else', () => {
    expect(parseDecimal('1.50')?.toString()).toBe('1.5');
    expect(parseDecimal(' 2 ')?.toString()).toBe('2');
    for (const bad of [null, undefined, '', '  ', 'abc', NaN, Infinity, -Infinity, 'Infinity']) expect(parseDecimal(bad), String(bad)).toBeNull();
  });
});

describe('formatMoney (quote amounts)', () => {
  it('groups thousands and keeps 2 decimals (the issue: "298612.3965825 USDT")', () => {
    expect(formatMoney('298612.3965825', 'USDT')).toBe('298,612.40 USDT');
    expect(formatMoney(10000)).toBe('10,000.00');
    expect(formatMoney('0')).toBe('0.00');
    expect(formatMoney('0.004')).toBe('0.00');
  });
  it('writes a negative with a minus sign and no "−0.00"', () => {
    expect(formatMoney('-1234.5')).toBe('−1,234.50');
    expect(formatMoney('-0.004')).toBe('0.00');
  });
  it('rounds half away from zero on the decimal string, never through a float', () => {
    expect(formatMoney('1.005'), 'a float would read 1.00499999…').toBe('1.01');
    expect(formatMoney('-1.005')).toBe('−1.01');
    expect(formatMoney('0.125')).toBe('0.13');
    expect(formatMoney('7524.582851981024874593')).toBe('7,524.58');
  });
  it('keeps every digit of a huge amount', () => {
    expect(formatMoney('123456789012345678901234.567')).toBe('123,456,789,012,345,678,901,234.57');
  });
  it('shows "—" for a missing or bad value', () => {
    expect(formatMoney(null, 'USDT')).toBe('—');
    expect(formatMoney('nope')).toBe('—');
    expect(formatMoney(NaN)).toBe('—');
  });
});

describe('formatSignedMoney (P&L)', () => {
  it('shows the sign of a gain and of a loss, none on zero', () => {
    expect(formatSignedMoney('506.123', 'USDT')).toBe('+506.12 USDT');
    expect(formatSignedMoney('-4.47')).toBe('−4.47');
    expect(formatSignedMoney('0')).toBe('0.00');
    expect(formatSignedMoney('0.001'), 'rounds to zero: no sign').toBe('0.00');
    expect(formatSignedMoney(-1e6)).toBe('−1,000,000.00');
  });
  it('puts an arrow before P&L, none when it rounds to zero', () => {
    expect(formatPnl('12.5', 'USDT')).toBe('▲ +12.50 USDT');
    expect(formatPnl('-3.1')).toBe('▼ −3.10');
    expect(formatPnl('0.001')).toBe('0.00');
    expect(formatPnl(undefined)).toBe('—');
  });
});

describe('formatPrice', () => {
  it('rounds to the market tick when it is known', () => {
    expect(formatPrice('60516.1234', { priceTick: '0.01' })).toBe('60,516.12');
    expect(formatPrice('60516', { priceTick: '0.01' })).toBe('60,516.00');
    expect(formatPrice('60516.26', { priceTick: '0.5' })).toBe('60,516.5');
    expect(formatPrice('0.123456789', { priceTick: '0.0001' })).toBe('0.1235');
    expect(formatPrice('1234.4', { priceTick: '1' })).toBe('1,234');
    expect(formatPrice('1234.5', { priceTick: 10 })).toBe('1,230');
  });
  it('uses 6 significant digits (at least 2 decimals) when the tick is unknown', () => {
    expect(formatPrice('60516.123456')).toBe('60,516.12');
    expect(formatPrice('150')).toBe('150.00');
    expect(formatPrice('1.23456789')).toBe('1.23457');
    expect(formatPrice('0.6')).toBe('0.60');
    expect(formatPrice('0.0000123456789')).toBe('0.0000123457');
    expect(formatPrice('7524.582851981024874593')).toBe('7,524.58');
    expect(formatPrice(59496.85669000001)).toBe('59,496.86');
  });
  it('treats a zero, negative or bad tick as unknown', () => {
    for (const step of ['0', '-0.01', 'x', null]) expect(formatPrice('1.23456789', { priceTick: step })).toBe('1.23457');
  });
  it('handles zero, negatives and a unit', () => {
    expect(formatPrice('0')).toBe('0.00');
    expect(formatPrice('-12.5', { currency: 'USDT' })).toBe('−12.50 USDT');
    expect(stepDecimals('0.00001')).toBe(5);
    expect(stepDecimals('1e-8')).toBe(8);
  });
});

describe('formatQuantity', () => {
  it('rounds to the lot step when it is known', () => {
    expect(formatQuantity('0.0012', { step: '0.00001' })).toBe('0.00120');
    expect(formatQuantity('1234.56789', { step: '0.001' })).toBe('1,234.568');
    expect(formatQuantity('3', { step: '1' })).toBe('3');
  });
  it('trims to 8 significant digits when the step is unknown', () => {
    expect(formatQuantity('0.001200000000000000')).toBe('0.0012');
    expect(formatQuantity('1234.5678')).toBe('1,234.5678');
    expect(formatQuantity('0.123456789123')).toBe('0.12345679');
    expect(formatQuantity('3')).toBe('3');
    expect(formatQuantity('-0.5', { currency: 'BTC' })).toBe('−0.5 BTC');
    expect(formatQuantity('0')).toBe('0');
    expect(formatQuantity('1e-15'), 'below the deepest decimal shown').toBe('0');
  });
});

describe('formatFee', () => {
  it('never shows 18 decimals: up to 8 significant digits, at most 8 decimals, zeros trimmed', () => {
    expect(formatFee('0.059496856690000012')).toBe('0.05949686');
    expect(formatFee('12.345678912', 'USDT')).toBe('12.345679 USDT');
    expect(formatFee('0.100000000000000000')).toBe('0.1');
    expect(formatFee('1234.56')).toBe('1,234.56');
    expect(formatFee('0')).toBe('0');
  });
  it('says a tiny fee is below the last decimal rather than 0', () => {
    expect(formatFee('0.000000000000000123')).toBe('<0.00000001');
    expect(formatFee('-0.000000000001')).toBe('>−0.00000001');
  });
  it('never gets longer than a short line', () => {
    for (const fee of ['0.000000012345678912345678', '98765432.123456789', '0.123456789012345678']) expect(formatFee(fee).length, fee).toBeLessThanOrEqual(14);
  });
});

describe('formatPercent', () => {
  it('shows 2 decimals, with a sign when it is a change', () => {
    expect(formatPercent(12.345)).toBe('12.35 %');
    expect(formatPercent('-17.4249', { signed: true })).toBe('−17.42 %');
    expect(formatPercent(3.1, { signed: true })).toBe('+3.10 %');
    expect(formatPercent(0, { signed: true })).toBe('0.00 %');
    expect(formatPercent(55.55, { decimals: 1 })).toBe('55.6 %');
    expect(formatPercent(null)).toBe('—');
    expect(formatFractionAsPercent('0.2')).toBe('20.00 %');
  });
});

describe('formatNumber, formatCount, arrow, signTone', () => {
  it('groups plain numbers and counts', () => {
    expect(formatNumber(1.23456)).toBe('1.23');
    expect(formatNumber(-0.5, 2, { signed: true })).toBe('−0.50');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(0)).toBe('0');
  });
  it('marks the sign apart from colour', () => {
    expect(arrow('1')).toBe('▲ ');
    expect(arrow(-1)).toBe('▼ ');
    expect(arrow('0')).toBe('');
    expect(signTone('-0.01')).toBe('text-loss');
    expect(signTone(null)).toBe('text-fg');
  });
});

describe('floatToDecimalString (engine floats leaving as text)', () => {
  it('drops float noise and keeps 15 significant digits', () => {
    expect(floatToDecimalString(59496.85669000001)).toBe('59496.85669');
    expect(floatToDecimalString(0.1 + 0.2)).toBe('0.3');
    expect(floatToDecimalString(-0)).toBe('0');
    expect(floatToDecimalString(1e-12)).toBe('0.000000000001');
    expect(floatToDecimalString(1.5e21)).toBe('1500000000000000000000');
    expect(() => floatToDecimalString(NaN)).toThrow();
  });
});

describe('times', () => {
  const t = Date.UTC(2026, 11, 7, 4, 14, 5);
  it('shows one format with its zone, UTC by default', () => {
    expect(formatDateTime(t)).toBe('2026-12-07 04:14 UTC');
    expect(formatDateTime(new Date(t).toISOString())).toBe('2026-12-07 04:14 UTC');
    expect(formatDateTime(new Date(t))).toBe('2026-12-07 04:14 UTC');
    expect(formatDateTimeSeconds(t)).toBe('2026-12-07 04:14:05 UTC');
    expect(formatTimeOfDay(t)).toBe('04:14:05 UTC');
    expect(formatDate(t)).toBe('2026-12-07');
  });
  it("shows the user's local zone with its offset", () => {
    expect(formatDateTime(t, 'Europe/Berlin')).toBe('2026-12-07 05:14 UTC+1');
    expect(formatDateTime(t, 'Asia/Kolkata')).toBe('2026-12-07 09:44 UTC+5:30');
    expect(formatDateTime(t, 'America/New_York')).toBe('2026-12-06 23:14 UTC−5');
    expect(formatDate(t, 'America/New_York')).toBe('2026-12-06');
    expect(timeZoneLabel('UTC')).toBe('UTC');
    expect(timeZoneLabel('Europe/Berlin', Date.UTC(2026, 6, 1))).toBe('UTC+2');
  });
  it('falls back to UTC for an unknown zone and shows "—" for no time', () => {
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(formatDateTime(t, 'Mars/Olympus')).toBe('2026-12-07 04:14 UTC');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime('not a date')).toBe('—');
  });
  it('gives compact axis ticks', () => {
    expect(formatAxisTime(t)).toBe('04:14');
    expect(formatAxisTime(t, 'UTC', true)).toBe('12-07');
    expect(formatAxisTime(t, 'Asia/Kolkata')).toBe('09:44');
  });
});
