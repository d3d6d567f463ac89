'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { useDocumentTitle } from '@/components/shell/titles';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ErrorState, Skeleton } from '@/components/ui/states';
import type { EditorMarker, ServerDiagnostic } from './code-editor';

/** Monaco touches `window` on import: loaded in the browser only, as its own chunk (with its workers). */
const CodeEditor = dynamic(() => import('./code-editor'), {
  ssr: false,
  loading: () => <Skeleton className="h-full min-h-[20rem] w-full" />,
});

const SELECT = 'h-8 rounded-md border border-border bg-panel-2 px-2 text-sm text-fg focus:border-accent focus:outline-none';
const NO_DIAGNOSTICS: readonly ServerDiagnostic[] = [];

/**
 * One script: Monaco with the SDK's types, Save (the server compiles and checks; its diagnostics become markers),
 * the versions with their hashes, publish and clone, each version's parameters and a way to backtest it.
 */
export function ScriptEditor({ id, template }: { id: string; template: string | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const zone = useTimeZone();
  const queryClient = useQueryClient();
  const script = useQuery(trpc.scripts.get.queryOptions({ id }));
  const sdk = useQuery(trpc.scripts.sdkTypes.queryOptions(undefined, { staleTime: Infinity }));
  const templates = useQuery(trpc.scripts.templates.queryOptions(undefined, { staleTime: Infinity }));
  const types = useQuery(trpc.strategies.types.queryOptions());
  /** the text in the editor once the user (or a template pick, or opening a version) changed it */
  const [draft, setDraft] = useState<string | null>(null);
  /** the version the editor was opened on or last saved; null: the newest */
  const [selected, setSelected] = useState<number | null>(null);
  const [diagnostics, setDiagnostics] = useState<readonly ServerDiagnostic[]>(NO_DIAGNOSTICS);
  const [markers, setMarkers] = useState<EditorMarker[]>([]);
  const [reveal, setReveal] = useState<{ line: number; column: number; seq: number } | null>(null);
  const [editorReady, setEditorReady] = useState(false);
  /** bumped when the page (not the typing) puts another text in the editor */
  const [revision, setRevision] = useState(0);
  useDocumentTitle(script.data ? ['Script', script.data.name] : null);

  const versions = script.data?.versions ?? [];
  const current = versions.find((v) => v.version === selected) ?? versions[0] ?? null;
  const templateSource = templates.data?.find((t) => t.type === (template ?? 'sma_crossover'))?.source ?? null;
  const source = draft ?? current?.source ?? templateSource ?? '';
  const dirty = draft !== null && draft !== (current?.source ?? templateSource);
  const owned = script.data?.owned ?? false;

  const save = useMutation(
    trpc.scripts.saveVersion.mutationOptions({
      onSuccess: async (answer) => {
        if ('diagnostics' in answer) {
          setDiagnostics(answer.diagnostics);
          return;
        }
        setDiagnostics(NO_DIAGNOSTICS);
        await queryClient.invalidateQueries({ queryKey: trpc.scripts.pathKey() });
        setSelected(answer.saved.version);
        setDraft(null);
      },
    }),
  );
  const publish = useMutation(
    trpc.scripts.publish.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.scripts.get.queryKey({ id }) }) }),
  );
  const clone = useMutation(
    trpc.scripts.clone.mutationOptions({
      onSuccess: async (copy) => {
        await queryClient.invalidateQueries({ queryKey: trpc.scripts.list.pathKey() });
        router.push(`/scripts/${copy.id}`);
      },
    }),
  );
  const typeErrors = useMemo(() => markers.filter((m) => m.source === 'typescript'), [markers]);

  if (script.isPending || sdk.isPending || templates.isPending)
    return (
      <div className="space-y-3" aria-busy="true">
        <Skeleton className="h-8 w-64" />
        <Skeleton className="h-[60vh] w-full" />
      </div>
    );
  if (script.isError)
    return (
      <ErrorState message={script.error.data?.code === 'NOT_FOUND' ? 'No such script.' : 'Could not load the script.'} retry={() => void script.refetch()} />
    );
  if (sdk.isError || templates.isError)
    return (
      <ErrorState
        message="Could not load the strategy SDK's types."
        retry={() => {
          void sdk.refetch();
          void templates.refetch();
        }}
      />
    );
  const s = script.data;
  const typeName = (type: string) => types.data?.find((t) => t.type === type)?.name ?? type;

  return (
    <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <div className="min-w-0 space-y-3">
        <div className="flex flex-wrap items-center gap-2">
          {owned ? (
            <Button
              onClick={() => save.mutate({ id, source })}
              disabled={save.isPending || !editorReady || (!dirty && versions.length > 0)}
              title={typeErrors.length > 0 ? 'TypeScript reports errors; the server checks again on save' : undefined}
            >
              {save.isPending ? 'Saving…' : 'Save version'}
            </Button>
          ) : (
            <Button onClick={() => clone.mutate({ id, version: current?.version })} disabled={clone.isPending}>
              {clone.isPending ? 'Cloning…' : 'Clone to edit'}
            </Button>
          )}
          {owned ? (
            <label className="flex items-center gap-2 text-sm text-muted">
              <span>Template</span>
              <select
                aria-label="Replace with template"
                className={SELECT}
                value=""
                onChange={(e) => {
                  const picked = templates.data.find((t) => t.type === e.target.value);
                  if (picked) {
                    setDraft(picked.source);
                    setRevision((r) => r + 1);
                    setDiagnostics(NO_DIAGNOSTICS);
                  }
                }}
              >
                <option value="">Replace with…</option>
                {templates.data.map((t) => (
                  <option key={t.type} value={t.type}>
                    {typeName(t.type)}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <span className="text-sm text-muted">Published by another user: read-only.</span>
          )}
          <span role="status" className="text-sm text-muted">
            {save.data && 'saved' in save.data && !dirty ? `✓ Saved v${save.data.saved.version}` : dirty ? 'Unsaved changes' : null}
          </span>
        </div>
        {save.error ? <ErrorState message={save.error.message} /> : null}
        {clone.error ? <ErrorState message={clone.error.message} /> : null}
        <div className="h-[60vh] min-h-[20rem] overflow-hidden rounded-md border border-border">
          <CodeEditor
            modelKey={id}
            value={source}
            revision={revision}
            readOnly={!owned}
            sdk={sdk.data}
            diagnostics={diagnostics}
            onChange={(text) => setDraft(text)}
            onMarkers={setMarkers}
            onReady={() => setEditorReady(true)}
            reveal={reveal}
          />
        </div>
        <Problems markers={markers} serverErrors={diagnostics} onPick={(line, column) => setReveal((r) => ({ line, column, seq: (r?.seq ?? 0) + 1 }))} />
      </div>

      <div className="min-w-0 space-y-4">
        <Card>
          <CardHeader>
            <CardTitle>Versions</CardTitle>
          </CardHeader>
          <CardContent>
            {versions.length === 0 ? (
              <p className="text-sm text-muted">No version saved yet. Save to compile and store the first.</p>
            ) : (
              <ul aria-label="Versions" className="space-y-2">
                {versions.map((v) => (
                  <li key={v.version} data-testid="script-version" data-version={v.version} className="rounded-md border border-border p-2 text-sm">
                    <div className="flex items-center justify-between gap-2">
                      <button
                        type="button"
                        className={`font-medium ${v.version === current?.version ? 'text-fg' : 'text-accent hover:underline'}`}
                        aria-current={v.version === current?.version ? 'true' : undefined}
                        onClick={() => {
                          setSelected(v.version);
                          setDraft(null);
                          setRevision((r) => r + 1);
                          setDiagnostics(NO_DIAGNOSTICS);
                        }}
                      >
                        v{v.version}
                      </button>
                      {v.publishedAt ? <span className="rounded bg-panel-2 px-1.5 text-xs text-muted">published</span> : null}
                    </div>
                    <p className="num truncate text-xs text-muted" title={v.hash}>
                      sha256 {v.hash.slice(0, 12)} · {formatDateTime(v.createdAt, zone)}
                    </p>
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
        {current ? (
          <Card>
            <CardHeader>
              <CardTitle>
                v{current.version}: {current.name}
              </CardTitle>
              <p className="text-xs text-muted">{current.description}</p>
            </CardHeader>
            <CardContent className="space-y-3">
              <Parameters parameters={current.parameters} />
              {current.plots.length > 0 ? (
                <p className="text-xs text-muted">Plots: {current.plots.map((p) => String(p.label ?? p.name)).join(', ')}</p>
              ) : (
                <p className="text-xs text-muted">No plots declared: the chart shows candles and trades only.</p>
              )}
              <div className="flex flex-wrap gap-2">
                <Button asChild size="sm">
                  <Link href={`/strategies/new?type=${encodeURIComponent(current.type)}`}>Backtest this version</Link>
                </Button>
                {owned && !current.publishedAt ? (
                  <Button size="sm" variant="secondary" disabled={publish.isPending} onClick={() => publish.mutate({ id, version: current.version })}>
                    Publish v{current.version}
                  </Button>
                ) : null}
                {owned ? (
                  <Button size="sm" variant="ghost" disabled={clone.isPending} onClick={() => clone.mutate({ id, version: current.version })}>
                    Clone
                  </Button>
                ) : null}
              </div>
              {publish.error ? <ErrorState message={publish.error.message} /> : null}
              <p className="text-xs text-muted">
                Strategy type <code className="break-all">{current.type}</code>. {s.clonedFrom ? 'Cloned from another script.' : null}
              </p>
            </CardContent>
          </Card>
        ) : null}
      </div>
    </div>
  );
}

/** TypeScript's errors and the server's save diagnostics, each a link to its place in the editor. */
function Problems({
  markers,
  serverErrors,
  onPick,
}: {
  markers: EditorMarker[];
  serverErrors: readonly ServerDiagnostic[];
  onPick: (line: number, column: number) => void;
}) {
  if (markers.length === 0 && serverErrors.length === 0) return <p className="text-sm text-muted">No problems.</p>;
  // Server diagnostics are markers too once Monaco has them; before that (or if the editor is not up) list them directly.
  const shown: EditorMarker[] = markers.some((m) => m.source === 'server')
    ? markers
    : [...markers, ...serverErrors.map((d) => ({ ...d, source: 'server' as const }))];
  return (
    <ul aria-label="Problems" className="space-y-1 rounded-md border border-loss/40 bg-loss/5 p-2 text-sm">
      {shown.map((m, k) => (
        <li key={k} data-testid="problem" data-source={m.source}>
          <button type="button" className="text-left hover:underline" onClick={() => onPick(m.line, m.column)}>
            <span className="num text-muted">
              {m.line}:{m.column}
            </span>{' '}
            <span className="text-loss">{m.message}</span> <span className="text-xs text-muted">({m.source === 'server' ? 'save check' : 'TypeScript'})</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

/** The version's declared parameters (the form to backtest it is generated from the same schema). */
function Parameters({ parameters }: { parameters: Record<string, unknown> }) {
  const entries = Object.entries(parameters) as [string, { type?: string; default?: unknown; min?: number; max?: number; label?: string; unit?: string }][];
  if (entries.length === 0) return <p className="text-xs text-muted">No parameters.</p>;
  return (
    <dl aria-label="Parameters" className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
      {entries.map(([name, spec]) => (
        <div key={name} className="contents">
          <dt className="font-medium">{spec.label ?? name}</dt>
          <dd className="num text-muted">
            {spec.type} · default {String(spec.default)}
            {spec.min !== undefined || spec.max !== undefined ? ` · ${spec.min ?? '−∞'}…${spec.max ?? '∞'}` : ''}
            {spec.unit ? ` ${spec.unit}` : ''}
          </dd>
        </div>
      ))}
    </dl>
  );
}
