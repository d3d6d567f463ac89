'use client';

import { useQueryClient } from '@tanstack/react-query';
import { Upload } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Field } from '@/components/ui/input';
import { ErrorState } from '@/components/ui/states';
import type { FileImportResponse } from '@/server/api/schemas/market-data';
import { formatCount, formatDateTime } from '@/components/format';
import { SeriesFields, type SeriesFieldValues } from './series-fields';

type UploadState =
  | { phase: 'idle' }
  | { phase: 'reading' }
  | { phase: 'uploading'; fraction: number }
  | { phase: 'processing' }
  | { phase: 'done'; result: FileImportResponse }
  | { phase: 'error'; message: string; fields: Record<string, string> };

interface ApiError {
  error?: { message?: string; details?: { fields?: Array<{ field: string; message: string }> } };
}

/** Sends the file's text to POST /api/v1/market-data/files with upload progress (XHR: fetch has none). */
function uploadFile(body: string, onProgress: (fraction: number) => void): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/market-data/files');
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        parsed = null;
      }
      resolve({ status: xhr.status, body: parsed });
    };
    xhr.onerror = () => reject(new Error('the upload failed: network error'));
    xhr.send(body);
  });
}

export function UploadForm({ exchanges, defaultExchange }: { exchanges: string[]; defaultExchange: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [series, setSeries] = useState<SeriesFieldValues>({ exchange: defaultExchange, symbol: 'BTC/USDT', timeframe: '1h' });
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<UploadState>({ phase: 'idle' });
  const busy = state.phase === 'reading' || state.phase === 'uploading' || state.phase === 'processing';

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) {
      setState({ phase: 'error', message: 'Choose a file first.', fields: { file: 'choose a file' } });
      return;
    }
    setState({ phase: 'reading' });
    try {
      const content = await file.text();
      setState({ phase: 'uploading', fraction: 0 });
      const response = await uploadFile(JSON.stringify({ ...series, fileName: file.name, content }), (fraction) =>
        setState(fraction >= 1 ? { phase: 'processing' } : { phase: 'uploading', fraction }),
      );
      if (response.status === 200) {
        setState({ phase: 'done', result: response.body as FileImportResponse });
        void queryClient.invalidateQueries(trpc.marketData.coverage.queryFilter());
        return;
      }
      const apiError = (response.body as ApiError | null)?.error;
      const fields = Object.fromEntries((apiError?.details?.fields ?? []).map((f) => [f.field === 'content' ? 'file' : f.field, f.message]));
      setState({ phase: 'error', message: apiError?.message ?? `the server answered ${response.status}`, fields });
    } catch (error) {
      setState({ phase: 'error', message: error instanceof Error ? error.message : 'the upload failed', fields: {} });
    }
  }

  const errors = state.phase === 'error' ? state.fields : {};
  return (
    <Card>
      <CardHeader>
        <CardTitle>Upload a candle file</CardTitle>
        <p className="text-xs text-muted">ccxt JSON arrays, objects JSON (e.g. Coinbase) or CSV with a header; bad rows are reported and skipped.</p>
      </CardHeader>
      <CardContent>
        <form onSubmit={(e) => void submit(e)} className="space-y-3" aria-label="Upload candles">
          <SeriesFields idPrefix="upload" value={series} onChange={setSeries} exchanges={exchanges} errors={errors} />
          <Field id="upload-file" label="File" error={errors.file}>
            <input
              id="upload-file"
              type="file"
              accept=".json,.csv,.txt,application/json,text/csv"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              className="block w-full text-sm text-muted file:mr-3 file:rounded-md file:border file:border-border file:bg-panel-2 file:px-3 file:py-1.5 file:text-fg"
            />
          </Field>
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit" disabled={busy}>
              <Upload className="h-4 w-4" aria-hidden /> Upload
            </Button>
            {busy ? (
              <div className="flex min-w-48 flex-1 items-center gap-2" role="status" aria-live="polite">
                <div className="h-2 flex-1 overflow-hidden rounded bg-panel-2">
                  <div
                    className={`h-full bg-accent ${state.phase === 'uploading' ? '' : 'animate-pulse'}`}
                    style={{ width: state.phase === 'uploading' ? `${Math.round(state.fraction * 100)}%` : '100%' }}
                  />
                </div>
                <span className="num text-xs text-muted">
                  {state.phase === 'reading' ? 'reading…' : state.phase === 'uploading' ? `${Math.round(state.fraction * 100)}%` : 'storing…'}
                </span>
              </div>
            ) : null}
          </div>
        </form>
        {state.phase === 'error' ? (
          <div className="mt-3">
            <ErrorState title="Upload failed" message={state.message} />
          </div>
        ) : null}
        {state.phase === 'done' ? <UploadResult result={state.result} /> : null}
      </CardContent>
    </Card>
  );
}

function UploadResult({ result }: { result: FileImportResponse }) {
  return (
    <div className="mt-4 space-y-2 rounded-md border border-border bg-panel-2 p-3 text-sm" data-testid="upload-result" role="status">
      <div className="flex flex-wrap gap-x-6 gap-y-1">
        <span>
          Inserted{' '}
          <strong className="num" data-testid="upload-inserted">
            {formatCount(result.inserted)}
          </strong>
        </span>
        <span>
          Updated <strong className="num">{formatCount(result.updated)}</strong>
        </span>
        <span>
          Unchanged <strong className="num">{formatCount(result.unchanged)}</strong>
        </span>
        <span className={result.rejected.length > 0 ? 'text-loss' : undefined}>
          Rejected{' '}
          <strong className="num" data-testid="upload-rejected">
            {formatCount(result.rejected.length)}
          </strong>
        </span>
      </div>
      <p className="text-xs text-muted">
        {result.format} · {result.firstMs !== null ? `${formatDateTime(result.firstMs)} → ${formatDateTime(result.lastMs!)}` : 'no valid candles'} ·{' '}
        {result.gaps.length} gap(s) in the file
      </p>
      {result.rejected.length > 0 ? (
        <details>
          <summary className="cursor-pointer text-xs text-muted">Rejected rows</summary>
          <ul className="mt-1 max-h-40 overflow-auto text-xs">
            {result.rejected.slice(0, 200).map((r) => (
              <li key={r.index}>
                <span className="num text-muted">#{r.index}</span> {r.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
