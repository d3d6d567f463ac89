'use client';

import * as Dialog from '@radix-ui/react-dialog';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { OctagonX } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Field, Input } from '@/components/ui/input';

type Result = { pausedDeployments: number; canceledOrders: number; failures: string[] };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The kill switch in the app header: pauses every running deployment of the user and cancels all their open
 * orders (POST /api/v1/kill-switch). Asks for a reason, says what it will do, then shows what it did.
 */
export function KillSwitch() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<Result | null>(null);
  const running = useQuery({ ...trpc.deployments.list.queryOptions({ state: 'running' }), enabled: open && !result });
  const openOrders = useQuery({ ...trpc.orders.list.queryOptions({ status: 'open' }), enabled: open && !result });
  const partlyFilled = useQuery({ ...trpc.orders.list.queryOptions({ status: 'partially_filled' }), enabled: open && !result });
  const kill = useMutation(
    trpc.deployments.killSwitch.mutationOptions({
      onSuccess: (outcome) => {
        setResult(outcome);
        for (const queryKey of [trpc.deployments.pathKey(), trpc.orders.list.queryKey(), trpc.alerts.pathKey(), trpc.strategies.pathKey(), trpc.accounts.balance.queryKey()]) void queryClient.invalidateQueries({ queryKey });
      },
    }),
  );
  const reasonError = fieldErrors(kill.error).reason;
  const orderCount = openOrders.data && partlyFilled.data ? openOrders.data.length + partlyFilled.data.length : null;

  function onOpenChange(next: boolean) {
    setOpen(next);
    if (next) {
      setReason('');
      setResult(null);
      kill.reset();
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    kill.mutate({ reason: reason.trim() });
  }

  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Trigger asChild>
        <Button variant="danger" size="sm" aria-label="Kill switch" title="Kill switch: pause every deployment and cancel all open orders">
          <OctagonX className="h-4 w-4" aria-hidden /> <span className="hidden sm:inline">Kill switch</span>
        </Button>
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/60" />
        <Dialog.Content className="fixed left-1/2 top-1/2 z-50 w-[calc(100vw-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 rounded-lg border border-loss/50 bg-panel p-5 shadow-xl">
          <Dialog.Title className="flex items-center gap-2 text-base font-semibold text-loss">
            <OctagonX className="h-5 w-5" aria-hidden /> Kill switch
          </Dialog.Title>
          {result ? (
            <>
              <Dialog.Description asChild>
                <div role="status" data-testid="kill-switch-result" className="mt-3 space-y-2 text-sm">
                  <p className="font-medium">
                    Paused {plural(result.pausedDeployments, 'deployment')}, canceled {plural(result.canceledOrders, 'order')}.
                  </p>
                  {result.failures.length ? (
                    <div className="rounded-md border border-loss/40 bg-loss/10 p-2 text-loss">
                      <p className="font-medium">Not done — check these on the Orders page:</p>
                      <ul className="list-inside list-disc">
                        {result.failures.map((f) => (
                          <li key={f}>{f}</li>
                        ))}
                      </ul>
                    </div>
                  ) : (
                    <p className="text-muted">Paused deployments stay paused until you resume them.</p>
                  )}
                </div>
              </Dialog.Description>
              <div className="mt-5 flex justify-end">
                <Dialog.Close asChild>
                  <Button variant="secondary">Close</Button>
                </Dialog.Close>
              </div>
            </>
          ) : (
            <form onSubmit={submit} noValidate aria-label="Kill switch">
              <Dialog.Description asChild>
                <div className="mt-2 space-y-2 text-sm text-muted">
                  <p>
                    Pauses <span className="font-medium text-fg">every running deployment</span>
                    {running.data ? ` (${running.data.length} now)` : ''} and cancels <span className="font-medium text-fg">all your open orders</span>
                    {orderCount !== null ? ` (${orderCount} now)` : ''}, manual ones included, on every account. Positions are kept.
                  </p>
                </div>
              </Dialog.Description>
              <div className="mt-4">
                <Field id="kill-switch-reason" label="Reason" error={reasonError}>
                  <Input id="kill-switch-reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} placeholder="e.g. exchange outage" aria-invalid={!!reasonError} autoFocus />
                </Field>
              </div>
              {kill.error && !reasonError ? (
                <p role="alert" className="mt-3 text-sm text-loss">
                  {kill.error.message}
                </p>
              ) : null}
              <div className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
                <Dialog.Close asChild>
                  <Button variant="secondary" disabled={kill.isPending}>
                    Cancel
                  </Button>
                </Dialog.Close>
                <Button type="submit" variant="danger" disabled={kill.isPending || reason.trim() === ''}>
                  {kill.isPending ? 'Working…' : 'Pause all and cancel orders'}
                </Button>
              </div>
            </form>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
