import { formatMetric, higherIsBetter, type MetricKey, type MetricsLike } from './metrics';

interface Run {
  params: Record<string, unknown>;
  metrics: MetricsLike | null;
}

const key = (v: unknown) => JSON.stringify(v);

/**
 * A metric over two swept parameters: rows = y values, columns = x values. With more swept parameters each
 * cell shows the best run over the others. Colour runs from loss (worst) to gain (best), and every cell
 * prints its value, so colour is never the only carrier.
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
    const value = run.metrics[metric] ?? Number.NaN;
    const k = `${key(run.params[x])}|${key(run.params[y])}`;
    const held = cells.get(k);
    if (!held || better(Number(value), Number(held.metrics![metric] ?? Number.NaN))) cells.set(k, run);
  }
  const values = [...cells.values()].map((r) => Number(r.metrics![metric] ?? Number.NaN)).filter(Number.isFinite);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const shade = (v: number) => {
    if (!Number.isFinite(v) || hi === lo) return 'var(--panel-2)';
    const t = (v - lo) / (hi - lo);
    const goodness = higherIsBetter(metric) ? t : 1 - t;
    return `color-mix(in srgb, var(--gain) ${Math.round(goodness * 100)}%, var(--loss))`;
  };
  return (
    <div className="relative overflow-x-auto" data-testid="sweep-heatmap">
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
                    <td key={key(xv)} className="min-w-16 rounded bg-panel-2 p-2 text-center text-muted">
                      —
                    </td>
                  );
                const value = Number(run.metrics![metric] ?? Number.NaN);
                return (
                  <td key={key(xv)} className="min-w-16 rounded p-0 text-center" style={{ background: shade(value) }}>
                    <button
                      type="button"
                      className="num w-full whitespace-nowrap p-2 font-medium text-white [text-shadow:0_1px_1px_rgb(0_0_0/0.6)]"
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
  );
}
