'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { PriceChart } from '@/components/charts/price-chart';
import { useTRPC } from '@/components/trpc/client';
import type { ChartWindowRequest } from '@/server/api/schemas/backtests';
import type { DeploymentResponse } from '@/server/api/schemas/deployments';

/**
 * The deployment's price chart: the bars its strategy processed, its indicators computed on them with the same plot
 * declarations as a backtest's, and its fills as markers (GET /api/v1/deployments/{id}/chart). It is drawn from the
 * bars processed when the page loaded, and again each time the deployment has processed another 50 bars (a
 * re-draw resets zoom, so not on every bar).
 */
export function DeploymentPriceChart({ deployment: d }: { deployment: DeploymentResponse }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const loadWindow = useCallback(
    (request: ChartWindowRequest) => queryClient.fetchQuery({ ...trpc.deployments.chart.queryOptions({ id: d.id, ...request }), staleTime: 10_000 }),
    [queryClient, trpc, d.id],
  );
  if (d.lastBarTime === null) {
    return <p className="text-sm text-muted">No bar processed yet: the chart appears with the strategy&apos;s first closed candle.</p>;
  }
  const barMs = Date.parse(d.lastBarTime);
  const { timeframe, symbol, type } = d.strategy;
  return (
    <PriceChart
      liveEnd={barMs}
      loadWindow={loadWindow}
      priceTick={d.priceTick}
      amountStep={d.amountStep}
      label={`${symbol} ${timeframe}, ${type}`}
      height={360}
    />
  );
}
