/**
 * Whole stored series as objects an admin manages: deleting one (confirmed in the UI, audited).
 * Candles are shared by every user, so only an admin may delete them.
 */
import type { Db } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { recordAudit } from '@/server/services/audit';
import { deleteCandleSeries, type SeriesKey } from './candles';
import { assertSeriesKey } from './series-key';

export interface DeletedSeries extends SeriesKey {
  /** Candles deleted. */
  deleted: number;
}

/** Deletes every candle of a series and records `market_data.series_deleted` in the same transaction; NOT_FOUND when none is stored. */
export async function deleteSeries(db: Db, actor: { id: string }, keyInput: SeriesKey, meta: { ip?: string | null } = {}): Promise<DeletedSeries> {
  const key = assertSeriesKey(keyInput);
  return db.transaction(async (tx) => {
    const deleted = await deleteCandleSeries(tx, key);
    if (deleted === 0) throw AppError.notFound(`series ${key.exchange} ${key.symbol} ${key.timeframe}`);
    await recordAudit(tx, {
      type: 'market_data.series_deleted',
      userId: actor.id,
      ip: meta.ip ?? null,
      details: { exchange: key.exchange, symbol: key.symbol, timeframe: key.timeframe, candles: deleted },
    });
    return { exchange: key.exchange, symbol: key.symbol, timeframe: key.timeframe, deleted };
  });
}
