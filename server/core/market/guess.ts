/**
 * What a candle file is, guessed from its name and content, so an upload form can fill in the series
 * instead of trusting the last one used (seen: SOL prices stored as kraken BTC/USDT).
 *
 * - exchange: a token of the file name that is one of the `exchanges` offered (case-insensitive);
 * - symbol: a CSV `symbol` column (first data row), else file name tokens: `BTCUSDT`, `BTC-USDT`,
 *   `BTC_USD` (a base followed by a known quote currency);
 * - timeframe: the most common spacing of the content's candle times when it is a known timeframe,
 *   else a file name token (`1h`, `4H`, ISO 8601 `PT4H` / `P1D`).
 * Each field says where it came from; a field that cannot be guessed is absent. Pure: no I/O.
 */
import { TIMEFRAMES, timeframeToMs, type Timeframe } from '@/server/core/timeframe';
import { parseCandleFile } from './parse';

export type GuessSource = 'file name' | 'content';

export interface SeriesGuess {
  exchange?: { value: string; from: GuessSource };
  symbol?: { value: string; from: GuessSource };
  timeframe?: { value: Timeframe; from: GuessSource };
}

/** Quote currencies recognised at the end of a concatenated pair (longest first: USDT before USD). */
const QUOTES = ['USDT', 'USDC', 'BUSD', 'FDUSD', 'TUSD', 'DAI', 'USD', 'EUR', 'GBP', 'JPY', 'TRY', 'BTC', 'ETH', 'BNB'];

function tokens(fileName: string): string[] {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  return base
    .replace(/(\.(csv|json|txt|gz))+$/i, '')
    .split(/[_\-.\s]+/)
    .filter(Boolean);
}

/** "BTCUSDT" → "BTC/USDT"; null when it does not end in a known quote after a 2..10 letter base. */
export function splitPair(text: string): string | null {
  const upper = text.toUpperCase();
  if (/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/.test(upper)) return upper;
  if (!/^[A-Z0-9]{3,20}$/.test(upper)) return null;
  for (const quote of QUOTES) {
    if (upper.endsWith(quote) && upper.length - quote.length >= 2 && upper.length - quote.length <= 10) return `${upper.slice(0, -quote.length)}/${quote}`;
  }
  return null;
}

function timeframeToken(token: string): Timeframe | null {
  const lower = token.toLowerCase();
  if ((TIMEFRAMES as readonly string[]).includes(lower)) return lower as Timeframe;
  const iso = /^p(?:t(\d+)([mh])|(\d+)([dw]))$/.exec(lower);
  if (iso) {
    const candidate = iso[1] ? `${iso[1]}${iso[2]}` : `${iso[3]}${iso[4]}`;
    if ((TIMEFRAMES as readonly string[]).includes(candidate)) return candidate as Timeframe;
  }
  return null;
}

/** The known timeframe whose length is the most common spacing of `times` (ms), or null. */
export function timeframeFromSpacing(times: readonly number[]): Timeframe | null {
  const counts = new Map<number, number>();
  for (let i = 1; i < times.length && i < 5_000; i++) {
    const step = Math.abs(times[i]! - times[i - 1]!);
    if (step > 0) counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  let best: number | null = null;
  for (const [step, count] of counts) if (best === null || count > counts.get(best)!) best = step;
  if (best === null) return null;
  return TIMEFRAMES.find((tf) => timeframeToMs(tf) === best) ?? null;
}

function csvSymbol(content: string): string | null {
  const lines = content.split(/\r?\n/, 4);
  const headerIndex = lines.findIndex((line) => /(^|,)\s*symbol\s*(,|$)/i.test(line));
  if (headerIndex < 0) return null;
  const column = lines[headerIndex]!.split(',').findIndex((c) => c.trim().toLowerCase() === 'symbol');
  const value = lines[headerIndex + 1]?.split(',')[column]?.trim();
  return value ? splitPair(value.replace(/[-_]/, '/')) : null;
}

export function guessSeries(input: { fileName?: string; content?: string; exchanges: readonly string[] }): SeriesGuess {
  const guess: SeriesGuess = {};
  const parts = input.fileName ? tokens(input.fileName) : [];
  const exchanges = new Map(input.exchanges.map((id) => [id.toLowerCase(), id]));

  for (const part of parts) {
    const exchange = exchanges.get(part.toLowerCase());
    if (exchange) {
      guess.exchange = { value: exchange, from: 'file name' };
      break;
    }
  }

  const fromContent = input.content ? csvSymbol(input.content) : null;
  if (fromContent) guess.symbol = { value: fromContent, from: 'content' };
  else {
    for (let i = 0; i < parts.length && !guess.symbol; i++) {
      const part = parts[i]!;
      if (exchanges.has(part.toLowerCase()) || timeframeToken(part)) continue;
      const pair = splitPair(part);
      const next = parts[i + 1]?.toUpperCase();
      if (pair) guess.symbol = { value: pair, from: 'file name' };
      else if (/^[A-Za-z0-9]{2,10}$/.test(part) && next && QUOTES.includes(next)) guess.symbol = { value: `${part.toUpperCase()}/${next}`, from: 'file name' };
    }
  }

  if (input.content) {
    try {
      const parsed = parseCandleFile(input.content);
      const spacing = timeframeFromSpacing(parsed.rows.map((r) => r[0]));
      if (spacing) guess.timeframe = { value: spacing, from: 'content' };
    } catch {
      // unreadable content: the name may still tell
    }
  }
  if (!guess.timeframe) {
    for (const part of parts) {
      const tf = timeframeToken(part);
      if (tf) {
        guess.timeframe = { value: tf, from: 'file name' };
        break;
      }
    }
  }
  return guess;
}

/** The median of the closes (index 4) of candle rows; null for none. */
export function medianClose(rows: ReadonlyArray<ArrayLike<number>>): number | null {
  if (rows.length === 0) return null;
  const closes = Array.from(rows, (r) => r[4]!).sort((a, b) => a - b);
  const mid = closes.length >> 1;
  return closes.length % 2 ? closes[mid]! : (closes[mid - 1]! + closes[mid]!) / 2;
}

/** A file whose median close differs from the stored market's by more than this factor (either way) needs confirming. */
export const PRICE_LEVEL_FACTOR = 5;

/** Whether two price levels are further apart than PRICE_LEVEL_FACTOR (by ratio). */
export function priceLevelsFarApart(fileMedian: number, storedMedian: number): boolean {
  if (!(fileMedian > 0) || !(storedMedian > 0)) return false;
  const ratio = fileMedian / storedMedian;
  return ratio > PRICE_LEVEL_FACTOR || ratio < 1 / PRICE_LEVEL_FACTOR;
}
