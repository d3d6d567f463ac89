import type { BacktestMetrics } from '@/server/core/backtest/types';
/** Display helpers for backtest numbers: sign, unit, and a gain/loss tone so colour is never the only carrier. */

export function signed(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '—';
  const text = Math.abs(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

export function pct(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined ? '—' : `${signed(value, digits)} %`;
}

export function plain(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** ▲ / ▼ prefix for a signed number. */
export function arrow(value: number | null | undefined): string {
  if (value === null || value === undefined || value === 0) return '';
  return value > 0 ? '▲ ' : '▼ ';
}

export function tone(value: number | null | undefined): string {
  if (value === null || value === undefined || value === 0) return 'text-fg';
  return value > 0 ? 'text-gain' : 'text-loss';
}

/** A time in the user's zone (stored and sent as UTC). */
export function localTime(iso: string | number): string {
  return new Date(iso).toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

export function localDate(iso: string | number): string {
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: '2-digit' });
}

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

/** A metric as text with its unit; profit factor is ∞ with winners and no loser, "—" with no trades. */
export function formatMetric(key: MetricKey, metrics: MetricsLike): string {
  const value = metrics[key];
  switch (key) {
    case 'totalReturnPct':
    case 'cagrPct':
    case 'averageTradePct':
    case 'buyAndHoldReturnPct':
      return pct(value);
    case 'maxDrawdownPct':
      return `${plain(value)} %`;
    case 'winRatePct':
    case 'exposurePct':
      return `${plain(value, 1)} %`;
    case 'tradeCount':
      return String(value);
    case 'profitFactor':
      return value === null ? (metrics.tradeCount > 0 ? '∞' : '—') : plain(value);
    default:
      return signed(value as number);
  }
}

/** Whether a larger value of the metric is better (for heatmap colours and comparisons). */
export function higherIsBetter(key: MetricKey): boolean {
  return key !== 'maxDrawdownPct';
}
