'use client';

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { arrow, formatAxisTime, formatCount, formatDateTime, formatNumber, formatPercent, formatSignedMoney, signTone } from '@/components/format';
import { EmptyState } from '@/components/ui/states';
import type { PairBreakdownResponse } from '@/server/api/schemas/backtests';

const axis = { stroke: 'var(--muted)', fontSize: 11 };
const axisDate = (v: number) => formatAxisTime(v, 'UTC', true);
/** Distinct line colours; with more pairs than colours they repeat (the legend and tooltip name each line). */
const COLOURS = ['var(--accent)', '#f59e0b', '#10b981', '#ec4899', '#8b5cf6', '#06b6d4', '#ef4444', '#84cc16'];

/** A pair list's per-pair breakdown (docs/backtesting.md, "Metrics of a pair list"), in list order. */
export function PairTable({ pairs }: { pairs: PairBreakdownResponse[] }) {
  if (pairs.length === 0) return <EmptyState title="No pairs">This backtest ran over no pair.</EmptyState>;
  const signed = (value: number) => <span className={signTone(value)}>{formatPercent(value, { signed: true })}</span>;
  return (
    <div className="relative overflow-x-auto rounded-lg border border-border">
      <table className="w-full text-sm" aria-label="Pairs">
        <thead className="bg-panel-2 text-xs text-muted">
          <tr>
            <th className="p-2 text-left">Pair</th>
            <th className="p-2 text-right">Trades</th>
            <th className="hidden p-2 text-right sm:table-cell">Win rate</th>
            <th className="p-2 text-right">Return</th>
            <th className="p-2 text-right">Contribution</th>
            <th className="hidden p-2 text-right sm:table-cell">PnL</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-border">
          {pairs.map((pair) => (
            <tr key={pair.symbol} data-testid="pair-row">
              <td className="p-2 font-medium">{pair.symbol}</td>
              <td className="num p-2 text-right">{formatCount(pair.tradeCount)}</td>
              <td className="num hidden p-2 text-right sm:table-cell">{formatPercent(pair.winRatePct)}</td>
              <td className="num p-2 text-right">{signed(pair.returnPct)}</td>
              <td className="num p-2 text-right">{signed(pair.contributionPct)}</td>
              <td className={`num hidden p-2 text-right sm:table-cell ${signTone(pair.pnl)}`}>
                {arrow(pair.pnl)}
                {formatSignedMoney(pair.pnl)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Each pair's running contribution (quote) over time, one line per pair. */
export function PairEquityChart({ time, symbols, pairEquity }: { time: number[]; symbols: string[]; pairEquity: number[][] }) {
  const data = time.map((t, k) => {
    const point: Record<string, number> = { time: t };
    symbols.forEach((symbol, p) => (point[symbol] = pairEquity[p]?.[k] ?? 0));
    return point;
  });
  return (
    <div data-testid="pair-equity-chart" className="h-64 w-full">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
          <XAxis dataKey="time" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={axisDate} {...axis} />
          <YAxis {...axis} width={64} tickFormatter={(v: number) => formatNumber(v, 0)} />
          <Tooltip
            labelFormatter={(v) => formatDateTime(Number(v))}
            formatter={(v, name) => [formatSignedMoney(Number(v)), String(name)]}
            contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }}
          />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          {symbols.map((symbol, p) => (
            <Line key={symbol} type="monotone" dataKey={symbol} stroke={COLOURS[p % COLOURS.length]} dot={false} strokeWidth={1.25} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
