'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { PriceChart } from '@/components/charts/price-chart';
import { useTRPC } from '@/components/trpc/client';
import type { ChartWindowRequest } from '@/server/api/schemas/backtests';

/**
 * A stored market on the Markets page: the price chart backtests use (candles with volume, wheel/pinch zoom,
 * drag/touch pan, a crosshair readout), loading windows of the stored candles as the user pans and zooms
 * (GET /api/v1/market-data/chart; aggregated when zoomed out). Markets whose candles are not stored keep the
 * simple chart of the live candles the snapshot fetched.
 */
export function StoredMarketChart({
  exchange,
  symbol,
  timeframe,
  priceTick,
}: {
  exchange: string;
  symbol: string;
  timeframe: string;
  priceTick: string | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const loadWindow = useCallback(
    (request: ChartWindowRequest) =>
      queryClient.fetchQuery({ ...trpc.marketData.chart.queryOptions({ exchange, symbol, timeframe, ...request }), staleTime: 30_000 }),
    [queryClient, trpc, exchange, symbol, timeframe],
  );
  return (
    <PriceChart
      key={`${exchange}|${symbol}|${timeframe}`}
      loadWindow={loadWindow}
      priceTick={priceTick}
      amountStep={null}
      label={`${symbol} ${timeframe}`}
      height={360}
    />
  );
}
