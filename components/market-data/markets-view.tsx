'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { MarketChart } from './market-chart';
import { useTRPC } from '@/components/trpc/client';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Input, Label } from '@/components/ui/input';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { cn } from '@/components/ui/cn';
import { ZSymbol } from '@/server/api/schemas/market-data';
import { arrow, formatPercent, formatPrice, formatQuantity, signTone } from '@/components/format';
import { errorMessage, TIMEFRAMES } from './series';
import { MarkLabel } from './mark-label';
import { ImportMarketButton } from './import-market-button';

const selectClass = 'h-9 rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none';
const DEPTHS = [10, 20, 50] as const;
const COMMON_SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'BNB/USDT', 'XRP/USDT', 'BTC/USD', 'ETH/USD'];

function SourceBadge({ source }: { source: string }) {
  const simulated = source === 'simulated';
  return (
    <span
      data-testid="source-badge"
      className={cn(
        'rounded px-1.5 py-0.5 text-xs font-medium uppercase tracking-wide',
        simulated ? 'bg-warn/15 text-warn' : source === 'live' ? 'bg-gain/15 text-gain' : 'bg-accent/15 text-accent',
      )}
    >
      {simulated ? 'simulated' : source}
    </span>
  );
}

/** Markets: pick exchange, symbol, timeframe; chart, ticker and order book refreshed every few seconds. */
export function MarketsView({ exchanges, defaultExchange, simulatedExchange }: { exchanges: string[]; defaultExchange: string; simulatedExchange: string }) {
  const trpc = useTRPC();
  const [exchange, setExchange] = useState(defaultExchange);
  const [symbolText, setSymbolText] = useState('BTC/USDT');
  const [timeframe, setTimeframe] = useState('1h');
  const [depth, setDepth] = useState<number>(20);
  const symbol = symbolText.trim().toUpperCase();
  const symbolValid = ZSymbol.safeParse(symbol).success;

  const snapshot = useQuery({
    ...trpc.marketData.snapshot.queryOptions({ exchange, symbol, timeframe, depth, limit: 200 }),
    enabled: symbolValid,
    refetchInterval: 5_000,
    placeholderData: keepPreviousData,
  });
  // A market that does not exist (404 "unknown market") is never charted, not even the previous market's placeholder.
  const unknownMarket = snapshot.isError && (snapshot.error as { data?: { code?: string } } | null)?.data?.code === 'NOT_FOUND';
  const data = unknownMarket ? undefined : snapshot.data;
  const priceTick = data?.priceTick ?? null;
  const fmt = (v: number | null | undefined) => formatPrice(v, { priceTick });

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-3" role="group" aria-label="Market">
        <div className="space-y-1">
          <Label htmlFor="market-exchange">Exchange</Label>
          <select id="market-exchange" className={cn(selectClass, 'block')} value={exchange} onChange={(e) => setExchange(e.target.value)}>
            {exchanges.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </div>
        <div className="space-y-1">
          <Label htmlFor="market-symbol">Symbol</Label>
          <Input
            id="market-symbol"
            list="market-symbols"
            className="w-36"
            value={symbolText}
            onChange={(e) => setSymbolText(e.target.value)}
            aria-invalid={!symbolValid}
          />
          <datalist id="market-symbols">
            {COMMON_SYMBOLS.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        </div>
        <div className="space-y-1">
          <Label htmlFor="market-timeframe">Timeframe</Label>
          <select id="market-timeframe" className={cn(selectClass, 'block')} value={timeframe} onChange={(e) => setTimeframe(e.target.value)}>
            {TIMEFRAMES.map((tf) => (
              <option key={tf} value={tf}>
                {tf}
              </option>
            ))}
          </select>
        </div>
        {data ? (
          <div className="flex items-center gap-2 pb-2 text-xs text-muted">
            candles <SourceBadge source={data.candleSource} /> quotes <SourceBadge source={data.quoteSource} />
          </div>
        ) : null}
      </div>
      {!symbolValid ? <p className="text-sm text-loss">Symbol must look like BTC/USDT.</p> : null}
      {data?.notice ? (
        <p className="rounded-md border border-warn/40 bg-warn/10 px-3 py-2 text-xs text-warn" data-testid="market-notice">
          {data.notice}
        </p>
      ) : null}

      {data && data.candleSource !== 'stored' ? (
        <div className="flex flex-wrap items-center gap-3 text-xs text-muted" data-testid="market-not-stored">
          <span>
            No candles of this market are stored: backtests cannot use it yet
            {data.mark?.kind === 'simulated' ? (
              <span data-testid="mark-simulated-note">
                , and paper orders fill at the simulated mark ({formatPrice(data.mark.price, { priceTick })}), not at the exchange&apos;s price, until its
                candles are stored
              </span>
            ) : null}
            .
          </span>
          <ImportMarketButton exchange={exchange} symbol={symbol} timeframe={timeframe} importable={exchange !== simulatedExchange} />
        </div>
      ) : null}

      {unknownMarket ? (
        <EmptyState title="Unknown market">
          <span data-testid="unknown-market">{errorMessage(snapshot.error)}. Check the symbol (e.g. BTC/USDT) or pick another exchange.</span>
        </EmptyState>
      ) : snapshot.isError && !data ? (
        <ErrorState message={`Could not load ${symbol}: ${errorMessage(snapshot.error)}`} retry={() => void snapshot.refetch()} />
      ) : (
        <div className="grid gap-4 lg:grid-cols-[1fr_18rem]">
          <Card>
            <CardHeader className="flex-row flex-wrap items-baseline justify-between gap-2">
              <CardTitle>
                {symbol} · {timeframe}
              </CardTitle>
              <MarkLabel mark={data?.mark} priceTick={priceTick} className="w-full text-xs text-muted sm:order-last" />
              <dl className="num flex flex-wrap gap-x-4 gap-y-1 text-sm" data-testid="ticker">
                <div className="flex gap-1">
                  <dt className="text-muted">Last</dt>
                  <dd className="text-right font-medium" data-testid="ticker-last">
                    {fmt(data?.ticker?.last)}
                  </dd>
                </div>
                <div className="flex gap-1">
                  <dt className="text-muted">Bid</dt>
                  <dd className="text-right">{fmt(data?.ticker?.bid)}</dd>
                </div>
                <div className="flex gap-1">
                  <dt className="text-muted">Ask</dt>
                  <dd className="text-right">{fmt(data?.ticker?.ask)}</dd>
                </div>
                <div className="flex gap-1">
                  <dt className="text-muted">24h</dt>
                  <dd className={cn('text-right', signTone(data?.ticker?.change24hPct))}>
                    {arrow(data?.ticker?.change24hPct)}
                    {formatPercent(data?.ticker?.change24hPct, { signed: true })}
                  </dd>
                </div>
              </dl>
            </CardHeader>
            <CardContent className="p-2 sm:p-4">
              {snapshot.isPending ? (
                <Skeleton className="h-[360px] w-full" />
              ) : !data || data.candles.length === 0 ? (
                <div className="flex h-[360px] items-center justify-center text-sm text-muted">No candles for this market.</div>
              ) : (
                <MarketChart
                  exchange={data.exchange}
                  symbol={data.symbol}
                  timeframe={data.timeframe}
                  source={data.candleSource}
                  priceTick={priceTick}
                  lastCandle={data.candles.at(-1)?.[0]}
                />
              )}
            </CardContent>
          </Card>
          <Card>
            <CardHeader className="flex-row items-center justify-between">
              <CardTitle>Order book</CardTitle>
              <label className="flex items-center gap-1 text-xs text-muted">
                Depth
                <select
                  aria-label="Order book depth"
                  className={cn(selectClass, 'h-7 px-2 text-xs')}
                  value={depth}
                  onChange={(e) => setDepth(Number(e.target.value))}
                >
                  {DEPTHS.map((d) => (
                    <option key={d} value={d}>
                      {d}
                    </option>
                  ))}
                </select>
              </label>
            </CardHeader>
            <CardContent className="p-0">
              {snapshot.isPending ? (
                <div className="space-y-1 p-4">
                  {Array.from({ length: 10 }, (_, i) => (
                    <Skeleton key={i} className="h-4 w-full" />
                  ))}
                </div>
              ) : !data?.orderBook ? (
                <p className="p-4 text-sm text-muted">No order book.</p>
              ) : (
                <OrderBookTable bids={data.orderBook.bids} asks={data.orderBook.asks} fmt={fmt} />
              )}
            </CardContent>
          </Card>
        </div>
      )}
    </div>
  );
}

function OrderBookTable({ bids, asks, fmt }: { bids: [number, number][]; asks: [number, number][]; fmt: (v: number) => string }) {
  const maxAmount = Math.max(...bids.map((b) => b[1]), ...asks.map((a) => a[1]), 1e-12);
  const row =
    (side: 'bid' | 'ask') =>
    ([price, amount]: [number, number], i: number) => (
      <tr key={`${side}-${i}`} className="relative">
        <td className={cn('num relative px-4 py-0.5 text-right', side === 'bid' ? 'text-gain' : 'text-loss')}>
          <span
            className={cn('absolute inset-y-0 right-0', side === 'bid' ? 'bg-gain/10' : 'bg-loss/10')}
            style={{ width: `${(amount / maxAmount) * 100}%` }}
            aria-hidden
          />
          <span className="relative">{fmt(price)}</span>
        </td>
        <td className="num px-4 py-0.5 text-right">{formatQuantity(amount)}</td>
      </tr>
    );
  return (
    <div className="max-h-[28rem] overflow-y-auto" data-testid="order-book">
      <table className="w-full text-xs">
        <thead className="text-muted">
          <tr>
            <th className="px-4 py-1 text-right font-medium">Price</th>
            <th className="px-4 py-1 text-right font-medium">Amount</th>
          </tr>
        </thead>
        <tbody aria-label="Asks">{[...asks].reverse().map(row('ask'))}</tbody>
        <tbody aria-label="Bids" className="border-t border-border">
          {bids.map(row('bid'))}
        </tbody>
      </table>
    </div>
  );
}
