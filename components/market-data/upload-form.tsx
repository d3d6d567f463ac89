'use client';

import { useQueryClient } from '@tanstack/react-query';
import { Upload } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { guessSeries, type SeriesGuess } from '@/server/core/market/guess';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
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
  /** The server asks whether this file really is the chosen series (409 "confirm": price level, spacing). */
  | { phase: 'confirm'; message: string }
  | { phase: 'error'; message: string; fields: Record<string, string> };

interface ApiError {
  error?: { message?: string; details?: { fields?: Array<{ field: string; message: string }>; reason?: string } };
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
  // Until the user picks a series by hand, the file's own guess (name, content) fills it in.
  const [touched, setTouched] = useState(false);
  const [guess, setGuess] = useState<SeriesGuess | null>(null);
  const busy = state.phase === 'reading' || state.phase === 'uploading' || state.phase === 'processing';

  const guessed = guess
    ? {
        exchange: guess.exchange?.value ?? series.exchange,
        symbol: guess.symbol?.value ?? series.symbol,
        timeframe: guess.timeframe?.value ?? series.timeframe,
      }
    : null;
  const differs = guessed && (guessed.exchange !== series.exchange || guessed.symbol !== series.symbol || guessed.timeframe !== series.timeframe);

  async function chooseFile(chosen: File | null) {
    setFile(chosen);
    setGuess(null);
    if (!chosen) return;
    const content = await chosen.text();
    const next = guessSeries({ fileName: chosen.name, content, exchanges });
    setGuess(next);
    if (!touched)
      setSeries((current) => ({
        exchange: next.exchange?.value ?? current.exchange,
        symbol: next.symbol?.value ?? current.symbol,
        timeframe: next.timeframe?.value ?? current.timeframe,
      }));
  }

  async function submit(event?: FormEvent, confirm = false) {
    event?.preventDefault();
    if (!file) {
      setState({ phase: 'error', message: 'Choose a file first.', fields: { file: 'choose a file' } });
      return;
    }
    setState({ phase: 'reading' });
    try {
      const content = await file.text();
      setState({ phase: 'uploading', fraction: 0 });
      const response = await uploadFile(JSON.stringify({ ...series, fileName: file.name, content, ...(confirm ? { confirm: true } : {}) }), (fraction) =>
        setState(fraction >= 1 ? { phase: 'processing' } : { phase: 'uploading', fraction }),
      );
      if (response.status === 200) {
        setState({ phase: 'done', result: response.body as FileImportResponse });
        void queryClient.invalidateQueries(trpc.marketData.coverage.queryFilter());
        return;
      }
      const apiError = (response.body as ApiError | null)?.error;
      if (response.status === 409 && apiError?.details?.reason) {
        setState({ phase: 'confirm', message: (apiError.message ?? '').replace(/^confirm: /, '') });
        return;
      }
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
          <SeriesFields
            idPrefix="upload"
            value={series}
            onChange={(next) => {
              setTouched(true);
              setSeries(next);
            }}
            exchanges={exchanges}
            errors={errors}
          />
          <Field id="upload-file" label="File" error={errors.file}>
            <input
              id="upload-file"
              type="file"
              accept=".json,.csv,.txt,application/json,text/csv"
              onChange={(e) => void chooseFile(e.target.files?.[0] ?? null)}
              className="block w-full text-sm text-muted file:mr-3 file:rounded-md file:border file:border-border file:bg-panel-2 file:px-3 file:py-1.5 file:text-fg"
            />
          </Field>
          {guess && guessed ? (
            <div className="rounded-md border border-border bg-panel-2 p-2 text-xs" data-testid="upload-guess" role="status">
              {differs ? (
                <div className="flex flex-wrap items-center gap-2 text-warn">
                  <span>
                    This file looks like {guessed.symbol} {guessed.timeframe}
                    {guess.exchange ? ` on ${guessed.exchange}` : ''} ({describeGuess(guess)}), not the series chosen above.
                  </span>
                  <Button type="button" size="sm" variant="secondary" onClick={() => setSeries(guessed)}>
                    Use {guessed.symbol} {guessed.timeframe}
                  </Button>
                </div>
              ) : Object.keys(guess).length > 0 ? (
                <span className="text-muted">Filled in from the file: {describeGuess(guess)}.</span>
              ) : (
                <span className="text-muted">The file does not say which market it is: check the series above.</span>
              )}
            </div>
          ) : null}
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
        <ConfirmDialog
          open={state.phase === 'confirm'}
          onOpenChange={(open) => {
            if (!open) setState({ phase: 'idle' });
          }}
          title="Is this the right market?"
          description={
            <>
              <p data-testid="upload-confirm-reason">{state.phase === 'confirm' ? state.message : ''}</p>
              <p>
                Candles are shared by every user: importing them as {series.exchange} {series.symbol} {series.timeframe} changes what every backtest of that
                market sees.
              </p>
            </>
          }
          confirmLabel="Import anyway"
          onConfirm={() => void submit(undefined, true)}
        />
      </CardContent>
    </Card>
  );
}

function describeGuess(guess: SeriesGuess): string {
  const parts = (['exchange', 'symbol', 'timeframe'] as const)
    .filter((field) => guess[field])
    .map((field) => `${field} ${guess[field]!.value} from its ${guess[field]!.from}`);
  return parts.join(', ');
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
