import { formatCount } from '@/components/format';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/states';
import type { ScriptLogResponse } from '@/server/api/schemas/backtests';

/**
 * What a script printed (log(...), console.log), one line per call, in order; the lines over the cap
 * (docs/strategies.md, "Logs") are only counted. Long lines wrap, so a phone never scrolls sideways.
 */
export function ScriptOutput({ log, description }: { log: ScriptLogResponse; description?: string }) {
  return (
    <Card data-testid="script-output">
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
            {formatCount(log.dropped)} more {log.dropped === 1 ? 'line' : 'lines'} not shown: the output is capped.
          </p>
        ) : null}
      </CardContent>
    </Card>
  );
}
