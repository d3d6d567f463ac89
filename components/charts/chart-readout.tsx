'use client';

import type { ChartMarkerView, ChartWindowView } from '@/server/api/schemas/backtests';
import { formatDateTime, formatNumber, formatPercent, formatPrice, formatQuantity, formatSignedMoney, signTone } from '@/components/format';
import { DEFAULT_COLORS } from './chart-parts';

/**
 * The price chart's crosshair readout: the candle at `index` (OHLC and volume), every plot's value there and the trades
 * on that candle. Its data attributes carry the exact numbers for tests and tools.
 */
export function ChartReadout({
  data,
  index,
  here,
  priceTick,
  amountStep,
}: {
  data: ChartWindowView | null;
  index: number;
  here: ChartMarkerView[];
  priceTick: string | null;
  amountStep: string | null;
}) {
  const c = data?.candles;
  const shownTime = index >= 0 && c ? c.time[index]! : null;
  return (
    <div
      className="min-h-[4.5rem] text-xs tabular-nums"
      data-testid="chart-readout"
      data-time={shownTime ?? ''}
      data-open={index >= 0 && c ? c.open[index] : ''}
      data-high={index >= 0 && c ? c.high[index] : ''}
      data-low={index >= 0 && c ? c.low[index] : ''}
      data-close={index >= 0 && c ? c.close[index] : ''}
      aria-live="polite"
    >
      {index >= 0 && c ? (
        <>
          <div className="flex flex-wrap gap-x-3">
            <span className="text-muted">{formatDateTime(c.time[index]!)}</span>
            <span>O {formatPrice(c.open[index]!, { priceTick })}</span>
            <span>H {formatPrice(c.high[index]!, { priceTick })}</span>
            <span>L {formatPrice(c.low[index]!, { priceTick })}</span>
            <span>C {formatPrice(c.close[index]!, { priceTick })}</span>
            <span className="text-muted">Vol {formatNumber(c.volume[index]!, 2)}</span>
            {data?.aggregated ? <span className="text-muted">({Math.round(data.bucketMs / 60_000)}-minute candles)</span> : null}
          </div>
          {data && data.plots.length > 0 ? (
            <div className="flex flex-wrap gap-x-3">
              {data.plots.map((plot, k) => (
                <span key={plot.name} data-testid={`readout-plot-${plot.name}`} data-value={plot.values[index] ?? ''}>
                  <span style={{ color: plot.color ?? DEFAULT_COLORS[k % DEFAULT_COLORS.length] }}>■</span> {plot.label}{' '}
                  {plot.values[index] === null || plot.values[index] === undefined
                    ? '—'
                    : plot.pane === 'price'
                      ? formatPrice(plot.values[index]!, { priceTick })
                      : formatNumber(plot.values[index]!, 2)}
                </span>
              ))}
            </div>
          ) : null}
          {here.map((m) => (
            <div key={`${m.tradeNumber}-${m.side}`} data-testid="readout-trade" data-trade={m.tradeNumber} data-side={m.side}>
              Trade #{m.tradeNumber} · {m.side === 'buy' ? '▲ buy' : '▼ sell'} {formatQuantity(m.quantity, { step: amountStep })} @{' '}
              {formatPrice(m.price, { priceTick })}
              {m.more > 0 ? <span className="text-muted"> (and {m.more} more on this candle)</span> : null}
              {m.pnl !== null ? (
                <span className={signTone(m.pnl)}>
                  {' '}
                  · P&L {formatSignedMoney(m.pnl)} ({formatPercent(m.pnlPct ?? 0, { signed: true })})
                </span>
              ) : null}
            </div>
          ))}
        </>
      ) : null}
    </div>
  );
}
