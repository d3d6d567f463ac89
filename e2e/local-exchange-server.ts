/**
 * `npx tsx e2e/local-exchange-server.ts`: the local Binance of an e2e run (see e2e/local-exchange.ts),
 * on 127.0.0.1:LOCAL_EXCHANGE_PORT until SIGTERM. Playwright starts it before the app (playwright.config.ts),
 * whose web server and worker reach it through CRYPTOBOT_EXCHANGE_URLS.
 *
 * In front of the BinanceTestServer sits a small proxy that holds back klines answers of the "slow"
 * symbols, so that an import of them runs long enough to be canceled from a test.
 */
import { createServer, request } from 'node:http';
import type { OhlcvRow } from '@/server/core/candles';
import { BinanceTestServer, type TestSymbol } from '@/server/testing/exchange/binance-test-server';
import {
  LOCAL_EXCHANGE_CREDENTIALS,
  LOCAL_EXCHANGE_PORT,
  LOCAL_SYMBOLS,
  localCandles,
  recentCandles,
  SLOW_KLINES_MS,
  type LocalSource,
} from './local-exchange';

const symbols: TestSymbol[] = [];
const klines: Record<string, Record<string, OhlcvRow[]>> = {};
const slowIds = new Set<string>();
for (const [base, spec] of Object.entries(LOCAL_SYMBOLS) as Array<[string, { source: LocalSource; recent?: boolean; fiveMinutes?: boolean; slow?: boolean }]>) {
  const id = `${base}USDT`;
  symbols.push({ id, base, quote: 'USDT', tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', minNotional: '5' });
  const hourly = localCandles(spec.source, '1h');
  klines[id] = { '1h': spec.recent ? [...hourly, ...(recentCandles(hourly, Date.now()) as OhlcvRow[])] : hourly };
  if (spec.fiveMinutes) klines[id]['5m'] = localCandles(spec.source, '5m');
  if (spec.slow) slowIds.add(id);
}

const exchange = await new BinanceTestServer({ ...LOCAL_EXCHANGE_CREDENTIALS, symbols, klines, balances: { USDT: '10000', BTC: '1' } }).start();

const front = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const delay = url.pathname === '/api/v3/klines' && slowIds.has(url.searchParams.get('symbol') ?? '') ? SLOW_KLINES_MS : 0;
  setTimeout(() => {
    const upstream = request(`${exchange.baseUrl}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ code: -1000, msg: `local exchange proxy: ${error.message}` }));
    });
    req.pipe(upstream);
  }, delay);
});
await new Promise<void>((resolve, reject) => {
  front.once('error', reject);
  front.listen(LOCAL_EXCHANGE_PORT, '127.0.0.1', resolve);
});
console.log(`[local-exchange] Binance test server on http://127.0.0.1:${LOCAL_EXCHANGE_PORT} (${symbols.map((s) => s.id).join(', ')})`);

async function stop() {
  front.closeAllConnections();
  await new Promise<void>((resolve) => front.close(() => resolve()));
  await exchange.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
