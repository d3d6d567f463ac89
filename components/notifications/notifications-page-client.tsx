'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Check, Copy, Plus, RotateCcw, Save, Send, Trash2 } from 'lucide-react';
import { useDeferredValue, useEffect, useRef, useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field, Input } from '@/components/ui/input';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states';
import { CHANNEL_TYPE_LABELS, DELIVERY_STATUS, formatDateTime, KIND_LABELS } from './labels';

const SELECT_CLASS = 'h-9 w-full rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none';
const KINDS = ['fill', 'order_rejected', 'deployment_state', 'circuit_breaker', 'kill_switch', 'reconciliation', 'daily_summary'] as const;
type Kind = (typeof KINDS)[number];
type ChannelType = 'telegram' | 'discord' | 'webhook';

function Badge({ tone, children }: { tone: 'gain' | 'warn' | 'loss' | 'muted'; children: React.ReactNode }) {
  const classes = { gain: 'border-gain/40 text-gain', warn: 'border-warn/40 text-warn', loss: 'border-loss/40 text-loss', muted: 'border-border text-muted' }[
    tone
  ];
  return <span className={cn('inline-flex whitespace-nowrap rounded border px-1.5 py-0.5 text-xs', classes)}>{children}</span>;
}

function useNotificationQueries() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return {
    trpc,
    refresh: (...keys: Array<'channels' | 'rules' | 'templates' | 'deliveries'>) =>
      Promise.all(keys.map((key) => queryClient.invalidateQueries({ queryKey: trpc.notifications[key].queryKey() }))),
  };
}

/** The signing secret of a new webhook channel, shown once. */
function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="mb-6 rounded-lg border border-warn/50 bg-warn/10 p-4">
      <p className="text-sm font-semibold">The webhook&apos;s signing secret</p>
      <p className="mt-1 text-sm text-muted">Your receiver checks X-Cryptobot-Signature with it. It will not be shown again.</p>
      <div className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-center">
        <code data-testid="signing-secret" className="min-w-0 flex-1 break-all rounded-md border border-border bg-panel-2 px-3 py-2 font-mono text-xs">
          {secret}
        </code>
        <div className="flex gap-2">
          <Button
            variant="secondary"
            size="sm"
            onClick={() =>
              void navigator.clipboard?.writeText(secret).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? <Check className="h-4 w-4" aria-hidden /> : <Copy className="h-4 w-4" aria-hidden />} {copied ? 'Copied' : 'Copy'}
          </Button>
          <Button size="sm" onClick={onDone}>
            I stored it
          </Button>
        </div>
      </div>
    </div>
  );
}

function AddChannelForm({ onSecret }: { onSecret: (secret: string) => void }) {
  const { trpc, refresh } = useNotificationQueries();
  const [type, setType] = useState<ChannelType>('webhook');
  const formRef = useRef<HTMLFormElement>(null);
  const create = useMutation(
    trpc.notifications.createChannel.mutationOptions({
      onSuccess: async (created) => {
        formRef.current?.reset();
        if (created.signingSecret) onSecret(created.signingSecret);
        await refresh('channels');
      },
    }),
  );
  const errors = fieldErrors(create.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const value = (name: string) => String(form.get(name) ?? '');
    const name = value('name');
    if (type === 'telegram') create.mutate({ type, name, botToken: value('botToken'), chatId: value('chatId') });
    else if (type === 'discord') create.mutate({ type, name, webhookUrl: value('webhookUrl') });
    else create.mutate({ type, name, url: value('url'), ...(value('secret').trim() ? { secret: value('secret') } : {}) });
  }

  return (
    <Card className="mb-6">
      <CardHeader>
        <CardTitle>Add a channel</CardTitle>
      </CardHeader>
      <CardContent>
        <form ref={formRef} onSubmit={onSubmit} className="grid gap-4 md:grid-cols-2" noValidate>
          <Field id="channel-type" label="Type">
            <select id="channel-type" className={SELECT_CLASS} value={type} onChange={(e) => setType(e.target.value as ChannelType)}>
              <option value="webhook">Webhook (HTTPS, signed)</option>
              <option value="telegram">Telegram bot</option>
              <option value="discord">Discord webhook</option>
            </select>
          </Field>
          <Field id="channel-name" label="Name" error={errors.name}>
            <Input id="channel-name" name="name" placeholder="e.g. my phone" maxLength={64} aria-invalid={!!errors.name} />
          </Field>
          {type === 'telegram' ? (
            <>
              <Field id="channel-token" label="Bot token" error={errors.botToken} hint="From @BotFather; stored encrypted, never shown again">
                <Input id="channel-token" name="botToken" type="password" autoComplete="off" placeholder="123456:ABC…" aria-invalid={!!errors.botToken} />
              </Field>
              <Field id="channel-chat" label="Chat id" error={errors.chatId} hint="Your chat's numeric id, or @channelname">
                <Input id="channel-chat" name="chatId" placeholder="-1001234567890" aria-invalid={!!errors.chatId} />
              </Field>
            </>
          ) : type === 'discord' ? (
            <Field
              id="channel-discord"
              label="Discord webhook URL"
              error={errors.webhookUrl}
              hint="Server settings → Integrations → Webhooks; stored encrypted"
            >
              <Input
                id="channel-discord"
                name="webhookUrl"
                type="password"
                autoComplete="off"
                placeholder="https://discord.com/api/webhooks/…"
                aria-invalid={!!errors.webhookUrl}
              />
            </Field>
          ) : (
            <>
              <Field id="channel-url" label="URL" error={errors.url} hint="HTTPS; private and loopback addresses are refused">
                <Input id="channel-url" name="url" placeholder="https://hooks.example.com/cryptobot" aria-invalid={!!errors.url} />
              </Field>
              <Field
                id="channel-secret"
                label="Signing secret (optional)"
                error={errors.secret}
                hint="At least 16 characters; leave empty to have one generated"
              >
                <Input id="channel-secret" name="secret" type="password" autoComplete="off" aria-invalid={!!errors.secret} />
              </Field>
            </>
          )}
          <div className="md:col-span-2">
            <Button type="submit" disabled={create.isPending} className="w-full sm:w-auto">
              <Plus className="h-4 w-4" aria-hidden /> {create.isPending ? 'Adding…' : 'Add channel'}
            </Button>
          </div>
        </form>
        {create.error && !Object.keys(errors).length ? (
          <div className="mt-3">
            <ErrorState title="Could not add the channel" message={create.error.message} />
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}

function ChannelsCard() {
  const { trpc, refresh } = useNotificationQueries();
  const channels = useQuery(trpc.notifications.channels.queryOptions());
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const [tests, setTests] = useState<Record<string, string>>({});
  const update = useMutation(trpc.notifications.updateChannel.mutationOptions({ onSuccess: () => refresh('channels') }));
  const remove = useMutation(
    trpc.notifications.deleteChannel.mutationOptions({
      onSuccess: async () => {
        setDeleting(null);
        await refresh('channels', 'rules', 'deliveries');
      },
    }),
  );
  const test = useMutation(
    trpc.notifications.sendTest.mutationOptions({
      onSuccess: async (result, input) => {
        setTests((all) => ({ ...all, [input.id]: result.ok ? 'Test message delivered' : `Not delivered: ${result.error ?? 'unknown error'}` }));
        await refresh('deliveries');
      },
      onError: (error, input) => setTests((all) => ({ ...all, [input.id]: `Not sent: ${error.message}` })),
    }),
  );

  return (
    <Card className="mb-6">
      <CardHeader>
        <CardTitle>Channels</CardTitle>
      </CardHeader>
      <CardContent>
        {channels.isPending ? (
          <SkeletonRows rows={2} className="h-14" />
        ) : channels.isError ? (
          <ErrorState title="Could not load your channels" message={channels.error.message} retry={() => void channels.refetch()} />
        ) : channels.data.channels.length === 0 ? (
          <EmptyState title="No channels yet">Add a Telegram bot, a Discord webhook or your own HTTPS webhook above.</EmptyState>
        ) : (
          <ul className="divide-y divide-border" aria-label="Channels">
            {channels.data.channels.map((channel) => (
              <li key={channel.id} className="flex flex-col gap-2 py-3 sm:flex-row sm:items-center sm:justify-between">
                <div className="min-w-0">
                  <p className="flex flex-wrap items-center gap-2 text-sm font-medium">
                    {channel.name} <Badge tone="muted">{CHANNEL_TYPE_LABELS[channel.type]}</Badge>
                    {channel.enabled ? null : <Badge tone="warn">Off</Badge>}
                  </p>
                  <p className="break-all text-xs text-muted">{channel.targetHint}</p>
                  {tests[channel.id] ? (
                    <p role="status" className="text-xs">
                      {tests[channel.id]}
                    </p>
                  ) : null}
                </div>
                <div className="flex flex-wrap gap-2">
                  <Button variant="secondary" size="sm" disabled={test.isPending} onClick={() => test.mutate({ id: channel.id })}>
                    <Send className="h-4 w-4" aria-hidden /> Send test
                  </Button>
                  <Button variant="secondary" size="sm" onClick={() => update.mutate({ id: channel.id, enabled: !channel.enabled })}>
                    {channel.enabled ? 'Turn off' : 'Turn on'}
                  </Button>
                  <Button variant="ghost" size="sm" aria-label={`Delete ${channel.name}`} onClick={() => setDeleting({ id: channel.id, name: channel.name })}>
                    <Trash2 className="h-4 w-4" aria-hidden />
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </CardContent>
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => (open ? null : setDeleting(null))}
        title={`Delete “${deleting?.name ?? ''}”?`}
        description="Its rules and its delivery log go with it; messages not yet sent to it are dropped."
        confirmLabel="Delete channel"
        danger
        pending={remove.isPending}
        error={remove.error?.message ?? null}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
      />
    </Card>
  );
}

function RulesCard() {
  const { trpc, refresh } = useNotificationQueries();
  const rules = useQuery(trpc.notifications.rules.queryOptions());
  const channels = useQuery(trpc.notifications.channels.queryOptions());
  const deployments = useQuery(trpc.deployments.list.queryOptions({}));
  const create = useMutation(trpc.notifications.createRule.mutationOptions({ onSuccess: () => refresh('rules') }));
  const remove = useMutation(trpc.notifications.deleteRule.mutationOptions({ onSuccess: () => refresh('rules') }));
  const errors = fieldErrors(create.error);
  const channelName = new Map(channels.data?.channels.map((c) => [c.id, c.name]));
  const deploymentName = new Map(deployments.data?.map((d) => [d.id, `${d.strategyName ?? 'deployment'} ${d.strategy.symbol} ${d.strategy.timeframe}`]));

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const deploymentId = String(form.get('deploymentId') ?? '');
    create.mutate({ channelId: String(form.get('channelId') ?? ''), kind: String(form.get('kind')) as Kind, deploymentId: deploymentId || null });
  }

  const noChannels = channels.data?.channels.length === 0;
  return (
    <Card className="mb-6">
      <CardHeader>
        <CardTitle>Rules</CardTitle>
        <p className="text-xs text-muted">Which events go to which channel, for every deployment or for one.</p>
      </CardHeader>
      <CardContent className="space-y-4">
        <form onSubmit={onSubmit} className="grid gap-4 md:grid-cols-[1fr_1fr_1fr_auto] md:items-end" noValidate>
          <Field id="rule-kind" label="Event" error={errors.kind}>
            <select id="rule-kind" name="kind" className={SELECT_CLASS} defaultValue="fill">
              {KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {KIND_LABELS[kind]}
                </option>
              ))}
            </select>
          </Field>
          <Field id="rule-channel" label="Channel" error={errors.channelId}>
            <select id="rule-channel" name="channelId" className={SELECT_CLASS} disabled={noChannels}>
              {channels.data?.channels.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </Field>
          <Field id="rule-deployment" label="Deployments" error={errors.deploymentId}>
            <select id="rule-deployment" name="deploymentId" className={SELECT_CLASS} defaultValue="">
              <option value="">All deployments</option>
              {deployments.data?.map((d) => (
                <option key={d.id} value={d.id}>
                  {deploymentName.get(d.id)}
                </option>
              ))}
            </select>
          </Field>
          <Button type="submit" disabled={create.isPending || noChannels || !channels.data}>
            <Plus className="h-4 w-4" aria-hidden /> Add rule
          </Button>
        </form>
        {create.error && !Object.keys(errors).length ? <ErrorState title="Could not add the rule" message={create.error.message} /> : null}
        {rules.isPending ? (
          <SkeletonRows rows={2} />
        ) : rules.isError ? (
          <ErrorState title="Could not load your rules" message={rules.error.message} retry={() => void rules.refetch()} />
        ) : rules.data.rules.length === 0 ? (
          <EmptyState title="No rules yet">
            {noChannels ? 'Add a channel first, then choose what it receives.' : 'Choose which events each channel receives.'}
          </EmptyState>
        ) : (
          <ul className="divide-y divide-border" aria-label="Rules">
            {rules.data.rules.map((rule) => (
              <li key={rule.id} className="flex items-center justify-between gap-2 py-2 text-sm">
                <span className="min-w-0 break-words">
                  <span className="font-medium">{KIND_LABELS[rule.kind]}</span> → {channelName.get(rule.channelId) ?? 'channel'}
                  <span className="text-muted"> · {rule.deploymentId ? (deploymentName.get(rule.deploymentId) ?? 'one deployment') : 'all deployments'}</span>
                </span>
                <Button variant="ghost" size="sm" aria-label="Delete rule" onClick={() => remove.mutate({ id: rule.id })}>
                  <Trash2 className="h-4 w-4" aria-hidden />
                </Button>
              </li>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}

function TemplatesCard() {
  const { trpc, refresh } = useNotificationQueries();
  const templates = useQuery(trpc.notifications.templates.queryOptions());
  const [kind, setKind] = useState<Kind>('fill');
  const current = templates.data?.templates.find((t) => t.kind === kind);
  const [body, setBody] = useState('');
  useEffect(() => {
    if (current) setBody(current.body);
  }, [current]);
  const deferred = useDeferredValue(body);
  const preview = useQuery({ ...trpc.notifications.preview.queryOptions({ kind, body: deferred }), enabled: deferred.trim().length > 0 });
  const save = useMutation(trpc.notifications.setTemplate.mutationOptions({ onSuccess: () => refresh('templates') }));
  const reset = useMutation(trpc.notifications.resetTemplate.mutationOptions({ onSuccess: () => refresh('templates') }));
  const errors = fieldErrors(save.error);

  return (
    <Card className="mb-6">
      <CardHeader>
        <CardTitle>Message templates</CardTitle>
      </CardHeader>
      <CardContent>
        {templates.isPending ? (
          <SkeletonRows rows={3} />
        ) : templates.isError ? (
          <ErrorState title="Could not load the templates" message={templates.error.message} retry={() => void templates.refetch()} />
        ) : (
          <div className="grid gap-4 md:grid-cols-2">
            <div className="space-y-3">
              <Field id="template-kind" label="Event">
                <select id="template-kind" className={SELECT_CLASS} value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
                  {KINDS.map((k) => (
                    <option key={k} value={k}>
                      {KIND_LABELS[k]}
                    </option>
                  ))}
                </select>
              </Field>
              <Field
                id="template-body"
                label="Template"
                error={errors.body}
                hint={`Placeholders: ${current?.variables.map((v) => `{{${v}}}`).join(' ') ?? ''}`}
              >
                <textarea
                  id="template-body"
                  rows={4}
                  maxLength={2000}
                  value={body}
                  onChange={(e) => setBody(e.target.value)}
                  className="w-full rounded-md border border-border bg-panel-2 px-3 py-2 font-mono text-sm text-fg focus:border-accent focus:outline-none"
                  aria-invalid={!!errors.body}
                />
              </Field>
              <div className="flex flex-wrap gap-2">
                <Button size="sm" disabled={save.isPending || !body.trim()} onClick={() => save.mutate({ kind, body })}>
                  <Save className="h-4 w-4" aria-hidden /> Save
                </Button>
                <Button variant="secondary" size="sm" disabled={reset.isPending || current?.isDefault} onClick={() => reset.mutate({ kind })}>
                  <RotateCcw className="h-4 w-4" aria-hidden /> Default
                </Button>
                {current?.isDefault ? <span className="self-center text-xs text-muted">Using the default</span> : null}
              </div>
              {save.error && !errors.body ? <ErrorState title="Could not save" message={save.error.message} /> : null}
            </div>
            <div className="space-y-1.5">
              <p className="text-sm font-medium">Preview (sample values)</p>
              <div data-testid="template-preview" className="min-h-24 whitespace-pre-wrap break-words rounded-md border border-border bg-panel-2 p-3 text-sm">
                {preview.data?.text ?? (preview.isError ? preview.error.message : '…')}
              </div>
              {preview.data?.unknownPlaceholders.length ? (
                <p role="alert" className="text-xs text-warn">
                  Unknown: {preview.data.unknownPlaceholders.map((n) => `{{${n}}}`).join(', ')}
                </p>
              ) : null}
            </div>
          </div>
        )}
      </CardContent>
    </Card>
  );
}

function DeliveriesCard() {
  const { trpc } = useNotificationQueries();
  // Deliveries change in the worker, not through an event: a short poll keeps the log current.
  const deliveries = useQuery({ ...trpc.notifications.deliveries.queryOptions({ limit: 50 }), refetchInterval: 3_000 });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Recent deliveries</CardTitle>
      </CardHeader>
      <CardContent>
        {deliveries.isPending ? (
          <SkeletonRows rows={3} className="h-12" />
        ) : deliveries.isError ? (
          <ErrorState title="Could not load the deliveries" message={deliveries.error.message} retry={() => void deliveries.refetch()} />
        ) : deliveries.data.deliveries.length === 0 ? (
          <EmptyState title="Nothing sent yet">Deliveries appear here as events reach your channels; try “Send test”.</EmptyState>
        ) : (
          <ul className="divide-y divide-border" aria-label="Deliveries">
            {deliveries.data.deliveries.map((d) => {
              const status = DELIVERY_STATUS[d.status] ?? { label: d.status, tone: 'muted' as const };
              return (
                <li key={d.id} className="flex flex-col gap-1 py-2 text-sm" data-testid="delivery">
                  <div className="flex flex-wrap items-center gap-2">
                    <Badge tone={status.tone}>{status.label}</Badge>
                    <span className="font-medium">{KIND_LABELS[d.kind] ?? d.kind}</span>
                    <span className="text-muted">→ {d.channelName}</span>
                    <span className="ml-auto text-xs tabular-nums text-muted">{formatDateTime(d.deliveredAt ?? d.createdAt)}</span>
                  </div>
                  <p className="text-xs text-muted">
                    {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
                    {d.status === 'retrying' && d.nextAttemptAt ? ` · next at ${formatDateTime(d.nextAttemptAt)}` : ''}
                  </p>
                  {d.lastError && d.status !== 'delivered' ? <p className="break-words text-xs text-loss">{d.lastError}</p> : null}
                </li>
              );
            })}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}

export function NotificationsPageClient() {
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <>
      {secret ? <SecretOnce secret={secret} onDone={() => setSecret(null)} /> : null}
      <AddChannelForm onSecret={setSecret} />
      <ChannelsCard />
      <RulesCard />
      <TemplatesCard />
      <DeliveriesCard />
    </>
  );
}
