import { formatMetric, formatMetricValue, higherIsBetter, METRIC_LABELS, type MetricKey, type MetricsLike } from './metrics';
import { heatColour, heatScale, legendRange, type HeatScale } from './heat-scale';

interface Run {
  params: Record<string, unknown>;
  metrics: MetricsLike | null;
}

const key = (v: unknown) => JSON.stringify(v);

/** A run's metric as a number for colouring: a profit factor with winners and no loser is +∞, no value is NaN. */
function metricNumber(metric: MetricKey, metrics: MetricsLike): number {
  const value = metrics[metric];
  if (value === null) return metric === 'profitFactor' && metrics.tradeCount > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  return Number(value);
}

/**
 * A metric over two swept parameters: rows = y values, columns = x values. With more swept parameters each
 * cell shows the best run over the others. The colour diverges at the metric's break-even (heat-scale.ts):
 * gain colour on the good side, loss colour on the bad side, neutral at break-even, stronger further away; a
 * legend shows the scale's ends and its break-even. Every cell prints its value, so colour is never the only
 * carrier. On a phone the grid scrolls inside its own box; the page does not.
 */
export function SweepHeatmap({
  runs,
  x,
  y,
  metric,
  onPick,
}: {
  runs: Run[];
  x: string;
  y: string;
  metric: MetricKey;
  onPick?: (params: Record<string, unknown>) => void;
}) {
  const xs = [...new Map(runs.map((r) => [key(r.params[x]), r.params[x]])).values()].sort((a, b) => Number(a) - Number(b));
  const ys = [...new Map(runs.map((r) => [key(r.params[y]), r.params[y]])).values()].sort((a, b) => Number(b) - Number(a));
  const better = (a: number, b: number) => (higherIsBetter(metric) ? a > b : a < b);
  const cells = new Map<string, Run>();
  for (const run of runs) {
    if (!run.metrics) continue;
    const value = metricNumber(metric, run.metrics);
    const k = `${key(run.params[x])}|${key(run.params[y])}`;
    const held = cells.get(k);
    if (!held || better(value, metricNumber(metric, held.metrics!))) cells.set(k, run);
  }
  const scale = heatScale(
    [...cells.values()].map((r) => metricNumber(metric, r.metrics!)),
    metric,
  );
  return (
    <div className="min-w-0 space-y-2">
      <div className="relative max-w-full overflow-x-auto" data-testid="sweep-heatmap">
        <table className="border-separate border-spacing-0.5 text-xs">
          <caption className="mb-1 text-left text-muted">
            {y} ↓ × {x} →
          </caption>
          <thead>
            <tr>
              <th className="p-1 text-muted" scope="col">
                <span className="sr-only">
                  {y} \ {x}
                </span>
              </th>
              {xs.map((xv) => (
                <th key={key(xv)} scope="col" className="num p-1 text-muted">
                  {String(xv)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {ys.map((yv) => (
              <tr key={key(yv)}>
                <th scope="row" className="num p-1 text-right text-muted">
                  {String(yv)}
                </th>
                {xs.map((xv) => {
                  const run = cells.get(`${key(xv)}|${key(yv)}`);
                  if (!run)
                    return (
                      <td key={key(xv)} className="min-w-12 rounded bg-panel-2 p-1 text-center text-muted sm:min-w-16 sm:p-2">
                        —
                      </td>
                    );
                  const value = metricNumber(metric, run.metrics!);
                  const colour = heatColour(value, scale);
                  return (
                    <td
                      key={key(xv)}
                      className="min-w-12 rounded p-0 text-center sm:min-w-16"
                      style={{ background: colour.background }}
                      data-testid="heatmap-cell-bg"
                      data-value={String(value)}
                      data-tone={colour.tone}
                      data-intensity={colour.intensity.toFixed(3)}
                    >
                      <button
                        type="button"
                        className={`num w-full whitespace-nowrap p-1 font-medium sm:p-2 ${
                          colour.strong ? 'text-white [text-shadow:0_1px_1px_rgb(0_0_0/0.6)]' : 'text-fg'
                        }`}
                        title={`${x}=${String(xv)}, ${y}=${String(yv)}`}
                        onClick={() => onPick?.(run.params)}
                        data-testid="heatmap-cell"
                      >
                        {formatMetric(metric, run.metrics!)}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <HeatLegend metric={metric} scale={scale} />
    </div>
  );
}

/** The colour bar with the scale's lowest value, its break-even (when it diverges) and its highest value. */
function HeatLegend({ metric, scale }: { metric: MetricKey; scale: HeatScale }) {
  const { min, max, pivotAt } = legendRange(scale);
  if (!Number.isFinite(min) || !Number.isFinite(max)) return null;
  const stops =
    pivotAt === null
      ? `${heatColour(min, scale).background}, ${heatColour(max, scale).background}`
      : `${heatColour(min, scale).background} 0%, var(--panel-2) ${(pivotAt * 100).toFixed(1)}%, ${heatColour(max, scale).background} 100%`;
  const showPivot = pivotAt !== null && min < scale.pivot! && scale.pivot! < max;
  return (
    <figure className="max-w-sm text-xs text-muted" data-testid="heatmap-legend" aria-label={`${METRIC_LABELS[metric]} colour scale`}>
      <div className="relative h-3 rounded border border-border" style={{ background: `linear-gradient(to right, ${stops})` }}>
        {showPivot && <span className="absolute inset-y-0 w-px bg-fg/60" style={{ left: `${(pivotAt * 100).toFixed(1)}%` }} aria-hidden />}
      </div>
      <figcaption className="num mt-1 flex justify-between gap-2">
        <span data-testid="heatmap-legend-min">{formatMetricValue(metric, min)}</span>
        {showPivot && <span data-testid="heatmap-legend-pivot">{formatMetricValue(metric, scale.pivot)}</span>}
        <span data-testid="heatmap-legend-max">{formatMetricValue(metric, max)}</span>
      </figcaption>
    </figure>
  );
}
