'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Check, Copy } from 'lucide-react';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { formatDateTimeSeconds, formatPrice, formatQuantity } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState, ErrorState, Skeleton, SkeletonRows } from '@/components/ui/states';
import type { DeploymentResponse } from '@/server/api/schemas/deployments';

/**
 * The alert message a TradingView strategy alert sends (docs/signals.md): its placeholders fill in the action
 * ("buy"/"sell"), the ticker, the order's contracts, the close and a unique id per order and time.
 */
export const TRADINGVIEW_TEMPLATE = `{
  "action": "{{strategy.order.action}}",
  "symbol": "{{ticker}}",
  "size": "{{strategy.order.contracts}}",
  "price": "{{close}}",
  "id": "{{strategy.order.id}}-{{timenow}}",
  "time": "{{timenow}}"
}`;

const OUTCOME_TONE: Record<string, string> = {
  executed: 'border-gain/50 text-gain',
  pending: 'border-border text-muted',
  refused: 'border-warn/50 text-warn',
  invalid: 'border-loss/50 text-loss',
};

function CopyButton({ text, label, testId }: { text: string; label: string; testId: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2_000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <Button
      type="button"
      variant="secondary"
      size="sm"
      data-testid={testId}
      aria-label={label}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        );
      }}
    >
      {copied ? <Check className="h-4 w-4" aria-hidden /> : <Copy className="h-4 w-4" aria-hidden />} {copied ? 'Copied' : 'Copy'}
    </Button>
  );
}

function CodeLine({ children, testId }: { children: string; testId: string }) {
  return (
    <code data-testid={testId} className="block min-w-0 flex-1 overflow-x-auto whitespace-pre rounded-md bg-panel-2 px-2 py-1.5 font-mono text-xs">
      {children}
    </code>
  );
}

/** A signal deployment's webhook: its URL (the secret shown once, when made or rotated), the TradingView template and the last signals with their outcome. */
export function SignalWebhook({ deployment }: { deployment: DeploymentResponse }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const zone = useTimeZone();
  const webhook = useQuery(trpc.deployments.signals.queryOptions({ id: deployment.id, limit: 20 }));
  const [revealed, setRevealed] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const rotate = useMutation(
    trpc.deployments.rotateSignalSecret.mutationOptions({
      onSuccess: (answer) => {
        setRevealed(answer.secret);
        setConfirming(false);
        void queryClient.invalidateQueries({ queryKey: trpc.deployments.signals.queryKey({ id: deployment.id }) });
      },
    }),
  );
  const [origin, setOrigin] = useState('');
  useEffect(() => setOrigin(window.location.origin), []);

  if (webhook.isPending) {
    return (
      <div className="space-y-3" aria-busy="true">
        <Skeleton className="h-8 w-full" />
        <SkeletonRows rows={3} />
      </div>
    );
  }
  if (webhook.isError) return <ErrorState title="Could not load the signal webhook" message={webhook.error.message} retry={() => void webhook.refetch()} />;

  const w = webhook.data;
  const url = `${origin}${w.path}`;
  const [base] = deployment.strategy.symbol.split('/');
  return (
    <div className="space-y-5 text-sm">
      <section className="space-y-2">
        <h3 className="font-medium">Webhook URL</h3>
        {revealed ? (
          <div className="space-y-2 rounded-md border border-accent/40 p-3" data-testid="signal-secret-revealed">
            <p className="text-xs">For TradingView (the secret is part of the URL). Copy it now: the secret is shown only once.</p>
            <div className="flex items-center gap-2">
              <CodeLine testId="signal-url-with-secret">{`${url}/${revealed}`}</CodeLine>
              <CopyButton text={`${url}/${revealed}`} label="Copy the webhook URL" testId="copy-signal-url" />
            </div>
            <p className="text-xs text-muted">Other senders may POST to the URL below with the secret in the X-Cryptobot-Signal-Secret header.</p>
            <Button size="sm" variant="secondary" onClick={() => setRevealed(null)}>
              I stored it
            </Button>
          </div>
        ) : null}
        <div className="flex items-center gap-2">
          <CodeLine testId="signal-url">{url}</CodeLine>
          <CopyButton text={url} label="Copy the webhook URL without the secret" testId="copy-signal-url-plain" />
        </div>
        <div className="flex flex-wrap items-center gap-2 text-xs text-muted">
          <span data-testid="signal-secret-state">
            {w.secret
              ? `Secret ${w.secret.prefix}… made ${formatDateTimeSeconds(w.secret.createdAt, zone)}`
              : 'No secret yet: signals are refused until you make one.'}
          </span>
          <Button
            size="sm"
            variant={w.secret ? 'secondary' : 'primary'}
            data-testid="signal-secret-button"
            onClick={() => (w.secret ? setConfirming(true) : rotate.mutate({ id: deployment.id }))}
            disabled={rotate.isPending}
          >
            {w.secret ? 'Rotate secret' : 'Make secret'}
          </Button>
        </div>
        {rotate.isError && !confirming ? <p className="text-xs text-loss">{rotate.error.message}</p> : null}
        <ConfirmDialog
          open={confirming}
          onOpenChange={setConfirming}
          title="Rotate the signal secret?"
          description="A new secret replaces the current one at once: alerts still sending the old URL or header are refused (401) until you update them."
          confirmLabel="Rotate secret"
          onConfirm={() => rotate.mutate({ id: deployment.id })}
          pending={rotate.isPending}
          danger
          error={rotate.isError ? rotate.error.message : undefined}
        />
      </section>

      <section className="space-y-2">
        <div className="flex items-center justify-between gap-2">
          <h3 className="font-medium">TradingView alert message</h3>
          <CopyButton text={TRADINGVIEW_TEMPLATE} label="Copy the TradingView alert template" testId="copy-signal-template" />
        </div>
        <pre data-testid="signal-template" className="overflow-x-auto rounded-md bg-panel-2 p-2 font-mono text-xs">
          {TRADINGVIEW_TEMPLATE}
        </pre>
        <p className="text-xs text-muted">
          action is buy, sell or exit; size is in {base} (a buy without it spends the strategy&apos;s position size of the cash); a signal more than the replay
          window away from its time is refused; a repeated id is answered with its first outcome, never traded twice.
        </p>
      </section>

      <section className="space-y-2">
        <h3 className="font-medium">Last signals</h3>
        {w.signals.length === 0 ? (
          <EmptyState title="No signal yet">Signals appear here as they arrive, with what came of each.</EmptyState>
        ) : (
          <ul className="divide-y divide-border" data-testid="signal-list">
            {w.signals.map((s) => (
              <li key={s.id} className="flex flex-col gap-1 py-2" data-testid="signal-row" data-outcome={s.outcome}>
                <div className="flex flex-wrap items-center gap-2">
                  <span className={cn('rounded border px-1.5 py-0.5 text-xs', OUTCOME_TONE[s.outcome])}>{s.outcome}</span>
                  <span className="font-medium">{s.action ?? '—'}</span>
                  {s.size ? (
                    <span className="num">
                      {formatQuantity(s.size, { step: deployment.amountStep })} {base}
                    </span>
                  ) : null}
                  {s.price ? <span className="num text-muted">@ {formatPrice(s.price, { priceTick: deployment.priceTick })}</span> : null}
                  <span className="ml-auto text-xs text-muted">{formatDateTimeSeconds(s.receivedAt, zone)}</span>
                </div>
                <div className="flex min-w-0 flex-wrap items-center gap-2 text-xs text-muted">
                  <span className="break-all">id {s.signalId ?? '—'}</span>
                  {s.orderId ? (
                    <Link className="text-accent hover:underline" href={`/orders?deploymentId=${deployment.id}`} data-testid="signal-order-link">
                      order {s.orderStatus ?? ''}
                    </Link>
                  ) : null}
                  {s.reason ? <span className="break-words">{s.reason}</span> : null}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
