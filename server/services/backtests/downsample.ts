import type { CandleSeries } from '@/server/core/candles';

export interface ChartSeries {
  /** bar open time, ms since epoch UTC */
  time: number[];
  /** equity at the bar's close, quote */
  equity: number[];
  /** (running peak − equity) ÷ running peak × 100, the peak taken over the FULL series */
  drawdownPct: number[];
  /** close price, quote per base */
  close: number[];
}

export const MAX_CHART_POINTS = 2_000;

/**
 * At most `maxPoints` bars of a backtest for display. Small series are kept whole; larger ones are cut into
 * equal buckets of bars, and each bucket keeps the bars of its highest equity, deepest drawdown, lowest and
 * highest close (so peaks, troughs and the worst drawdown survive), plus the first and last bar.
 * One pass, no allocation per bar; metrics are never computed from this (they use the full series).
 */
export function downsampleChart(series: CandleSeries, equity: Float64Array, maxPoints = MAX_CHART_POINTS): ChartSeries {
  const n = series.length;
  const out: ChartSeries = { time: [], equity: [], drawdownPct: [], close: [] };
  if (n === 0) return out;
  const push = (i: number, drawdown: number) => {
    out.time.push(series.time[i]!);
    out.equity.push(equity[i]!);
    out.drawdownPct.push(drawdown);
    out.close.push(series.close[i]!);
  };
  let peak = -Infinity;
  if (n <= maxPoints) {
    for (let i = 0; i < n; i++) {
      const e = equity[i]!;
      if (e > peak) peak = e;
      push(i, peak > 0 ? ((peak - e) / peak) * 100 : 0);
    }
    return out;
  }
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 4));
  const size = n / buckets;
  const picked = [0, 0, 0, 0];
  const pickedDrawdown = [0, 0, 0, 0];
  let bucketEnd = 0;
  let i = 0;
  for (let b = 0; b < buckets; b++) {
    const from = bucketEnd;
    bucketEnd = b === buckets - 1 ? n : Math.floor((b + 1) * size);
    let maxEquityAt = from,
      maxDrawdownAt = from,
      minCloseAt = from,
      maxCloseAt = from;
    let maxEquity = -Infinity,
      maxDrawdown = -Infinity,
      minClose = Infinity,
      maxClose = -Infinity;
    let drawdownAtMaxEquity = 0,
      drawdownAtMinClose = 0,
      drawdownAtMaxClose = 0;
    for (i = from; i < bucketEnd; i++) {
      const e = equity[i]!;
      if (e > peak) peak = e;
      const drawdown = peak > 0 ? ((peak - e) / peak) * 100 : 0;
      const c = series.close[i]!;
      if (e > maxEquity) {
        maxEquity = e;
        maxEquityAt = i;
        drawdownAtMaxEquity = drawdown;
      }
      if (drawdown > maxDrawdown) {
        maxDrawdown = drawdown;
        maxDrawdownAt = i;
      }
      if (c < minClose) {
        minClose = c;
        minCloseAt = i;
        drawdownAtMinClose = drawdown;
      }
      if (c > maxClose) {
        maxClose = c;
        maxCloseAt = i;
        drawdownAtMaxClose = drawdown;
      }
    }
    picked[0] = maxEquityAt;
    pickedDrawdown[0] = drawdownAtMaxEquity;
    picked[1] = maxDrawdownAt;
    pickedDrawdown[1] = maxDrawdown;
    picked[2] = minCloseAt;
    pickedDrawdown[2] = drawdownAtMinClose;
    picked[3] = maxCloseAt;
    pickedDrawdown[3] = drawdownAtMaxClose;
    // Emit the bucket's picks in bar order, each bar once; always keep the very first and last bar.
    if (b === 0 && picked.every((p) => p !== 0)) push(0, 0);
    let last = -1;
    for (let k = 0; k < 4; k++) {
      let best = -1;
      for (let m = 0; m < 4; m++) if (picked[m]! > last && (best === -1 || picked[m]! < picked[best]!)) best = m;
      if (best === -1) break;
      last = picked[best]!;
      push(last, pickedDrawdown[best]!);
    }
    if (b === buckets - 1 && last !== n - 1) {
      const e = equity[n - 1]!;
      push(n - 1, peak > 0 ? ((peak - e) / peak) * 100 : 0);
    }
  }
  return out;
}
