'use client';

import { formatQuantity } from '@/components/format';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { CheckCircle2, Plus, Trash2, XCircle } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Field, Input } from '@/components/ui/input';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { PageHeader } from '@/components/shell/page-header';
import { ZCreateAccountRequestSchema } from '@/server/api/schemas/accounts';
import type { AccountResponse } from '@/server/api/schemas/accounts';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';

const CREDENTIAL_LABELS: Record<string, string> = { apiKey: 'API key', secret: 'API secret', password: 'Passphrase' };
const SELECT_CLASS = 'h-9 w-full rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none';

export function AccountsPageClient() {
  const trpc = useTRPC();
  const accounts = useQuery(trpc.accounts.list.queryOptions());
  const [adding, setAdding] = useState(false);

  return (
    <>
      <PageHeader
        title="Accounts"
        description="Paper accounts trade against simulated prices; exchange accounts trade for real through ccxt. Credentials are stored encrypted and never shown again."
        actions={
          adding ? null : (
            <Button onClick={() => setAdding(true)}>
              <Plus className="h-4 w-4" aria-hidden /> Add account
            </Button>
          )
        }
      />
      {adding ? <AddAccountForm onDone={() => setAdding(false)} /> : null}
      {accounts.isPending ? (
        <div className="grid gap-4 md:grid-cols-2">
          <Skeleton className="h-48" />
          <Skeleton className="h-48" />
        </div>
      ) : accounts.isError ? (
        <ErrorState message="Could not load your accounts." retry={() => void accounts.refetch()} />
      ) : accounts.data.length === 0 ? (
        adding ? null : (
          <EmptyState title="No accounts yet" action={<Button onClick={() => setAdding(true)}>Add a paper account</Button>}>
            Start with a paper account: choose its starting balances, then place orders without risking money.
          </EmptyState>
        )
      ) : (
        <div className="grid gap-4 md:grid-cols-2">
          {accounts.data.map((account) => (
            <AccountCard key={account.id} account={account} />
          ))}
        </div>
      )}
    </>
  );
}

function AddAccountForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const exchanges = useQuery(trpc.accounts.exchanges.queryOptions());
  const create = useMutation(trpc.accounts.create.mutationOptions());
  const [exchange, setExchange] = useState('paper');
  const [balances, setBalances] = useState<Array<{ asset: string; amount: string }>>([{ asset: 'USDT', amount: '10000' }]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const selected = exchanges.data?.find((e) => e.id === exchange);
  const paper = exchange === 'paper';

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const input: Record<string, unknown> = { name: text('name'), exchange };
    if (paper) {
      input.balances = Object.fromEntries(balances.filter((b) => b.asset.trim()).map((b) => [b.asset.trim().toUpperCase(), b.amount.trim()]));
      if (text('feeRate')) input.feeRate = text('feeRate');
      if (text('slippage')) input.slippage = text('slippage');
    } else {
      const credentials: Record<string, string> = {};
      for (const field of selected?.requiredCredentials ?? []) credentials[field] = String(form.get(field) ?? '');
      input.credentials = credentials;
    }
    setFormError(null);
    const parsed = ZCreateAccountRequestSchema.safeParse(input);
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message])));
      return;
    }
    setErrors({});
    try {
      await create.mutateAsync(parsed.data);
    } catch (error) {
      const fields = fieldErrors(error);
      if (Object.keys(fields).length) setErrors(fields);
      else setFormError((error as Error).message || 'Could not add the account.');
      return;
    }
    await queryClient.invalidateQueries({ queryKey: trpc.accounts.list.queryKey() });
    onDone();
  }

  return (
    <Card className="mb-6">
      <CardHeader>
        <CardTitle>Add an account</CardTitle>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="grid gap-4 md:grid-cols-2" noValidate autoComplete="off">
          <Field id="account-name" label="Name" error={errors.name}>
            <Input id="account-name" name="name" placeholder="e.g. Paper 10k" aria-invalid={!!errors.name} />
          </Field>
          <Field id="account-exchange" label="Exchange" error={errors.exchange}>
            <select
              id="account-exchange"
              className={SELECT_CLASS}
              value={exchange}
              onChange={(e) => setExchange(e.target.value)}
              disabled={exchanges.isPending}
            >
              {(exchanges.data ?? [{ id: 'paper', name: 'Paper (simulated)', requiredCredentials: [] }]).map((option) => (
                <option key={option.id} value={option.id}>
                  {option.name}
                </option>
              ))}
            </select>
          </Field>

          {paper ? (
            <>
              <fieldset className="space-y-2 md:col-span-2">
                <legend className="text-sm font-medium">Starting balances</legend>
                {balances.map((row, index) => (
                  <div key={index} className="flex gap-2">
                    <Input
                      aria-label={`Asset ${index + 1}`}
                      className="w-28 uppercase"
                      value={row.asset}
                      onChange={(e) => setBalances(balances.map((b, i) => (i === index ? { ...b, asset: e.target.value } : b)))}
                    />
                    <Input
                      aria-label={`Starting balance ${row.asset || index + 1}`}
                      inputMode="decimal"
                      className="num text-right"
                      value={row.amount}
                      aria-invalid={!!errors[`balances.${row.asset.toUpperCase()}`]}
                      onChange={(e) => setBalances(balances.map((b, i) => (i === index ? { ...b, amount: e.target.value } : b)))}
                    />
                    {balances.length > 1 ? (
                      <Button
                        type="button"
                        variant="ghost"
                        size="icon"
                        aria-label={`Remove ${row.asset}`}
                        onClick={() => setBalances(balances.filter((_, i) => i !== index))}
                      >
                        <Trash2 className="h-4 w-4" aria-hidden />
                      </Button>
                    ) : null}
                  </div>
                ))}
                {Object.entries(errors)
                  .filter(([key]) => key.startsWith('balances'))
                  .map(([key, message]) => (
                    <p key={key} role="alert" className="text-xs text-loss">
                      {key.replace('balances.', '')}: {message}
                    </p>
                  ))}
                <Button type="button" variant="secondary" size="sm" onClick={() => setBalances([...balances, { asset: '', amount: '0' }])}>
                  <Plus className="h-4 w-4" aria-hidden /> Add asset
                </Button>
              </fieldset>
              <Field id="account-fee" label="Fee rate" error={errors.feeRate} hint="Fraction of each fill's value; default 0.001 (0.1%)">
                <Input id="account-fee" name="feeRate" inputMode="decimal" placeholder="0.001" className="num" aria-invalid={!!errors.feeRate} />
              </Field>
              <Field id="account-slippage" label="Slippage" error={errors.slippage} hint="Against market fills; default 0.0005 (0.05%)">
                <Input id="account-slippage" name="slippage" inputMode="decimal" placeholder="0.0005" className="num" aria-invalid={!!errors.slippage} />
              </Field>
            </>
          ) : (
            <>
              {(selected?.requiredCredentials ?? []).map((field) => (
                <Field
                  key={`${exchange}-${field}`}
                  id={`account-${field}`}
                  label={CREDENTIAL_LABELS[field] ?? field}
                  error={errors[`credentials.${field}`] ?? (field === 'apiKey' ? errors.credentials : undefined)}
                >
                  <Input
                    id={`account-${field}`}
                    name={field}
                    type="password"
                    autoComplete="new-password"
                    spellCheck={false}
                    aria-invalid={!!errors[`credentials.${field}`]}
                  />
                </Field>
              ))}
              <p className="text-xs text-muted md:col-span-2">
                Stored encrypted (AES-256-GCM) and never shown again; only the key&apos;s last 4 characters are displayed. Use a key with trading permission and
                no withdrawal permission.
              </p>
            </>
          )}

          {formError ? (
            <div className="md:col-span-2">
              <ErrorState title="Could not add the account" message={formError} />
            </div>
          ) : null}
          <div className="flex gap-2 md:col-span-2">
            <Button type="submit" disabled={create.isPending}>
              {create.isPending ? 'Adding…' : 'Add account'}
            </Button>
            <Button type="button" variant="secondary" onClick={onDone}>
              Cancel
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

function AccountCard({ account }: { account: AccountResponse }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const balance = useQuery({ ...trpc.accounts.balance.queryOptions({ id: account.id }), retry: false });
  const test = useMutation(trpc.accounts.test.mutationOptions());
  const remove = useMutation(trpc.accounts.delete.mutationOptions());
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);

  async function onDelete() {
    setDeleteError(null);
    try {
      await remove.mutateAsync({ id: account.id });
      setConfirming(false);
      await queryClient.invalidateQueries({ queryKey: trpc.accounts.list.queryKey() });
    } catch (error) {
      setConfirming(false);
      setDeleteError((error as Error).message);
    }
  }

  const entries = balance.data ? Object.entries(balance.data.balances) : [];
  return (
    <Card data-testid="account-card" aria-label={`Account ${account.name}`} role="region">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
        <div>
          <CardTitle>{account.name}</CardTitle>
          <p className="text-xs text-muted">
            {account.kind === 'paper' ? (
              <>
                Paper · fee <span className="num">{account.feeRate}</span> · slippage <span className="num">{account.slippage}</span>
              </>
            ) : (
              <>
                {account.exchange} · API key{' '}
                <span className="font-mono" data-testid="api-key-hint">
                  {account.apiKeyHint ?? '(hidden)'}
                </span>
              </>
            )}
          </p>
        </div>
        <span className="rounded border border-border px-2 py-0.5 text-xs text-muted">{account.kind === 'paper' ? 'paper' : 'live'}</span>
      </CardHeader>
      <CardContent className="space-y-3">
        {balance.isPending ? (
          <Skeleton className="h-16" />
        ) : balance.isError ? (
          <p role="alert" className="text-sm text-warn">
            Balance unavailable: {balance.error.message}
          </p>
        ) : entries.length === 0 ? (
          <p className="text-sm text-muted">No balances.</p>
        ) : (
          <div className="relative overflow-x-auto">
            <table className="w-full text-sm" aria-label={`Balances of ${account.name}`}>
              <thead className="text-xs text-muted">
                <tr>
                  <th className="text-left font-normal">Asset</th>
                  <th className="text-right font-normal">Free</th>
                  <th className="hidden text-right font-normal sm:table-cell">In orders</th>
                  <th className="text-right font-normal">Total</th>
                </tr>
              </thead>
              <tbody>
                {entries.map(([asset, value]) => (
                  <tr key={asset} data-testid={`balance-${asset}`}>
                    <td className="py-1 font-medium">{asset}</td>
                    <td className="num text-right">{formatQuantity(value.free)}</td>
                    <td className="num hidden text-right sm:table-cell">{formatQuantity(value.used)}</td>
                    <td className="num text-right" data-testid={`balance-${asset}-total`} title={value.total}>
                      {formatQuantity(value.total)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}

        {test.data ? (
          <p role="status" className={`flex items-start gap-2 text-sm ${test.data.ok ? 'text-gain' : 'text-loss'}`}>
            {test.data.ok ? <CheckCircle2 className="mt-0.5 h-4 w-4 shrink-0" aria-hidden /> : <XCircle className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />}
            <span>
              {test.data.ok ? 'Connected: ' : 'Connection failed: '}
              {test.data.message}
            </span>
          </p>
        ) : test.isError ? (
          <p role="status" className="text-sm text-loss">
            Connection failed: {test.error.message}
          </p>
        ) : null}
        {deleteError ? <ErrorState title="Could not delete" message={deleteError} /> : null}

        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" size="sm" disabled={test.isPending} onClick={() => test.mutate({ id: account.id })}>
            {test.isPending ? 'Testing…' : 'Test connection'}
          </Button>
          <Button variant="ghost" size="sm" onClick={() => setConfirming(true)}>
            <Trash2 className="h-4 w-4" aria-hidden /> Delete
          </Button>
        </div>
      </CardContent>
      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title={`Delete "${account.name}"?`}
        confirmLabel="Delete account"
        danger
        pending={remove.isPending}
        onConfirm={() => void onDelete()}
        description={
          <>
            <p>
              {account.kind === 'paper'
                ? 'Its paper balances and its order history are deleted.'
                : `Its encrypted ${account.exchange} credentials and its order history here are deleted. Nothing changes on ${account.exchange} itself: funds and orders there stay where they are.`}
            </p>
            <p>This cannot be undone. Accounts with open orders cannot be deleted.</p>
          </>
        }
      />
    </Card>
  );
}
