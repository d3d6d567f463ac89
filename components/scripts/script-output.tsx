import { formatCount } from '@/components/format';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/states';
import type { ScriptLogResponse } from '@/server/api/schemas/backtests';

/**
 * What a script printed (log(...), console.log), one line per call, in order; the lines over the cap
 * (docs/strategies.md, "Logs") are only counted. Long lines wrap, so a phone never scrolls sideways.
 */
export function ScriptOutput({
  log,
  description,
  className,
  droppedAre = 'more',
}: {
  log: ScriptLogResponse;
  description?: string;
  className?: string;
  /** a backtest keeps the first lines (the dropped came after), a deployment the latest (the dropped came before) */
  droppedAre?: 'more' | 'earlier';
}) {
  return (
    <Card data-testid="script-output" className={className}>
      <CardHeader>
        <CardTitle>Script output</CardTitle>
      </CardHeader>
      <CardContent className="space-y-2">
        {description ? <p className="text-xs text-muted">{description}</p> : null}
        {log.lines.length === 0 && log.dropped === 0 ? (
          <EmptyState title="The script printed nothing">Lines it writes with log(…) or console.log appear here.</EmptyState>
        ) : (
          <ol
            aria-label="Script output"
            className="max-h-96 overflow-y-auto rounded-lg border border-border bg-panel-2 p-3 font-mono text-xs leading-5 whitespace-pre-wrap break-all"
          >
            {log.lines.map((line, k) => (
              <li key={k} data-testid="script-output-line">
                {line}
              </li>
            ))}
          </ol>
        )}
        {log.dropped > 0 ? (
          <p className="text-xs text-muted" data-testid="script-output-dropped">
            {formatCount(log.dropped)} {droppedAre} {log.dropped === 1 ? 'line' : 'lines'} not shown: the output is capped.
          </p>
        ) : null}
      </CardContent>
    </Card>
  );
}
