import { AppError, type FieldIssue } from '@/server/core/errors';
import { isTimeframe, TIMEFRAME_MESSAGE } from '@/server/core/timeframe';
import type { SeriesKey } from './candles';

/** ccxt exchange ids (plus our "simulated"): lowercase letters and digits. */
export const EXCHANGE_ID_PATTERN = /^[a-z0-9]{2,32}$/;
/** Unified ccxt symbols: BASE/QUOTE, optionally :SETTLE for derivatives, e.g. "BTC/USDT". */
export const SYMBOL_PATTERN = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$/;

/** The exchange id under which simulated (offline demo) candles are stored. */
export const SIMULATED_EXCHANGE = 'simulated';

/** Field problems of a series key (empty when it is fine); shared by the services, the CLI and the job. */
export function seriesKeyIssues(key: { exchange: unknown; symbol: unknown; timeframe: unknown }): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (typeof key.exchange !== 'string' || !EXCHANGE_ID_PATTERN.test(key.exchange))
    issues.push({ field: 'exchange', message: 'must be a ccxt exchange id such as "binance" (lowercase letters and digits)' });
  if (typeof key.symbol !== 'string' || !SYMBOL_PATTERN.test(key.symbol))
    issues.push({ field: 'symbol', message: 'must be a symbol such as "BTC/USDT" (BASE/QUOTE, uppercase)' });
  if (typeof key.timeframe !== 'string' || !isTimeframe(key.timeframe)) issues.push({ field: 'timeframe', message: TIMEFRAME_MESSAGE });
  return issues;
}

export function assertSeriesKey(key: { exchange: unknown; symbol: unknown; timeframe: unknown }): SeriesKey {
  const issues = seriesKeyIssues(key);
  if (issues.length > 0) throw AppError.validation(issues);
  return key as SeriesKey;
}
