/**
 * The local Binance that e2e runs talk to instead of api.binance.com: server/exchange/testing's
 * BinanceTestServer, started by e2e/local-exchange-server.ts as the first of Playwright's web servers.
 * The app (web and worker) gets it through CRYPTOBOT_EXCHANGE_URLS, so every ccxt call for "binance"
 * (imports, the Markets page, accounts, orders) goes to 127.0.0.1. Nothing here imports ccxt, so specs
 * can use it freely.
 */

const H = 3_600_000;

/** Its port: E2E_EXCHANGE_PORT, else the e2e web port + 1000 (3100 → 4100), so parallel runs do not meet. */
export const LOCAL_EXCHANGE_PORT = Number(process.env.E2E_EXCHANGE_PORT ?? Number(process.env.E2E_PORT ?? 3100) + 1000);
export const LOCAL_EXCHANGE_URL = `http://127.0.0.1:${LOCAL_EXCHANGE_PORT}`;

/** The account the local Binance knows (balances USDT 10000, BTC 1): e2e accounts connect with it. */
export const LOCAL_EXCHANGE_CREDENTIALS = { apiKey: 'e2e-binance-apikey-zx81', secret: 'e2e-binance-secret-7q9w8e7r6t5y' } as const;

/**
 * What it lists, as Binance symbols (base + quote). Each serves the 1h candles of a real Binance file
 * (2020-12-01 → 2021-07-17, with the file's six exchange gaps) and 5m candles where noted; the "recent"
 * ones also serve 1h candles up to the current hour, re-timed from the same file, for the Markets page.
 * Specs use a symbol of their own, so what one stores never changes what another sees.
 */
export const LOCAL_SYMBOLS = {
  BTC: { file: 'BTC_USDT', recent: true },
  ETH: { file: 'ETH_USDT', recent: true },
  SOL: { file: 'SOL_USDT', recent: true },
  /** The REST import test. */
  IMPORTAPI: { file: 'BTC_USDT' },
  /** The Data page's "fill gaps". */
  GAPFILL: { file: 'BTC_USDT' },
  /** Imports that are canceled: every klines answer waits SLOW_KLINES_MS. Has 5m candles (66 pages). */
  SLOW: { file: 'BTC_USDT', fiveMinutes: true, slow: true },
  /** The Markets page straight from the exchange (nothing stored). */
  LIVE: { file: 'ETH_USDT', recent: true },
} as const satisfies Record<string, { file: string; recent?: boolean; fiveMinutes?: boolean; slow?: boolean }>;

export const SLOW_KLINES_MS = 1_000;

/** How many recent 1h candles the "recent" symbols have, the last one opening RECENT_AHEAD_HOURS from start. */
export const RECENT_CANDLES = 1_000;
export const RECENT_AHEAD_HOURS = 72;

/**
 * The recent 1h candles of a real file: its last RECENT_CANDLES candles moved in time so that they end
 * RECENT_AHEAD_HOURS after `nowMs` (the server only serves candles opened by its clock, so the series
 * keeps growing while the run lasts). Prices are the file's, unchanged.
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
