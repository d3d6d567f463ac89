'use client';

import { CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis, type TooltipContentProps } from 'recharts';
import { formatAxisTime, formatDateTime, formatNumber, formatPrice } from '@/components/format';

export const MAX_MARKERS = 1_000;

/** One bar: its close, and the fill price of an entry or exit in it (a ▲ or ▼ drawn at that price). */
export interface PriceRow {
  /** The bar's open time, ms UTC. */
  time: number;
  close: number;
  entry?: number;
  exit?: number;
}

/** The index of the last bar that opened at or before `timeMs` (bars ascending); -1 before the first. */
function barAt(time: readonly number[], timeMs: number): number {
  let lo = 0;
  let hi = time.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (time[mid]! <= timeMs) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The chart's one data array: every bar, with each trade's entry and exit put on the bar it happened in. One
 * array, so the tooltip always reads the bar under the cursor (markers with their own data made recharts
 * show a fixed bar, or a marker's time formatted as a price).
 */
export function priceRows(
  time: readonly number[],
  close: readonly number[],
  trades: ReadonlyArray<{ entryTime: string; exitTime: string; entryPrice: string | number; exitPrice: string | number }>,
): { rows: PriceRow[]; entries: number; exits: number } {
  const rows: PriceRow[] = time.map((t, i) => ({ time: t, close: close[i]! }));
  let entries = 0;
  let exits = 0;
  for (const trade of trades.slice(0, MAX_MARKERS)) {
    const entry = rows[barAt(time, Date.parse(trade.entryTime))];
    if (entry) {
      entry.entry = Number(trade.entryPrice);
      entries++;
    }
    const exit = rows[barAt(time, Date.parse(trade.exitTime))];
    if (exit) {
      exit.exit = Number(trade.exitPrice);
      exits++;
    }
  }
  return { rows, entries, exits };
}

function Triangle({ cx, cy, up, color }: { cx?: number; cy?: number; up: boolean; color: string }) {
  if (cx === undefined || cy === undefined || !Number.isFinite(cy)) return null;
  const d = 6;
  const points = up ? `${cx},${cy - d} ${cx - d},${cy + d} ${cx + d},${cy + d}` : `${cx},${cy + d} ${cx - d},${cy - d} ${cx + d},${cy - d}`;
  return <polygon className={up ? 'marker-entry' : 'marker-exit'} points={points} fill={color} stroke="var(--bg)" strokeWidth={1} />;
}

/** The bar under the cursor: its time, close, and the fills in it. */
function BarTooltip({ active, payload, priceTick = null }: Partial<TooltipContentProps<number, string>> & { priceTick?: string | null }) {
  const row = payload?.[0]?.payload as PriceRow | undefined;
  if (!active || !row) return null;
  return (
    <div
      data-testid="price-tooltip"
      data-time={row.time}
      data-close={row.close}
      className="rounded-md border border-border bg-panel px-2 py-1.5 text-xs shadow"
    >
      <p className="text-muted">{formatDateTime(row.time)}</p>
      <p>
        Close <span className="num">{formatPrice(row.close, { priceTick })}</span>
      </p>
      {row.entry !== undefined ? (
        <p className="text-gain">
          ▲ Entry <span className="num">{formatPrice(row.entry, { priceTick })}</span>
        </p>
      ) : null}
      {row.exit !== undefined ? (
        <p className="text-loss">
          ▼ Exit <span className="num">{formatPrice(row.exit, { priceTick })}</span>
        </p>
      ) : null}
    </div>
  );
}

/** Close price with a ▲ at every entry fill and a ▼ at every exit fill (the first MAX_MARKERS trades). */
export function PriceChart({
  time,
  close,
  trades,
  priceTick = null,
}: {
  time: number[];
  close: number[];
  /** The market's price tick (null when unknown): the tooltip's prices show on it. */
  priceTick?: string | null;
  trades: Array<{ entryTime: string; exitTime: string; entryPrice: string; exitPrice: string }>;
}) {
  const { rows, entries, exits } = priceRows(time, close, trades);
  const axis = { stroke: 'var(--muted)', fontSize: 11 };
  const marker = { stroke: 'none', isAnimationActive: false, activeDot: false, legendType: 'none', connectNulls: false } as const;
  return (
    <div
      data-testid="price-chart"
      data-entries={entries}
      data-exits={exits}
      data-bars={rows.length}
      data-first-time={rows[0]?.time}
      data-last-time={rows[rows.length - 1]?.time}
      className="space-y-1"
    >
      <div className="h-72 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
            <XAxis
              dataKey="time"
              type="number"
              scale="time"
              domain={['dataMin', 'dataMax']}
              tickFormatter={(v: number) => formatAxisTime(v, 'UTC', true)}
              {...axis}
            />
            <YAxis {...axis} width={64} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v, 0)} />
            <Tooltip content={<BarTooltip priceTick={priceTick} />} />
            <Line type="linear" dataKey="close" stroke="var(--fg)" strokeOpacity={0.7} dot={false} strokeWidth={1} isAnimationActive={false} />
            <Line
              dataKey="entry"
              name="entry"
              {...marker}
              dot={(p: { cx?: number; cy?: number; index?: number }) => <Triangle key={`e${p.index}`} cx={p.cx} cy={p.cy} up color="var(--gain)" />}
            />
            <Line
              dataKey="exit"
              name="exit"
              {...marker}
              dot={(p: { cx?: number; cy?: number; index?: number }) => <Triangle key={`x${p.index}`} cx={p.cx} cy={p.cy} up={false} color="var(--loss)" />}
            />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <p className="text-xs text-muted">
        <span className="text-gain">▲ entry</span> · <span className="text-loss">▼ exit</span>
        {trades.length > MAX_MARKERS ? ` · markers for the first ${MAX_MARKERS} of ${trades.length} trades` : ''}
      </p>
    </div>
  );
}
