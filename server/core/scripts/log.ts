/**
 * A script's log: `log(...)` (and console.log in the sandbox) appends one line; at most LOG_MAX_LINES lines of
 * LOG_MAX_LINE_CHARS characters are kept per run, the rest are counted as dropped. Lives inside the sandbox.
 */
export const LOG_MAX_LINES = 200;
export const LOG_MAX_LINE_CHARS = 500;

const lines: string[] = [];
let dropped = 0;

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function log(...values: unknown[]): void {
  if (lines.length >= LOG_MAX_LINES) {
    dropped++;
    return;
  }
  let line = '';
  for (let k = 0; k < values.length && line.length <= LOG_MAX_LINE_CHARS; k++) line += (k > 0 ? ' ' : '') + text(values[k]);
  lines.push(line.length > LOG_MAX_LINE_CHARS ? `${line.slice(0, LOG_MAX_LINE_CHARS)}…` : line);
}

/** The lines logged since the last call, and how many were dropped over the cap; clears both. */
export function takeLog(): { lines: string[]; dropped: number } {
  const out = { lines: lines.splice(0, lines.length), dropped };
  dropped = 0;
  return out;
}
