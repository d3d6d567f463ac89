/**
 * Candles entering storage from a request body or a file: every row judged, bad ones reported with
 * their index and reason, the rest upserted through the COPY path.
 */
import type { DbOrTx } from '@/db/client';
import type { OhlcvRow } from '@/server/core/candles';
import { AppError } from '@/server/core/errors';
import type { CandleFileFormat, RejectedRow } from '@/server/core/market/parse';
import { importCandles, validateCandles, type Gap } from '@/server/core/market/validate';
import { upsertCandles, type SeriesKey, type UpsertResult } from './candles';
import { assertSeriesKey } from './series-key';

import { MAX_CANDLES_PER_REQUEST, MAX_FILE_CHARS } from './limits';

export { MAX_CANDLES_PER_REQUEST, MAX_FILE_CHARS } from './limits';

export interface IngestResult extends UpsertResult {
  rejected: RejectedRow[];
}

const FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

/** Why a raw JSON row is not [timeMs, open, high, low, close, volume] of numbers, or null when it is. */
function shapeProblem(row: unknown): string | null {
  if (!Array.isArray(row)) return 'expected [timeMs, open, high, low, close, volume]';
  if (row.length !== 6) return `expected 6 values [timeMs, open, high, low, close, volume], got ${row.length}`;
  for (let k = 0; k < 6; k++) {
    const value: unknown = row[k];
    if (typeof value !== 'number')
      return `${FIELDS[k]} must be a number, got ${value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value}`;
  }
  return null;
}

/**
 * Judges raw rows (as they came in a JSON body) and stores the good ones. Rejected: wrong shape,
 * non-numbers (strings, nulls: JSON cannot carry NaN), non-finite values, high < max(open, close),
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
    const problem = shapeProblem(row);
    if (problem) rejected.push({ index, reason: problem });
    else {
      shaped.push(row as OhlcvRow);
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

/**
 * Imports a candle file (ccxt JSON arrays, objects JSON or CSV; see server/core/market/parse.ts).
 * An unreadable file is a 422 naming `file`; bad rows are reported and skipped.
 */
export async function importCandleFile(db: DbOrTx, keyInput: SeriesKey, text: string, options: { baseAsset?: string } = {}): Promise<FileImportResult> {
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
