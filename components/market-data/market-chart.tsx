'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { PriceChart } from '@/components/charts/price-chart';
import { useTRPC } from '@/components/trpc/client';
import type { ChartWindowRequest } from '@/server/api/schemas/backtests';

/**
 * A market on the Markets page: the price chart backtests use (candles with volume, wheel/pinch zoom, drag/touch
 * pan, a crosshair readout, aggregated candles when zoomed out), loading windows of the market's candles as the user
 * pans and zooms (GET /api/v1/market-data/chart: the stored candles, else the latest ones from the exchange or the
 * simulated market). `lastCandle` (ms): the latest candle the page's snapshot saw; when it moves on, the chart takes in
 * the new candles and keeps the user's view (following them when the latest one is in view).
 */
export function MarketChart({
  exchange,
  symbol,
  timeframe,
  source,
  priceTick,
  lastCandle,
}: {
  exchange: string;
  symbol: string;
  timeframe: string;
  /** where the candles come from (stored, live, simulated): a change starts the chart afresh */
  source: string;
  priceTick: string | null;
  lastCandle: number | undefined;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const loadWindow = useCallback(
    (request: ChartWindowRequest) =>
      queryClient.fetchQuery({ ...trpc.marketData.chart.queryOptions({ exchange, symbol, timeframe, ...request }), staleTime: 5_000 }),
    [queryClient, trpc, exchange, symbol, timeframe],
  );
  return (
    <PriceChart
      key={`${exchange}|${symbol}|${timeframe}|${source}`}
      loadWindow={loadWindow}
      priceTick={priceTick}
      amountStep={null}
      label={`${symbol} ${timeframe}`}
      height={360}
      liveEnd={lastCandle}
      trades={false}
    />
  );
}
