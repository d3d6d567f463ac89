import Decimal from 'decimal.js';

/**
 * Display helpers for the decimal strings the trading API returns. The API's value is the truth: these
 * only round and group for the eye (the exact string goes in a title), never feed a calculation back.
 */

function parse(value: string | null | undefined): Decimal | null {
  if (value === null || value === undefined || value === '') return null;
  try {
    const d = new Decimal(value);
    return d.isFinite() ? d : null;
  } catch {
    return null;
  }
}

function group(d: Decimal, digits: number): string {
  const [int, frac] = d.abs().toFixed(digits).split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${grouped}.${frac}` : grouped;
}

/** A money amount: grouped, `digits` decimals ("12,345.68"); "—" when absent. */
export function amount(value: string | null | undefined, digits = 2): string {
  const d = parse(value);
  if (!d) return '—';
  return `${d.isNegative() && !d.isZero() ? '−' : ''}${group(d, digits)}`;
}

/** A signed amount with an arrow, so the sign never rests on colour alone: "▲ +12.50", "▼ −3.10". */
export function signedAmount(value: string | null | undefined, digits = 2): string {
  const d = parse(value);
  if (!d) return '—';
  const rounded = new Decimal(d.toFixed(digits));
  if (rounded.isZero()) return group(d, digits);
  return rounded.isPositive() ? `▲ +${group(d, digits)}` : `▼ −${group(d, digits)}`;
}

/** text-gain / text-loss / text-fg by sign. */
export function signTone(value: string | null | undefined): string {
  const d = parse(value);
  if (!d || d.isZero()) return 'text-fg';
  return d.isPositive() ? 'text-gain' : 'text-loss';
}

/** A quantity exactly as the API sent it (trailing zeros already trimmed there). */
export function quantity(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '—' : value;
}

export function isZero(value: string | null | undefined): boolean {
  const d = parse(value);
  return !d || d.isZero();
}

/** A fraction as a percentage string for an input ("0.2" → "20"); empty when absent. */
export function fractionToPercent(value: string | undefined): string {
  const d = parse(value);
  return d ? d.mul(100).toString() : '';
}

/** A percentage typed by the user as the fraction the API takes ("20" → "0.2"); the text as typed when it is not a number, so the server names the problem. */
export function percentToFraction(value: string): string {
  const d = parse(value.trim());
  return d ? d.div(100).toString() : value.trim();
}

/** A time in the user's zone, to the second (stored and sent as UTC). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A feed time in UTC (replays play history: the wall-clock zone would mislead), to the minute. */
export function feedWhen(iso: string | null | undefined): string {
  if (!iso) return '—';
  return `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "3600×" for a speed; "real time" for 1. */
export function speedLabel(speed: number | null): string {
  if (speed === null) return '';
  return speed === 1 ? 'real time' : `${speed.toLocaleString('en-US')}×`;
}

/** "replay · 36,000×", "live", "simulated · real time". */
export function feedLabel(feed: { type: string; speed: number | null }): string {
  return feed.type === 'live' ? 'live' : `${feed.type} · ${speedLabel(feed.speed)}`;
}
