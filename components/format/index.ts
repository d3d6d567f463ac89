import Decimal from 'decimal.js';
import { floatToDecimalString } from '@/server/core/money/decimal';
import { isValidTimeZone } from '@/server/core/time';

/**
 * The one formatting module for every number and time a trader reads (docs/formatting.md). Pure functions,
 * safe in client and server components. The API's value is the truth: these only round and group for the eye,
 * never feed a calculation back.
 *
 * Inputs are decimal strings (the trading API's exact values) or numbers (engine floats, chart points);
 * strings are rounded as decimals, never through a float. Rounding is half away from zero
 * (decimal.js ROUND_HALF_UP: 0.125 → 0.13, −0.125 → −0.13) everywhere. A missing or non-finite value is "—".
 * A negative number is written with a minus sign (−, U+2212); a signed value (a change, P&L) with "+" too.
 */

export type NumberInput = string | number | null | undefined;

/** What every formatter shows for a missing, empty or non-finite value. */
export const MISSING = '—';
const MINUS = '−';

/** Significant digits of a price when its market's tick is unknown. */
export const PRICE_SIGNIFICANT_DIGITS = 6;
/** Significant digits of a quantity when its market's step is unknown. */
export const QUANTITY_SIGNIFICANT_DIGITS = 8;
/** P&L with an arrow so the sign never rests on colour alone: "▲ +12.50 USDT", "▼ −3.10", "0.00". */
export function formatPnl(value: NumberInput, currency?: string, decimals = 2): string {
  const d = parseDecimal(value);
  if (!d) return MISSING;
  return `${roundsToZero(d, decimals) ? '' : arrow(value)}${formatSignedMoney(value, currency, decimals)}`;
}

/** A fee: up to 8 significant digits and never more than 8 decimals. */
export const FEE_SIGNIFICANT_DIGITS = 8;
export const FEE_MAX_DECIMALS = 8;
/** Deepest a price or quantity of unknown precision goes (a sub-satoshi number shows as 0). */
const MAX_DECIMALS = 12;

/** A finite decimal, or null for a missing, empty or unparsable value. */
export function parseDecimal(value: NumberInput): Decimal | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'string' && value.trim() === '') return null;
  try {
    const d = new Decimal(typeof value === 'string' ? value.trim() : value);
    return d.isFinite() ? d : null;
  } catch {
    return null;
  }
}

/** |d| rounded to `decimals` places, the integer part grouped by thousands: "298,612.40". */
function groupedAbs(d: Decimal, decimals: number): string {
  const [int, frac] = d.abs().toFixed(decimals, Decimal.ROUND_HALF_UP).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${grouped}.${frac}` : grouped;
}

/** Drops trailing fractional zeros, keeping at least `minDecimals` places ("1.2300" → "1.23" / "1.230"). */
function trimZeros(text: string, minDecimals: number): string {
  const dot = text.indexOf('.');
  if (dot < 0) return text;
  let end = text.length;
  while (end > dot + 1 + minDecimals && text[end - 1] === '0') end--;
  if (end === dot + 1) end = dot;
  return text.slice(0, end);
}

/** Whether `d` rounded to `decimals` places is zero (so no sign is shown). */
function roundsToZero(d: Decimal, decimals: number): boolean {
  return new Decimal(d.toFixed(decimals, Decimal.ROUND_HALF_UP)).isZero();
}

function withSign(d: Decimal, body: string, decimals: number, signed: boolean): string {
  if (roundsToZero(d, decimals)) return body;
  if (d.isNegative()) return `${MINUS}${body}`;
  return signed ? `+${body}` : body;
}

const unit = (text: string, currency: string | undefined) => (currency ? `${text} ${currency}` : text);

/** Decimal places of a price tick or amount step ("0.01" → 2, "0.5" → 1, "10" → 0); null when it is not a positive decimal. */
export function stepDecimals(step: NumberInput): number | null {
  const d = parseDecimal(step);
  if (!d || !d.isPositive() || d.isZero()) return null;
  return d.decimalPlaces();
}

/** Decimal places that keep `significant` digits of |d| (at least `minDecimals`, at most `maxDecimals`). */
function significantDecimals(d: Decimal, significant: number, minDecimals: number, maxDecimals: number): number {
  if (d.isZero()) return minDecimals;
  const exponent = d.abs().e; // 123.4 → 2, 0.0012 → −3
  return Math.min(maxDecimals, Math.max(minDecimals, significant - 1 - exponent));
}

/** `d` on the nearest multiple of `step` (half away from zero). */
function toStep(d: Decimal, step: Decimal): Decimal {
  return d.div(step).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).times(step);
}

export interface PriceOptions {
  /** The market's price tick as a decimal ("0.01", MarketInfo.priceTick); null or absent when unknown. */
  priceTick?: NumberInput;
  /** A unit to append: "USDT". */
  currency?: string;
}

export interface QuantityOptions {
  /** The market's amount (lot) step as a decimal ("0.00001", MarketInfo.amountStep); null or absent when unknown. */
  step?: NumberInput;
  /** A unit to append: "BTC". */
  currency?: string;
}

/**
 * A price: on the market's tick when known ("60,516.10" at tick 0.01, "60,516.5" at tick 0.5), otherwise
 * 6 significant digits with at least 2 decimals ("60,516.12", "150.00", "0.0000123457").
 */
export function formatPrice(value: NumberInput, options: PriceOptions = {}): string {
  const d = parseDecimal(value);
  if (!d) return MISSING;
  const tickDecimals = stepDecimals(options.priceTick);
  if (tickDecimals !== null) {
    const onTick = toStep(d, new Decimal(options.priceTick!));
    return unit(withSign(onTick, groupedAbs(onTick, tickDecimals), tickDecimals, false), options.currency);
  }
  const decimals = significantDecimals(d, PRICE_SIGNIFICANT_DIGITS, 2, MAX_DECIMALS);
  return unit(withSign(d, trimZeros(groupedAbs(d, decimals), 2), decimals, false), options.currency);
}

/**
 * A quantity: on the market's lot step when known ("0.00120" at step 0.00001), otherwise up to 8 significant
 * digits with trailing zeros trimmed ("0.0012", "1,234.5678", "3").
 */
export function formatQuantity(value: NumberInput, options: QuantityOptions = {}): string {
  const d = parseDecimal(value);
  if (!d) return MISSING;
  const stepDp = stepDecimals(options.step);
  if (stepDp !== null) {
    const onStep = toStep(d, new Decimal(options.step!));
    return unit(withSign(onStep, groupedAbs(onStep, stepDp), stepDp, false), options.currency);
  }
  const decimals = significantDecimals(d, QUANTITY_SIGNIFICANT_DIGITS, 0, MAX_DECIMALS);
  return unit(withSign(d, trimZeros(groupedAbs(d, decimals), 0), decimals, false), options.currency);
}

/** A quote-currency amount (balance, equity, cost): grouped, 2 decimals: "298,612.40 USDT", "−3.10". */
export function formatMoney(value: NumberInput, currency?: string, decimals = 2): string {
  const d = parseDecimal(value);
  if (!d) return MISSING;
  return unit(withSign(d, groupedAbs(d, decimals), decimals, false), currency);
}

/** A change in money (P&L): like formatMoney with "+" on a gain: "+1,234.50 USDT", "−3.10", "0.00". */
export function formatSignedMoney(value: NumberInput, currency?: string, decimals = 2): string {
  const d = parseDecimal(value);
  if (!d) return MISSING;
  return unit(withSign(d, groupedAbs(d, decimals), decimals, true), currency);
}

/**
 * A fee: up to 8 significant digits and at most 8 decimals, trailing zeros trimmed ("0.05949686", "12.345679",
 * "0"); a fee too small for 8 decimals is "<0.00000001" rather than a misleading 0.
 */
export function formatFee(value: NumberInput, currency?: string): string {
  const d = parseDecimal(value);
  if (!d) return MISSING;
  const decimals = significantDecimals(d, FEE_SIGNIFICANT_DIGITS, 0, FEE_MAX_DECIMALS);
  if (!d.isZero() && roundsToZero(d, decimals)) return unit(`${d.isNegative() ? `>${MINUS}` : '<'}0.${'0'.repeat(FEE_MAX_DECIMALS - 1)}1`, currency);
  return unit(withSign(d, trimZeros(groupedAbs(d, decimals), 0), decimals, false), currency);
}

/** A percentage (the value is already in percent): "12.35 %"; `signed` for a change: "+12.35 %", "−0.40 %". */
export function formatPercent(value: NumberInput, options: { signed?: boolean; decimals?: number } = {}): string {
  const d = parseDecimal(value);
  if (!d) return MISSING;
  const decimals = options.decimals ?? 2;
  return `${withSign(d, groupedAbs(d, decimals), decimals, options.signed ?? false)} %`;
}

/** A fraction (0.2) as a percentage ("20.00 %"). */
export function formatFractionAsPercent(value: NumberInput, options: { signed?: boolean; decimals?: number } = {}): string {
  const d = parseDecimal(value);
  return d ? formatPercent(d.times(100).toString(), options) : MISSING;
}

/** A plain number without unit (a ratio such as Sharpe): grouped, `decimals` places (2). */
export function formatNumber(value: NumberInput, decimals = 2, options: { signed?: boolean } = {}): string {
  const d = parseDecimal(value);
  if (!d) return MISSING;
  return withSign(d, groupedAbs(d, decimals), decimals, options.signed ?? false);
}

/** A count: an integer, grouped ("12,345"). */
export function formatCount(value: number | null | undefined): string {
  return formatNumber(value, 0);
}

/** "▲ " / "▼ " before a signed value, so the sign never rests on colour alone; "" for zero or missing. */
export function arrow(value: NumberInput): string {
  const d = parseDecimal(value);
  if (!d || d.isZero()) return '';
  return d.isPositive() ? '▲ ' : '▼ ';
}

/** Tailwind text colour by sign: text-gain, text-loss, text-fg. */
export function signTone(value: NumberInput): string {
  const d = parseDecimal(value);
  if (!d || d.isZero()) return 'text-fg';
  return d.isPositive() ? 'text-gain' : 'text-loss';
}

export function isZero(value: NumberInput): boolean {
  const d = parseDecimal(value);
  return !d || d.isZero();
}

/** An engine float as its decimal string (15 significant digits, no float noise): 59496.85669000001 → "59496.85669". */
export { floatToDecimalString };

// ───────────────────────────── times ─────────────────────────────

/**
 * The zone times are shown in: "UTC" (the default) or an IANA zone ("Europe/Berlin") the user chose as their
 * local time (Settings). Stored per user (users.time_zone); times are stored and sent in UTC.
 */
export type DisplayTimeZone = string;
export const DEFAULT_TIME_ZONE: DisplayTimeZone = 'UTC';

export type TimeInput = string | number | Date | null | undefined;

function toDate(value: TimeInput): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export { isValidTimeZone };

interface Parts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
  zone: string;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function parts(date: Date, zone: DisplayTimeZone): Parts {
  const timeZone = isValidTimeZone(zone) ? zone : DEFAULT_TIME_ZONE;
  let formatter = partsFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    });
    partsFormatters.set(timeZone, formatter);
  }
  const out: Record<string, string> = {};
  for (const part of formatter.formatToParts(date)) out[part.type] = part.value;
  // "GMT" / "GMT+1" / "GMT-3:30" → "UTC" / "UTC+1" / "UTC−3:30": one name for the reference zone.
  const raw = (out.timeZoneName ?? 'GMT').replace(/^GMT/, '');
  const offset = raw === '+0' || raw === '-0' ? '' : raw.replace('-', MINUS);
  return {
    year: out.year!,
    month: out.month!,
    day: out.day!,
    hour: out.hour === '24' ? '00' : out.hour!,
    minute: out.minute!,
    second: out.second!,
    zone: `UTC${offset}`,
  };
}

/** A date and time to the minute with its zone: "2026-12-07 04:14 UTC", "2026-12-07 05:14 UTC+1". */
export function formatDateTime(value: TimeInput, zone: DisplayTimeZone = DEFAULT_TIME_ZONE): string {
  const date = toDate(value);
  if (!date) return MISSING;
  const p = parts(date, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.zone}`;
}

/** To the second: "2026-12-07 04:14:05 UTC". */
export function formatDateTimeSeconds(value: TimeInput, zone: DisplayTimeZone = DEFAULT_TIME_ZONE): string {
  const date = toDate(value);
  if (!date) return MISSING;
  const p = parts(date, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.zone}`;
}

/** A day: "2026-12-07" (in `zone`; no zone suffix, a day is read as a calendar date). */
export function formatDate(value: TimeInput, zone: DisplayTimeZone = DEFAULT_TIME_ZONE): string {
  const date = toDate(value);
  if (!date) return MISSING;
  const p = parts(date, zone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** A time of day with its zone: "04:14:05 UTC" (for events of the same day). */
export function formatTimeOfDay(value: TimeInput, zone: DisplayTimeZone = DEFAULT_TIME_ZONE): string {
  const date = toDate(value);
  if (!date) return MISSING;
  const p = parts(date, zone);
  return `${p.hour}:${p.minute}:${p.second} ${p.zone}`;
}

/** A chart axis tick, compact and without zone (the chart states it once): "12-07" for a span of days, else "04:14". */
export function formatAxisTime(value: TimeInput, zone: DisplayTimeZone = DEFAULT_TIME_ZONE, showDates = false): string {
  const date = toDate(value);
  if (!date) return '';
  const p = parts(date, zone);
  return showDates ? `${p.month}-${p.day}` : `${p.hour}:${p.minute}`;
}

/** The zone's short name for labels: "UTC", "UTC+1" (at `at`, default now: offsets change with daylight saving). */
export function timeZoneLabel(zone: DisplayTimeZone = DEFAULT_TIME_ZONE, at: TimeInput = Date.now()): string {
  return parts(toDate(at) ?? new Date(), zone).zone;
}

/** How long ago an ISO time was, coarsely: "12 s ago", "3 min ago", "5 h ago", "2 d ago", "4.9 y ago". */
export function formatAge(iso: string, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 365 * 86_400) return `${Math.round(seconds / 86_400)} d ago`;
  return `${(seconds / (365 * 86_400)).toFixed(1)} y ago`;
}
