'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Pause, Play, Square } from 'lucide-react';
import { useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import type { DeploymentResponse } from '@/server/api/schemas/deployments';
import { formatQuantity, isZero } from '@/components/format';
import { useTradingHalted } from './use-kill-switch';

/** Pause / resume / stop for one deployment; stop asks whether to close the position. */
export function DeploymentControls({ deployment, size = 'sm' }: { deployment: DeploymentResponse; size?: 'sm' | 'md' }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const halted = useTradingHalted();
  const [stopOpen, setStopOpen] = useState(false);
  const [closePosition, setClosePosition] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [stopResult, setStopResult] = useState<string | null>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.deployments.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.orders.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.strategies.pathKey() });
  };
  const onError = (e: { message: string }) => setError(e.message);
  const pause = useMutation(trpc.deployments.pause.mutationOptions({ onSuccess: refresh, onError }));
  const resume = useMutation(trpc.deployments.resume.mutationOptions({ onSuccess: refresh, onError }));
  const stop = useMutation(
    trpc.deployments.stop.mutationOptions({
      onSuccess: (result) => {
        refresh();
        setStopOpen(false);
        const parts = [`${result.canceledOrders} open order${result.canceledOrders === 1 ? '' : 's'} canceled`];
        if (result.closeOrderId) parts.push('position sold at market');
        if (result.failures.length) parts.push(`not done: ${result.failures.join('; ')}`);
        setStopResult(`Stopped: ${parts.join(', ')}.`);
      },
    }),
  );
  const { state, position, strategy } = deployment;
  const [base] = strategy.symbol.split('/');
  const holding = !isZero(position.quantity);
  const busy = pause.isPending || resume.isPending || stop.isPending;
  const label = deployment.strategyName ?? strategy.symbol;

  if (state !== 'running' && state !== 'paused')
    return stopResult ? (
      <p role="status" className="text-xs text-muted">
        {stopResult}
      </p>
    ) : null;

  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex flex-wrap justify-end gap-2">
        {state === 'running' ? (
          <Button
            size={size}
            variant="secondary"
            disabled={busy}
            aria-label={`Pause ${label}`}
            onClick={() => {
              setError(null);
              pause.mutate({ id: deployment.id });
            }}
          >
            <Pause className="h-4 w-4" aria-hidden /> Pause
          </Button>
        ) : (
          <Button
            size={size}
            variant="secondary"
            disabled={busy || halted !== null}
            title={halted ?? undefined}
            aria-label={`Resume ${label}`}
            onClick={() => {
              setError(null);
              resume.mutate({ id: deployment.id });
            }}
          >
            <Play className="h-4 w-4" aria-hidden /> Resume
          </Button>
        )}
        <Button
          size={size}
          variant="secondary"
          disabled={busy}
          aria-label={`Stop ${label}`}
          onClick={() => {
            setError(null);
            stop.reset();
            setClosePosition(false);
            setStopOpen(true);
          }}
        >
          <Square className="h-4 w-4" aria-hidden /> Stop
        </Button>
      </div>
      {state === 'paused' && halted ? (
        <p role="status" data-testid="resume-halted" className="max-w-xs text-right text-xs text-loss">
          {halted}
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="text-xs text-loss">
          {error}
        </p>
      ) : null}
      <ConfirmDialog
        open={stopOpen}
        onOpenChange={setStopOpen}
        title="Stop this deployment?"
        confirmLabel="Stop deployment"
        danger
        pending={stop.isPending}
        error={stop.error?.message}
        onConfirm={() => stop.mutate({ id: deployment.id, closePosition: holding && closePosition })}
        description={
          <>
            <p>
              {label} on {deployment.accountName ?? 'its account'} stops for good: it will not trade again and its open orders are canceled.
            </p>
            <p>
              {holding
                ? `It holds ${formatQuantity(position.quantity, { step: deployment.amountStep })} ${base}. Unless you close it, the position stays in the account.`
                : 'It holds no position.'}
            </p>
          </>
        }
      >
        {holding ? (
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={closePosition} onChange={(e) => setClosePosition(e.target.checked)} />
            Close the position? (sell {formatQuantity(position.quantity, { step: deployment.amountStep })} {base} at market
            {deployment.mode === 'live' ? ' — a real order' : ''})
          </label>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}
