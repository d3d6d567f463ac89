'use client';

import * as Dialog from '@radix-ui/react-dialog';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { OctagonX } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field, Input } from '@/components/ui/input';
import { useKillSwitchState } from './use-kill-switch';

type Result = { pausedDeployments: number; canceledOrders: number; cancelRequested: number; failures: string[]; alreadyEngaged: boolean };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function useInvalidateTrading() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => {
    for (const queryKey of [
      trpc.killSwitch.pathKey(),
      trpc.deployments.pathKey(),
      trpc.orders.list.queryKey(),
      trpc.alerts.pathKey(),
      trpc.strategies.pathKey(),
      trpc.accounts.balance.queryKey(),
    ])
      void queryClient.invalidateQueries({ queryKey });
  };
}

/**
 * The kill switch in the app header (docs/trading.md "Kill switch"): one tap, then a confirmation; the reason is
 * optional. Engaged, it latches: new orders are refused, deployments stay paused, open orders are canceled, until
 * it is released from the banner (KillSwitchBanner). Admins may engage it for everyone.
 */
export function KillSwitch({ isAdmin }: { isAdmin: boolean }) {
  const trpc = useTRPC();
  const state = useKillSwitchState();
  const invalidate = useInvalidateTrading();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [global, setGlobal] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  const running = useQuery({ ...trpc.deployments.list.queryOptions({ state: 'running' }), enabled: open && !result });
  const openOrders = useQuery({ ...trpc.orders.list.queryOptions({ status: 'open' }), enabled: open && !result });
  const engage = useMutation(
    trpc.killSwitch.engage.mutationOptions({
      onSuccess: (outcome) => {
        setResult(outcome);
        invalidate();
      },
    }),
  );
  const reasonError = fieldErrors(engage.error).reason;
  const engaged = state.data?.engaged === true;

  function onOpenChange(next: boolean) {
    setOpen(next);
    if (next) {
      setReason('');
      setGlobal(false);
      setResult(null);
      engage.reset();
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    engage.mutate({ ...(reason.trim() ? { reason: reason.trim() } : {}), ...(global ? { global: true } : {}) });
  }

  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Trigger asChild>
        {engaged ? (
          <Button
            variant="danger"
            size="sm"
            aria-label="Kill switch engaged"
            title="The kill switch is engaged: trading is halted"
            data-testid="kill-switch-engaged-badge"
            disabled={!isAdmin}
          >
            <OctagonX className="h-4 w-4 animate-pulse" aria-hidden /> <span className="hidden sm:inline">Halted</span>
          </Button>
        ) : (
          <Button
            variant="danger"
            size="sm"
            aria-label="Kill switch"
            title="Kill switch: halt trading (refuse new orders, pause every deployment, cancel open orders)"
          >
            <OctagonX className="h-4 w-4" aria-hidden /> <span className="hidden sm:inline">Kill switch</span>
          </Button>
        )}
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
                  {result.alreadyEngaged ? (
                    <p className="font-medium">The kill switch was already engaged.</p>
                  ) : (
                    <p className="font-medium">
                      Engaged: paused {plural(result.pausedDeployments, 'deployment')}, canceled {plural(result.canceledOrders, 'order')}.
                    </p>
                  )}
                  {result.failures.length ? (
                    <div className="rounded-md border border-loss/40 bg-loss/10 p-2 text-loss">
                      <p className="font-medium">Not confirmed yet — the reconciler keeps trying; check them on the Orders page:</p>
                      <ul className="list-inside list-disc">
                        {result.failures.map((f) => (
                          <li key={f}>{f}</li>
                        ))}
                      </ul>
                    </div>
                  ) : (
                    <p className="text-muted">
                      New orders are refused until you release it from the red banner. Deployments stay paused after that until you resume them.
                    </p>
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
                    Halts your trading until you release it: <span className="font-medium text-fg">every new order is refused</span>, every running deployment
                    {running.data ? ` (${running.data.length} now)` : ''} is paused and{' '}
                    <span className="font-medium text-fg">all your open orders are canceled</span>
                    {openOrders.data ? ` (${openOrders.data.length} now)` : ''}, on every account. Positions are kept.
                  </p>
                </div>
              </Dialog.Description>
              <div className="mt-4 space-y-3">
                <Field id="kill-switch-reason" label="Reason (optional)" error={reasonError}>
                  <Input
                    id="kill-switch-reason"
                    value={reason}
                    maxLength={500}
                    onChange={(e) => setReason(e.target.value)}
                    placeholder="e.g. exchange outage"
                    aria-invalid={!!reasonError}
                  />
                </Field>
                {isAdmin ? (
                  <label className="flex items-start gap-2 text-sm">
                    <input type="checkbox" className="mt-1" checked={global} onChange={(e) => setGlobal(e.target.checked)} />
                    <span>
                      For <span className="font-medium">every user</span> (global; only an admin can release it)
                    </span>
                  </label>
                ) : null}
              </div>
              {engage.error && !reasonError ? (
                <p role="alert" className="mt-3 text-sm text-loss">
                  {engage.error.message}
                </p>
              ) : null}
              <div className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
                <Dialog.Close asChild>
                  <Button variant="secondary" disabled={engage.isPending}>
                    Cancel
                  </Button>
                </Dialog.Close>
                <Button type="submit" variant="danger" disabled={engage.isPending}>
                  {engage.isPending ? 'Working…' : global ? 'Halt everyone' : 'Engage kill switch'}
                </Button>
              </div>
            </form>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/**
 * The red banner across the app while a latch halts the user's trading: since when, by whom, why, and the
 * Release action (confirmed). A global latch can only be released by an admin.
 */
export function KillSwitchBanner({ isAdmin }: { isAdmin: boolean }) {
  const trpc = useTRPC();
  const zone = useTimeZone();
  const state = useKillSwitchState();
  const invalidate = useInvalidateTrading();
  const [confirming, setConfirming] = useState(false);
  const release = useMutation(
    trpc.killSwitch.release.mutationOptions({
      onSuccess: () => {
        setConfirming(false);
        invalidate();
      },
    }),
  );
  const data = state.data;
  if (!data?.engaged) return null;
  const global = data.scope === 'global';
  // The latch the Release button releases: the user's own first; the global one only for an admin.
  const own = data.latches.find((l) => l.scope === 'user');
  const releasable = own ? 'user' : global && isAdmin ? 'global' : null;

  return (
    <div role="alert" data-testid="kill-switch-banner" className="border-b border-loss/50 bg-loss/15 px-3 py-2 text-sm md:px-6">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-2">
        <p className="min-w-0">
          <OctagonX className="mr-1 inline h-4 w-4 align-text-bottom text-loss" aria-hidden />
          <span className="font-semibold text-loss">Kill switch engaged{global ? ' for everyone' : ''}</span>{' '}
          <span className="text-muted">
            since {formatDateTime(data.since, zone)}
            {data.by ? ` by ${data.by}` : ''}
          </span>
          {data.reason ? <span className="break-words"> — {data.reason}</span> : null}
          <span className="text-muted">. New orders are refused; deployments stay paused.</span>
          {global && !isAdmin ? <span className="text-muted"> An admin must release it.</span> : null}
        </p>
        {releasable ? (
          <Button
            size="sm"
            variant="secondary"
            onClick={() => {
              release.reset();
              setConfirming(true);
            }}
          >
            Release
          </Button>
        ) : null}
      </div>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={releasable === 'global' ? 'Release the kill switch for everyone?' : 'Release the kill switch?'}
        confirmLabel="Release"
        pending={release.isPending}
        error={release.error?.message ?? null}
        onConfirm={() => release.mutate(releasable === 'global' ? { global: true } : {})}
        description={
          <>
            <p>New orders will be accepted again{releasable === 'global' ? ' for every user' : ''}.</p>
            <p>Deployments paused by the kill switch stay paused: resume each one when you are ready.</p>
            {own && global ? <p>The global kill switch an admin engaged still holds until an admin releases it.</p> : null}
          </>
        }
      />
    </div>
  );
}
