/**
 * The local Binance that e2e runs talk to instead of api.binance.com: server/testing/exchange's
 * BinanceTestServer, started by e2e/local-exchange-server.ts as the first of Playwright's web servers.
 * The app (web and worker) gets it through CRYPTOBOT_EXCHANGE_URLS, so every ccxt call for "binance"
 * (imports, the Markets page, accounts, orders) goes to 127.0.0.1. Nothing here imports ccxt, so specs
 * can use it freely; its candles come from the repository's fixtures (server/testing/fixtures.ts).
 */
import type { OhlcvRow } from '@/server/core/candles';
import { createSimulatedMarket } from '@/server/core/market/simulated';
import { fixtureRows, refineCandles } from '@/server/testing/fixtures';

const H = 3_600_000;

/** Its port: E2E_EXCHANGE_PORT, else the e2e web port + 1000 (3100 → 4100), so parallel runs do not meet. */
export const LOCAL_EXCHANGE_PORT = Number(process.env.E2E_EXCHANGE_PORT ?? Number(process.env.E2E_PORT ?? 3100) + 1000);
export const LOCAL_EXCHANGE_URL = `http://127.0.0.1:${LOCAL_EXCHANGE_PORT}`;

/** The account the local Binance knows (balances USDT 10000, BTC 1): e2e accounts connect with it. */
export const LOCAL_EXCHANGE_CREDENTIALS = { apiKey: 'e2e-binance-apikey-zx81', secret: 'e2e-binance-secret-7q9w8e7r6t5y' } as const;

/** The span every symbol serves: 2020-12-01 00:00 → 2021-07-18 00:00 UTC (exclusive), 5,496 hourly candles. */
export const LOCAL_SPAN = { startMs: Date.UTC(2020, 11, 1), endMs: Date.UTC(2021, 6, 18) } as const;

export type LocalSource = 'BTC' | 'ETH' | 'SIM';

/**
 * What it lists, as Binance symbols (base + quote). Each serves 1h candles over LOCAL_SPAN from its
 * `source` (see localCandles) and 5m candles where noted; the "recent" ones also serve 1h candles up to
 * the current hour, re-timed from the same series, for the Markets page. Specs use a symbol of their own,
 * so what one stores never changes what another sees.
 */
export const LOCAL_SYMBOLS = {
  BTC: { source: 'BTC', recent: true },
  ETH: { source: 'ETH', recent: true },
  SOL: { source: 'SIM', recent: true },
  /** The REST import test. */
  IMPORTAPI: { source: 'BTC' },
  /** The Data page's "fill gaps". */
  GAPFILL: { source: 'BTC' },
  /** Imports that are canceled: every klines answer waits SLOW_KLINES_MS. Has 5m candles (66 pages). */
  SLOW: { source: 'BTC', fiveMinutes: true, slow: true },
  /** The Markets page straight from the exchange (nothing stored). */
  LIVE: { source: 'ETH', recent: true },
  /** The one-click import of a strategy page without data (first-run journey); one per project. */
  FIRSTDESK: { source: 'BTC', recent: true },
  FIRSTPHONE: { source: 'BTC', recent: true },
} as const satisfies Record<string, { source: LocalSource; recent?: boolean; fiveMinutes?: boolean; slow?: boolean }>;

const series = new Map<string, OhlcvRow[]>();

/**
 * The candles of a source over LOCAL_SPAN, as the local exchange serves them (and specs compare with):
 * BTC and ETH are Coinbase's real 4h BTC-USD and ETH-USD candles (the repository's fixtures, no gap in this
 * span) refined to 1h, and to 5m from there (refineCandles: same opens, closes, highs, lows and volume per
 * 4h, linear steps inside); SIM is the seeded simulated market from 2 USDT. Deterministic. A fresh array.
 */
export function localCandles(source: LocalSource, timeframe: '1h' | '5m' = '1h'): OhlcvRow[] {
  const key = `${source}:${timeframe}`;
  let rows = series.get(key);
  if (!rows) {
    if (timeframe === '5m') rows = refineCandles(localCandles(source, '1h'), '1h', '5m');
    else if (source === 'SIM')
      rows = createSimulatedMarket({ seed: 2020_12_01, timeframe: '1h', originMs: LOCAL_SPAN.startMs, startPrice: 2 }).candles(
        LOCAL_SPAN.startMs,
        LOCAL_SPAN.endMs,
      );
    else {
      const fourHours = fixtureRows(source === 'BTC' ? 'btc-usd-4h' : 'eth-usd-4h').filter((r) => r[0] >= LOCAL_SPAN.startMs && r[0] < LOCAL_SPAN.endMs);
      rows = refineCandles(fourHours, '4h', '1h');
    }
    series.set(key, rows);
  }
  return rows.slice();
}

export const SLOW_KLINES_MS = 1_000;

/** How many recent 1h candles the "recent" symbols have, the last one opening RECENT_AHEAD_HOURS from start. */
export const RECENT_CANDLES = 1_000;
export const RECENT_AHEAD_HOURS = 72;

/**
 * The recent 1h candles of a series: its last RECENT_CANDLES candles moved in time so that they end
 * RECENT_AHEAD_HOURS after `nowMs` (the server only serves candles opened by its clock, so the series
 * keeps growing while the run lasts). Prices are the series', unchanged.
 */
export function recentCandles(rows: readonly number[][], nowMs: number): number[][] {
  const tail = rows.slice(-RECENT_CANDLES);
  const lastOpen = Math.floor(nowMs / H) * H + RECENT_AHEAD_HOURS * H;
  const firstOpen = lastOpen - (tail.length - 1) * H;
  return tail.map((row, i) => [firstOpen + i * H, ...row.slice(1)]);
}

/** GET a path of the local exchange (as Binance answers it), for specs that compare the page with it. */
export async function localExchangeGet<T>(pathAndQuery: string): Promise<T> {
  const response = await fetch(`${LOCAL_EXCHANGE_URL}${pathAndQuery}`);
  if (!response.ok) throw new Error(`local exchange ${pathAndQuery}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
