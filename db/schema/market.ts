import { bigint, doublePrecision, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

/**
 * Closed candles, shared by every user. `time` is the candle's open time in ms since epoch (UTC);
 * prices and volume are float8: candles feed the backtest engine's Float64Arrays, they are not money
 * held by anyone.
 */
export const candles = pgTable(
  'candles',
  {
    exchange: text('exchange').notNull(),
    symbol: text('symbol').notNull(),
    timeframe: text('timeframe').notNull(),
    time: bigint('time', { mode: 'number' }).notNull(),
    open: doublePrecision('open').notNull(),
    high: doublePrecision('high').notNull(),
    low: doublePrecision('low').notNull(),
    close: doublePrecision('close').notNull(),
    volume: doublePrecision('volume').notNull(),
  },
  (t) => [primaryKey({ columns: [t.exchange, t.symbol, t.timeframe, t.time] })],
);
