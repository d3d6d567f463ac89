'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { PriceChart } from '@/components/charts/price-chart';
import { useTRPC } from '@/components/trpc/client';
import type { ChartWindowRequest } from '@/server/api/schemas/backtests';
import type { DeploymentResponse } from '@/server/api/schemas/deployments';

/** Requests a window makes while a script's plots are pending (each waits up to a few seconds on the server). */
const PLOTS_TRIES = 10;

/**
 * The deployment's price chart: the bars its strategy processed, its indicators computed on them with the same plot
 * declarations as a backtest's, and its fills as markers (GET /api/v1/deployments/{id}/chart). It is drawn from the
 * bars processed when the page loaded, and again each time the deployment has processed another 50 bars (a
 * re-draw resets zoom, so not on every bar). A script's indicators are computed by the worker: the window waits for them.
 */
export function DeploymentPriceChart({ deployment: d }: { deployment: DeploymentResponse }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const loadWindow = useCallback(
    async (request: ChartWindowRequest) => {
      const options = trpc.deployments.chart.queryOptions({ id: d.id, ...request });
      let win = await queryClient.fetchQuery({ ...options, staleTime: 10_000 });
      // A script's plots come from the worker: each request waits a few seconds for them; ask again while they are pending.
      for (let tries = 0; win.plotsPending && tries < PLOTS_TRIES; tries++) win = await queryClient.fetchQuery({ ...options, staleTime: 0 });
      return win;
    },
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
