'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Check, Copy, KeyRound, RotateCw, ShieldAlert, Trash2 } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { Field, Input } from '@/components/ui/input';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { STATE_LABELS } from './states';

type Scope = 'read' | 'trade' | 'admin';
const SCOPE_HELP: Record<Scope, string> = {
  read: 'read: GET requests only',
  trade: 'trade: also place and cancel orders, deploy (any write but managing keys)',
  admin: 'admin: admin-only routes and managing keys too (admins only)',
};

interface KeyRow {
  id: string;
  prefix: string;
  name: string;
  scopes: Scope[];
  state: string;
  createdAt: Date;
  stopsAt: Date;
  lastUsedAt: Date | null;
}

/** The whole key, shown once, with a copy button. */
function SecretOnce({ title, secret, note, onDone }: { title: string; secret: string; note: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="mb-6 rounded-lg border border-warn/50 bg-warn/10 p-4">
      <p className="text-sm font-semibold">{title}</p>
      <p className="mt-1 text-sm text-muted">
        {note} It will not be shown again: store it now (e.g. in your password manager or your bot&apos;s secret store).
      </p>
      <div className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-center">
        <code data-testid="secret-once" className="min-w-0 flex-1 break-all rounded-md border border-border bg-panel-2 px-3 py-2 font-mono text-xs">
          {secret}
        </code>
        <div className="flex gap-2">
          <Button
            variant="secondary"
            size="sm"
            onClick={() => {
              void navigator.clipboard?.writeText(secret).then(
                () => setCopied(true),
                () => setCopied(false),
              );
            }}
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

function StateBadge({ state }: { state: string }) {
  const s = STATE_LABELS[state] ?? { label: state, tone: 'muted' as const };
  const tone = { gain: 'border-gain/40 text-gain', warn: 'border-warn/40 text-warn', loss: 'border-loss/40 text-loss', muted: 'border-border text-muted' }[
    s.tone
  ];
  return <span className={cn('inline-flex whitespace-nowrap rounded border px-1.5 py-0.5 text-xs', tone)}>{s.label}</span>;
}

function CreateKeyForm({ isAdmin, onCreated }: { isAdmin: boolean; onCreated: (secret: { key: string; name: string }) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.keys.create.mutationOptions({
      onSuccess: async (created) => {
        onCreated({ key: created.key, name: created.name });
        await queryClient.invalidateQueries({ queryKey: trpc.keys.list.queryKey() });
      },
    }),
  );
  const errors = fieldErrors(create.error);
  const scopes: Scope[] = isAdmin ? ['read', 'trade', 'admin'] : ['read', 'trade'];

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const days = String(form.get('expiresInDays') ?? '').trim();
    create.mutate({
      name: String(form.get('name') ?? ''),
      scopes: form.getAll('scopes').map(String) as Scope[],
      expiresInDays: days === '' ? undefined : Number(days),
    });
  }

  return (
    <Card className="mb-6">
      <CardHeader>
        <CardTitle>Create a key</CardTitle>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="grid gap-4 md:grid-cols-[1fr_auto_10rem_auto] md:items-start" noValidate>
          <Field id="key-name" label="Name" error={errors.name}>
            <Input id="key-name" name="name" placeholder="e.g. my trading bot" maxLength={64} aria-invalid={!!errors.name} />
          </Field>
          <fieldset className="space-y-1.5">
            <legend className="text-sm font-medium">Scopes</legend>
            <div className="flex flex-wrap gap-x-4 gap-y-1">
              {scopes.map((scope) => (
                <label key={scope} className="flex items-center gap-2 text-sm" title={SCOPE_HELP[scope]}>
                  <input type="checkbox" name="scopes" value={scope} defaultChecked={scope === 'read'} className="h-4 w-4 accent-[var(--accent)]" /> {scope}
                </label>
              ))}
            </div>
            {errors.scopes ? (
              <p role="alert" className="text-xs text-loss">
                {errors.scopes}
              </p>
            ) : (
              <p className="text-xs text-muted">
                read: GET only · trade: any write · admin: admin routes and keys. A key without admin can only rotate itself.
              </p>
            )}
          </fieldset>
          <Field id="key-expiry" label="Expires in (days)" error={errors.expiresInDays} hint="1–90, default 90">
            <Input id="key-expiry" name="expiresInDays" inputMode="numeric" placeholder="90" aria-invalid={!!errors.expiresInDays} />
          </Field>
          <div className="md:pt-6">
            <Button type="submit" disabled={create.isPending} className="w-full md:w-auto">
              <KeyRound className="h-4 w-4" aria-hidden /> {create.isPending ? 'Creating…' : 'Create key'}
            </Button>
          </div>
        </form>
        {create.error && !Object.keys(errors).length ? (
          <div className="mt-3">
            <ErrorState title="Could not create the key" message={create.error.message} />
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}

export function KeysPageClient({ isAdmin, graceDays }: { isAdmin: boolean; graceDays: number }) {
  const trpc = useTRPC();
  const zone = useTimeZone();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.keys.list.queryOptions());
  const [shown, setShown] = useState<{ title: string; key: string; note: string } | null>(null);
  const [rotating, setRotating] = useState<KeyRow | null>(null);
  const [revoking, setRevoking] = useState<KeyRow | null>(null);
  const [emergencyOpen, setEmergencyOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [allUsers, setAllUsers] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.keys.list.queryKey() });

  const rotate = useMutation(
    trpc.keys.rotate.mutationOptions({
      onSuccess: async (next) => {
        setShown({ title: `Successor of “${next.name}”`, key: next.key, note: `This replaces ${rotating?.prefix ?? 'the old key'}.` });
        setRotating(null);
        await refresh();
      },
    }),
  );
  const revoke = useMutation(
    trpc.keys.revoke.mutationOptions({
      onSuccess: async () => {
        setRevoking(null);
        await refresh();
      },
    }),
  );
  const revokeAll = useMutation(
    trpc.keys.revokeAll.mutationOptions({
      // Our own sessions are gone too: this browser is signed out.
      onSuccess: () => window.location.assign('/login'),
    }),
  );

  const rows = (keys.data ?? []) as KeyRow[];
  const live = rows.filter((k) => ['active', 'rotating', 'grace'].includes(k.state));
  const graceUntil = new Date(Date.now() + graceDays * 86_400_000);

  return (
    <>
      {shown ? <SecretOnce key={shown.key} title={shown.title} secret={shown.key} note={shown.note} onDone={() => setShown(null)} /> : null}
      <CreateKeyForm
        isAdmin={isAdmin}
        onCreated={({ key, name }) => setShown({ title: `Your new key “${name}”`, key, note: 'Send it as Authorization: Bearer <key>.' })}
      />

      <Card>
        <CardHeader>
          <CardTitle>Your keys</CardTitle>
        </CardHeader>
        <CardContent className="p-0">
          {keys.isPending ? (
            <div className="space-y-2 p-4" aria-busy>
              <Skeleton className="h-9 w-full" />
              <Skeleton className="h-9 w-full" />
              <Skeleton className="h-9 w-full" />
            </div>
          ) : keys.isError ? (
            <div className="p-4">
              <ErrorState title="Could not load your keys" message={keys.error.message} retry={() => void keys.refetch()} />
            </div>
          ) : rows.length === 0 ? (
            <div className="p-4">
              <EmptyState title="No API keys yet">Create one above to use the REST API or the typed tRPC client from a script or a bot.</EmptyState>
            </div>
          ) : (
            <ul className="divide-y divide-border" aria-label="API keys">
              {rows.map((k) => (
                <li
                  key={k.id}
                  data-testid={`key-${k.prefix}`}
                  className="grid gap-2 px-4 py-3 text-sm md:grid-cols-[minmax(10rem,1.2fr)_1fr_1fr_1fr_auto] md:items-center"
                >
                  <div className="min-w-0">
                    <div className="truncate font-medium">{k.name}</div>
                    <code className="font-mono text-xs text-muted">{k.prefix}…</code>
                  </div>
                  <div className="flex flex-wrap items-center gap-1.5">
                    <StateBadge state={k.state} />
                    <span className="text-xs text-muted">{k.scopes.join(' · ')}</span>
                  </div>
                  <div className="text-xs text-muted">
                    <div>Created {formatDateTime(k.createdAt, zone)}</div>
                    <div>Last used {formatDateTime(k.lastUsedAt, zone)}</div>
                  </div>
                  <div className="num text-xs text-muted">
                    {['revoked', 'retired', 'expired'].includes(k.state) ? 'Stopped' : 'Stops'} {formatDateTime(k.stopsAt, zone)}
                  </div>
                  <div className="flex gap-2 md:justify-end">
                    {k.state === 'active' || k.state === 'rotating' ? (
                      <Button
                        variant="secondary"
                        size="sm"
                        onClick={() => {
                          rotate.reset();
                          setRotating(k);
                        }}
                        aria-label={`${k.state === 'rotating' ? 'Show successor of' : 'Rotate'} ${k.name}`}
                      >
                        <RotateCw className="h-4 w-4" aria-hidden /> {k.state === 'rotating' ? 'Show successor' : 'Rotate'}
                      </Button>
                    ) : null}
                    {['active', 'rotating', 'grace', 'pending'].includes(k.state) ? (
                      <Button
                        variant="ghost"
                        size="sm"
                        className="text-loss"
                        onClick={() => {
                          revoke.reset();
                          setRevoking(k);
                        }}
                        aria-label={`Revoke ${k.name}`}
                      >
                        <Trash2 className="h-4 w-4" aria-hidden /> Revoke
                      </Button>
                    ) : null}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </CardContent>
      </Card>

      <Card className="mt-6 border-loss/40">
        <CardHeader>
          <CardTitle className="flex items-center gap-2 text-loss">
            <ShieldAlert className="h-4 w-4" aria-hidden /> Emergency revocation
          </CardTitle>
        </CardHeader>
        <CardContent className="flex flex-col gap-3 text-sm sm:flex-row sm:items-center sm:justify-between">
          <p className="text-muted">If a key or your password may have leaked: revoke every key and sign out every session at once.</p>
          <Button
            variant="danger"
            onClick={() => {
              revokeAll.reset();
              setEmergencyOpen(true);
            }}
          >
            Revoke everything…
          </Button>
        </CardContent>
      </Card>

      <ConfirmDialog
        open={rotating !== null}
        onOpenChange={(open) => !open && setRotating(null)}
        title={rotating?.state === 'rotating' ? `Show the successor of “${rotating?.name}”?` : `Rotate “${rotating?.name}”?`}
        description={
          <>
            <p>
              {rotating?.state === 'rotating'
                ? 'The successor issued before expiry is shown once, now, and its stored copy is erased.'
                : 'A successor with the same name and scopes is issued and shown once.'}
            </p>
            <p>
              The old key <code className="font-mono">{rotating?.prefix}…</code> keeps working until{' '}
              <strong className="text-fg">{formatDateTime(rotating && graceUntil > rotating.stopsAt ? rotating.stopsAt : graceUntil, zone)}</strong>, then
              stops.
            </p>
          </>
        }
        confirmLabel={rotating?.state === 'rotating' ? 'Show successor' : 'Rotate key'}
        pending={rotate.isPending}
        error={rotate.error?.message}
        onConfirm={() => rotating && rotate.mutate({ id: rotating.id })}
      />

      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(open) => !open && setRevoking(null)}
        title={`Revoke “${revoking?.name}”?`}
        description={
          <p>
            The key <code className="font-mono">{revoking?.prefix}…</code> stops working now: every client using it gets 401. This cannot be undone.
          </p>
        }
        confirmLabel="Revoke key"
        danger
        pending={revoke.isPending}
        error={revoke.error?.message}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
      />

      <ConfirmDialog
        open={emergencyOpen}
        onOpenChange={setEmergencyOpen}
        title="Revoke every key and session?"
        description={
          <>
            <p>
              {allUsers
                ? 'Every API key of every user is revoked, and every user is signed out of every browser and API client.'
                : `All ${live.length} of your working API key${live.length === 1 ? '' : 's'} are revoked, and you are signed out of every browser and API client, including this one.`}{' '}
              This cannot be undone; it is recorded in the audit log with your reason.
            </p>
          </>
        }
        confirmLabel={allUsers ? 'Revoke for every user' : 'Revoke everything'}
        danger
        pending={revokeAll.isPending}
        confirmDisabled={reason.trim().length < 3}
        error={revokeAll.error ? (fieldErrors(revokeAll.error).reason ?? revokeAll.error.message) : null}
        onConfirm={() => revokeAll.mutate({ reason, ...(allUsers ? { allUsers: true } : {}) })}
      >
        <Field id="revoke-reason" label="Reason" hint="At least 3 characters, e.g. “laptop stolen”">
          <Input id="revoke-reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />
        </Field>
        {isAdmin ? (
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={allUsers} onChange={(e) => setAllUsers(e.target.checked)} className="h-4 w-4 accent-[var(--loss)]" /> For every user
            (admin)
          </label>
        ) : null}
      </ConfirmDialog>
    </>
  );
}
