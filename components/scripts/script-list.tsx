'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Field, Input } from '@/components/ui/input';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states';

const SELECT = 'h-9 w-full rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none';

/** A new script: a name and the built-in strategy its first text starts from (the editor opens on that template). */
function NewScriptForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const templates = useQuery(trpc.scripts.templates.queryOptions());
  const types = useQuery(trpc.strategies.types.queryOptions());
  const [name, setName] = useState('');
  const [template, setTemplate] = useState('sma_crossover');
  const create = useMutation(
    trpc.scripts.create.mutationOptions({
      onSuccess: async (script) => {
        await queryClient.invalidateQueries({ queryKey: trpc.scripts.list.pathKey() });
        router.push(`/scripts/${script.id}?template=${encodeURIComponent(template)}`);
      },
    }),
  );
  const errors = fieldErrors(create.error);
  const typeName = (type: string) => types.data?.find((t) => t.type === type)?.name ?? type;

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name });
  }

  return (
    <form onSubmit={submit} noValidate aria-label="New script" className="grid gap-4 sm:grid-cols-[1fr_1fr_auto] sm:items-end">
      <Field id="script-name" label="Name" error={errors.name}>
        <Input id="script-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. My SMA variant" aria-invalid={!!errors.name} />
      </Field>
      <Field id="script-template" label="Start from template" hint="Each built-in strategy, written as a script">
        {templates.isError ? (
          <ErrorState message="Could not load the templates." retry={() => void templates.refetch()} />
        ) : (
          <select id="script-template" className={SELECT} value={template} disabled={templates.isPending} onChange={(e) => setTemplate(e.target.value)}>
            {(templates.data ?? []).map((t) => (
              <option key={t.type} value={t.type}>
                {typeName(t.type)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Button type="submit" disabled={create.isPending || templates.isPending} className="sm:mb-[1.375rem]">
        {create.isPending ? 'Creating…' : 'Create script'}
      </Button>
      {create.error && Object.keys(errors).length === 0 ? <ErrorState message={create.error.message} /> : null}
    </form>
  );
}

function ScriptRows({ published }: { published: boolean }) {
  const trpc = useTRPC();
  const zone = useTimeZone();
  const list = useQuery(trpc.scripts.list.queryOptions({ published }));
  if (list.isPending) return <SkeletonRows rows={3} />;
  if (list.isError) return <ErrorState message="Could not load the scripts." retry={() => void list.refetch()} />;
  if (list.data.length === 0)
    return (
      <EmptyState title={published ? 'No published scripts' : 'No scripts yet'}>
        {published
          ? 'Published versions of every user appear here, read-only to all but their owner; clone one to change it.'
          : 'Create one above, starting from a built-in strategy.'}
      </EmptyState>
    );
  return (
    <ul className="divide-y divide-border" aria-label={published ? 'Published scripts' : 'Your scripts'}>
      {list.data.map((s) => (
        <li key={s.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
          <Link href={`/scripts/${s.id}`} className="font-medium text-accent hover:underline">
            {s.name}
          </Link>
          <span className="num text-xs text-muted">
            {s.latestVersion === null ? 'no version saved' : `v${s.latestVersion}`} · {formatDateTime(s.updatedAt, zone)}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function ScriptList() {
  return (
    <div className="space-y-6">
      <Card>
        <CardHeader>
          <CardTitle>New script</CardTitle>
        </CardHeader>
        <CardContent>
          <NewScriptForm />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Your scripts</CardTitle>
        </CardHeader>
        <CardContent>
          <ScriptRows published={false} />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Published</CardTitle>
        </CardHeader>
        <CardContent>
          <ScriptRows published />
        </CardContent>
      </Card>
    </div>
  );
}
