import { arrow, signTone } from '@/components/format';
import { formatMetric, METRIC_LABELS, type MetricKey, type MetricsLike } from './metrics';

const SIGNED: ReadonlySet<MetricKey> = new Set([
  'totalReturnPct',
  'cagrPct',
  'sharpeRatio',
  'sortinoRatio',
  'calmarRatio',
  'averageTradePct',
  'buyAndHoldReturnPct',
]);

/** The twelve metrics as cards: signed ones carry an arrow and a gain/loss colour. */
export function MetricCards({ metrics }: { metrics: MetricsLike }) {
  return (
    <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-6" aria-label="Metrics">
      {(Object.keys(METRIC_LABELS) as MetricKey[]).map((key) => {
        const value = metrics[key];
        const signedValue = SIGNED.has(key) && typeof value === 'number' ? value : null;
        return (
          <div key={key} className="rounded-lg border border-border bg-panel px-3 py-2" data-testid={`metric-${key}`}>
            <dt className="text-xs text-muted">{METRIC_LABELS[key]}</dt>
            <dd className={`num text-right text-lg font-semibold ${key === 'maxDrawdownPct' && (value as number) > 0 ? 'text-loss' : signTone(signedValue)}`}>
              {signedValue !== null ? arrow(signedValue) : ''}
              {formatMetric(key, metrics)}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
