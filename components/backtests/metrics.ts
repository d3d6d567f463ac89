import { formatNumber, formatPercent } from '@/components/format';
import type { BacktestMetrics } from '@/server/core/backtest/types';

export const METRIC_LABELS = {
  totalReturnPct: 'Total return',
  cagrPct: 'CAGR',
  sharpeRatio: 'Sharpe',
  sortinoRatio: 'Sortino',
  maxDrawdownPct: 'Max drawdown',
  calmarRatio: 'Calmar',
  tradeCount: 'Trades',
  winRatePct: 'Win rate',
  profitFactor: 'Profit factor',
  averageTradePct: 'Avg trade',
  exposurePct: 'Exposure',
  buyAndHoldReturnPct: 'Buy & hold',
} as const;
export type MetricKey = keyof typeof METRIC_LABELS;

/** The engine's metrics (server/core/backtest), as the API returns them. */
export type MetricsLike = BacktestMetrics;

/** A metric as text with its unit (components/format); profit factor is ∞ with winners and no loser, "—" with no trades. */
export function formatMetric(key: MetricKey, metrics: MetricsLike): string {
  const value = metrics[key];
  if (key === 'profitFactor' && value === null) return metrics.tradeCount > 0 ? '∞' : '—';
  return formatMetricValue(key, value);
}

/** One value of a metric as text with its unit (the heatmap legend's ends, for instance). */
export function formatMetricValue(key: MetricKey, value: number | null): string {
  switch (key) {
    case 'totalReturnPct':
    case 'cagrPct':
    case 'averageTradePct':
    case 'buyAndHoldReturnPct':
      return formatPercent(value, { signed: true });
    case 'maxDrawdownPct':
      return formatPercent(value);
    case 'winRatePct':
    case 'exposurePct':
      return formatPercent(value, { decimals: 1 });
    case 'tradeCount':
      return formatNumber(value, 0);
    case 'profitFactor':
      return formatNumber(value);
    default:
      return formatNumber(value, 2, { signed: true });
  }
}

/** Whether a larger value of the metric is better (for heatmap colours and comparisons). */
export function higherIsBetter(key: MetricKey): boolean {
  return key !== 'maxDrawdownPct';
}
