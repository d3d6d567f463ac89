/**
 * Candles entering storage from a request body or a file: every row judged, bad ones reported with
 * their index and reason, the rest upserted through the COPY path.
 */
import type { DbOrTx } from '@/db/client';
import type { OhlcvRow } from '@/server/core/candles';
import { AppError } from '@/server/core/errors';
import { parseTimeInput } from '@/server/core/time';
import type { CandleFileFormat, RejectedRow } from '@/server/core/market/parse';
import { medianClose, priceLevelsFarApart, PRICE_LEVEL_FACTOR } from '@/server/core/market/guess';
import { importCandles, validateCandles, type Gap } from '@/server/core/market/validate';
import { recordAudit } from '@/server/services/audit';
import { storedMedianClose, upsertCandles, type SeriesKey, type UpsertResult } from './candles';
import { assertSeriesKey } from './series-key';

import { MAX_CANDLES_PER_REQUEST, MAX_FILE_CHARS } from './limits';

export { MAX_CANDLES_PER_REQUEST, MAX_FILE_CHARS } from './limits';

export interface IngestResult extends UpsertResult {
  rejected: RejectedRow[];
}

const FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

const DECIMAL_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d{1,5})?$/;

/**
 * A raw JSON row as [timeMs, open, high, low, close, volume] of numbers, or why it is not one. As everywhere
 * in the API (docs/api.md, "Types"), a price or volume may be a JSON number or a decimal string, and the time
 * epoch milliseconds or ISO 8601.
 */
function shapeRow(row: unknown): OhlcvRow | string {
  if (!Array.isArray(row)) return 'expected [timeMs, open, high, low, close, volume]';
  if (row.length !== 6) return `expected 6 values [timeMs, open, high, low, close, volume], got ${row.length}`;
  const out: number[] = [];
  for (let k = 0; k < 6; k++) {
    const value: unknown = row[k];
    let n = Number.NaN;
    if (typeof value === 'number') n = value;
    else if (typeof value === 'string' && k === 0) n = parseTimeInput(value);
    else if (typeof value === 'string' && DECIMAL_TEXT.test(value.trim())) n = Number(value.trim());
    if (typeof value !== 'number' && Number.isNaN(n)) {
      const expected = k === 0 ? 'epoch milliseconds or an ISO 8601 time' : 'a number or a decimal string';
      return `${FIELDS[k]} must be ${expected}, got ${value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value}`;
    }
    out.push(n);
  }
  return out as unknown as OhlcvRow;
}

/**
 * Judges raw rows (as they came in a JSON body) and stores the good ones. Rejected: wrong shape,
 * non-numbers (nulls, text that is not a decimal: JSON cannot carry NaN), non-finite values, high < max(open, close),
 * low > min(open, close), non-positive prices, negative volume, misaligned times, and repeated times
 * (the first one is kept).
 */
export async function ingestCandleRows(db: DbOrTx, keyInput: SeriesKey, rows: readonly unknown[]): Promise<IngestResult> {
  const key = assertSeriesKey(keyInput);
  if (rows.length > MAX_CANDLES_PER_REQUEST) {
    throw AppError.validation([
      { field: 'candles', message: `at most ${MAX_CANDLES_PER_REQUEST} candles per request (got ${rows.length}); split them or import a file` },
    ]);
  }
  const rejected: RejectedRow[] = [];
  const shaped: OhlcvRow[] = [];
  const sourceIndex: number[] = [];
  rows.forEach((row, index) => {
    const shape = shapeRow(row);
    if (typeof shape === 'string') rejected.push({ index, reason: shape });
    else {
      shaped.push(shape);
      sourceIndex.push(index);
    }
  });
  const validated = validateCandles(shaped, key.timeframe);
  for (const r of validated.rejected) {
    // Duplicates name the kept row by its index in `shaped`; report it in request terms.
    const reason = r.reason.replace(/\(kept index (\d+)\)/, (_, k: string) => `(kept index ${sourceIndex[Number(k)]})`);
    rejected.push({ index: sourceIndex[r.index]!, reason });
  }
  rejected.sort((a, b) => a.index - b.index);
  const stored = await upsertCandles(db, key, validated.accepted);
  return { ...stored, rejected };
}

export interface FileImportResult extends IngestResult {
  format: CandleFileFormat;
  /** Candles read from the file that passed validation (= inserted + updated + unchanged). */
  accepted: number;
  firstMs: number | null;
  lastMs: number | null;
  /** Holes inside the file's own span. */
  gaps: Gap[];
}

export interface FileImportOptions {
  baseAsset?: string;
  /** The uploader saw the "confirm" reason (price level, spacing) and imports anyway. */
  confirm?: boolean;
  /** Who uploads: a confirmed doubtful upload is audited under this user. */
  userId?: string;
  ip?: string | null;
}

/** How far around the file's span stored candles count for its price-level check (ms). */
const PRICE_LEVEL_WINDOW_MS = 7 * 86_400_000;

const formatLevel = (n: number) => n.toLocaleString('en', { maximumSignificantDigits: 6 });

/**
 * Why this file needs the uploader's confirmation before it is stored under `key`, or null:
 * its candles are spaced by another timeframe than the chosen one, or its median close is more than
 * PRICE_LEVEL_FACTOR times away from the market's stored candles (seen: SOL prices stored as BTC/USDT).
 */
async function confirmationNeeded(
  db: DbOrTx,
  key: SeriesKey,
  spacing: string | null,
  accepted: readonly OhlcvRow[],
): Promise<{ reason: 'timeframe_mismatch' | 'price_level'; message: string; [detail: string]: unknown } | null> {
  if (spacing && spacing !== key.timeframe)
    return {
      reason: 'timeframe_mismatch',
      message: `the file's candles are ${spacing} apart, not ${key.timeframe}: check the timeframe, or confirm to import anyway`,
      fileTimeframe: spacing,
    };
  const fileMedian = medianClose(accepted);
  // Compared over the file's own span (a week either side): BTC at 6,000 in 2018 and 60,000 in 2024 are both right.
  const storedMedian =
    fileMedian === null
      ? null
      : await storedMedianClose(db, key, accepted[0]![0] - PRICE_LEVEL_WINDOW_MS, accepted[accepted.length - 1]![0] + PRICE_LEVEL_WINDOW_MS);
  if (fileMedian !== null && storedMedian !== null && priceLevelsFarApart(fileMedian, storedMedian))
    return {
      reason: 'price_level',
      message:
        `the file's prices (median close ${formatLevel(fileMedian)}) are more than ${PRICE_LEVEL_FACTOR}× away from the stored ${key.symbol} ` +
        `on ${key.exchange} over the same dates (median close ${formatLevel(storedMedian)}): is this the right market? Confirm to import anyway`,
      fileMedianClose: fileMedian,
      storedMedianClose: storedMedian,
    };
  return null;
}

/**
 * Imports a candle file (ccxt JSON arrays, objects JSON or CSV; see server/core/market/parse.ts).
 * An unreadable file is a 422 naming `file`; bad rows are reported and skipped. A file that does not
 * look like the chosen series (see confirmationNeeded) is a 409 with `details.reason` and
 * `details.confirm: true` asked for, unless `options.confirm`; a confirmed one is audited.
 */
export async function importCandleFile(db: DbOrTx, keyInput: SeriesKey, text: string, options: FileImportOptions = {}): Promise<FileImportResult> {
  const key = assertSeriesKey(keyInput);
  if (text.length > MAX_FILE_CHARS) throw AppError.validation([{ field: 'file', message: `is larger than ${MAX_FILE_CHARS / 1024 / 1024} MB; split it` }]);
  if (text.trim() === '') throw AppError.validation([{ field: 'file', message: 'is empty' }]);
  let imported: ReturnType<typeof importCandles>;
  try {
    imported = importCandles(text, key.timeframe, { baseAsset: options.baseAsset ?? key.symbol.split('/')[0] });
  } catch (error) {
    if (error instanceof SyntaxError) throw AppError.validation([{ field: 'file', message: `cannot be read: ${error.message.slice(0, 300)}` }]);
    throw error;
  }
  const doubt = await confirmationNeeded(db, key, imported.spacing, imported.accepted);
  if (doubt && !options.confirm) {
    const { message, ...details } = doubt;
    throw new AppError('CONFLICT', `confirm: ${message}`, { ...details, confirm: 'send confirm: true to import anyway' });
  }
  if (doubt)
    await recordAudit(db, {
      type: 'market_data.price_level_confirmed',
      userId: options.userId ?? null,
      ip: options.ip ?? null,
      details: { ...key, ...doubt, candles: imported.accepted.length },
    });
  const stored = await upsertCandles(db, key, imported.accepted);
  const first = imported.accepted[0];
  const last = imported.accepted[imported.accepted.length - 1];
  return {
    ...stored,
    format: imported.format,
    accepted: imported.accepted.length,
    rejected: imported.rejected,
    firstMs: first ? first[0] : null,
    lastMs: last ? last[0] : null,
    gaps: imported.gaps,
  };
}
