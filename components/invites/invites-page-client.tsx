'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Check, Copy, Trash2, UserPlus } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field, Input } from '@/components/ui/input';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states';
import { INVITE_EXPIRY_CHOICES, type InviteResponse } from '@/server/api/schemas/invites';

type InviteRow = InviteResponse;
type InviteState = InviteRow['state'];

const STATE_STYLE: Record<InviteState, { label: string; className: string }> = {
  active: { label: 'Active', className: 'border-gain/40 text-gain' },
  used: { label: 'Used', className: 'border-border text-muted' },
  expired: { label: 'Expired', className: 'border-border text-muted' },
  revoked: { label: 'Revoked', className: 'border-loss/40 text-loss' },
};

const MODE_NOTE: Record<'open' | 'invite' | 'closed', string> = {
  open: 'Registration is open on this server (CRYPTOBOT_REGISTRATION=open): anyone can create an account; an invite link is optional.',
  invite: 'Registration needs an invite on this server (CRYPTOBOT_REGISTRATION=invite).',
  closed: 'Registration is closed on this server (CRYPTOBOT_REGISTRATION=closed): invites cannot be used until it is set to invite or open.',
};

/** The new invite's link, shown once, with a copy button. */
function LinkOnce({ link, onDone }: { link: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="mb-6 rounded-lg border border-warn/50 bg-warn/10 p-4">
      <p className="text-sm font-semibold">Invite link created</p>
      <p className="mt-1 text-sm text-muted">Send it to the person you invite. It works once, and it will not be shown again.</p>
      <div className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-center">
        <code data-testid="invite-link" className="min-w-0 flex-1 break-all rounded-md border border-border bg-panel-2 px-3 py-2 font-mono text-xs">
          {link}
        </code>
        <div className="flex gap-2">
          <Button
            variant="secondary"
            size="sm"
            onClick={() =>
              void navigator.clipboard?.writeText(link).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {copied ? <Check className="h-4 w-4" aria-hidden /> : <Copy className="h-4 w-4" aria-hidden />} {copied ? 'Copied' : 'Copy link'}
          </Button>
          <Button size="sm" onClick={onDone}>
            Done
          </Button>
        </div>
      </div>
    </div>
  );
}

export function InvitesPageClient() {
  const trpc = useTRPC();
  const zone = useTimeZone();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.invites.list.queryOptions());
  const [link, setLink] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<InviteRow | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.invites.list.queryKey() });
  const create = useMutation(
    trpc.invites.create.mutationOptions({
      onSuccess: async (created) => {
        setLink(`${window.location.origin}${created.path}`);
        await refresh();
      },
    }),
  );
  const revoke = useMutation(
    trpc.invites.revoke.mutationOptions({
      onSuccess: async () => {
        setRevoking(null);
        await refresh();
      },
    }),
  );
  const errors = fieldErrors(create.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const note = String(form.get('note') ?? '').trim();
    create.mutate({ expiresInHours: Number(form.get('expiresInHours')), ...(note ? { note } : {}) });
  }

  const rows: InviteRow[] = list.data?.invites ?? [];
  return (
    <>
      {list.data ? (
        <p className="mb-4 text-sm text-muted" data-testid="registration-mode">
          {MODE_NOTE[list.data.mode]}
        </p>
      ) : null}
      {link ? <LinkOnce link={link} onDone={() => setLink(null)} /> : null}

      <Card className="mb-6">
        <CardHeader>
          <CardTitle>Create an invite</CardTitle>
        </CardHeader>
        <CardContent>
          <form onSubmit={onSubmit} className="grid gap-4 md:grid-cols-[1fr_12rem_auto] md:items-start" noValidate>
            <Field id="invite-note" label="Note (optional)" error={errors.note} hint="Who it is for; only admins see it">
              <Input id="invite-note" name="note" maxLength={100} placeholder="e.g. for Carol" aria-invalid={!!errors.note} />
            </Field>
            <Field id="invite-expiry" label="Expires after" error={errors.expiresInHours}>
              <select
                id="invite-expiry"
                name="expiresInHours"
                defaultValue={24 * 7}
                className="h-9 w-full rounded-md border border-border bg-panel px-3 text-sm"
              >
                {INVITE_EXPIRY_CHOICES.map((c) => (
                  <option key={c.hours} value={c.hours}>
                    {c.label}
                  </option>
                ))}
              </select>
            </Field>
            <div className="md:pt-6">
              <Button type="submit" disabled={create.isPending} className="w-full md:w-auto">
                <UserPlus className="h-4 w-4" aria-hidden /> {create.isPending ? 'Creating…' : 'Create invite'}
              </Button>
            </div>
          </form>
          {create.error && !Object.keys(errors).length ? (
            <div className="mt-3">
              <ErrorState title="Could not create the invite" message={create.error.message} />
            </div>
          ) : null}
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>Invites</CardTitle>
        </CardHeader>
        <CardContent className="p-0">
          {list.isPending ? (
            <div className="p-4">
              <SkeletonRows rows={3} className="h-9" />
            </div>
          ) : list.isError ? (
            <div className="p-4">
              <ErrorState title="Could not load the invites" message={list.error.message} retry={() => void list.refetch()} />
            </div>
          ) : rows.length === 0 ? (
            <div className="p-4">
              <EmptyState title="No invites yet">Create one above and send its link to the person who should get an account.</EmptyState>
            </div>
          ) : (
            <ul className="divide-y divide-border" aria-label="Invites">
              {rows.map((invite) => (
                <li
                  key={invite.id}
                  data-testid={`invite-${invite.codePrefix}`}
                  className="grid gap-2 px-4 py-3 text-sm md:grid-cols-[minmax(8rem,1fr)_auto_2fr_auto] md:items-center"
                >
                  <div className="min-w-0">
                    <div className="truncate font-medium">{invite.note || 'Invite'}</div>
                    <code className="font-mono text-xs text-muted">{invite.codePrefix}…</code>
                  </div>
                  <div>
                    <span className={cn('inline-flex whitespace-nowrap rounded border px-1.5 py-0.5 text-xs', STATE_STYLE[invite.state].className)}>
                      {STATE_STYLE[invite.state].label}
                    </span>
                  </div>
                  <div className="text-xs text-muted">
                    <div>
                      Created {formatDateTime(invite.createdAt, zone)}
                      {invite.createdBy ? ` by ${invite.createdBy}` : ''}
                    </div>
                    <div>
                      {invite.state === 'used'
                        ? `Used ${formatDateTime(invite.usedAt, zone)} by ${invite.usedBy ?? '(deleted account)'}`
                        : `${invite.state === 'expired' ? 'Expired' : 'Expires'} ${formatDateTime(invite.expiresAt, zone)}`}
                    </div>
                  </div>
                  <div className="flex md:justify-end">
                    {invite.state === 'active' ? (
                      <Button
                        variant="ghost"
                        size="sm"
                        className="text-loss"
                        onClick={() => {
                          revoke.reset();
                          setRevoking(invite);
                        }}
                        aria-label={`Revoke invite ${invite.codePrefix}`}
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

      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(open) => !open && setRevoking(null)}
        title="Revoke this invite?"
        description={
          <p>
            The link starting <code className="font-mono">{revoking?.codePrefix}…</code> stops working now; nobody can register with it. This cannot be undone.
          </p>
        }
        confirmLabel="Revoke invite"
        danger
        pending={revoke.isPending}
        error={revoke.error?.message}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
      />
    </>
  );
}
