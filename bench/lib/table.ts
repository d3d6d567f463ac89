/** Plain-text tables for the terminal: columns padded, numbers right-aligned. */

export type Cell = string | number | null | undefined;

const NUMERIC = /^[-+]?[\d,.]+(\s?[%×a-zA-Z/µ]*)?$/;

export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(Math.max(0, digits - 3));
  if (abs >= 10) return value.toFixed(Math.max(1, digits - 2));
  return value.toFixed(Math.max(2, digits - 1));
}

/** 12.3M, 456k: candles/s and similar rates. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value >= 1e6) return `${(value / 1e6).toFixed(value >= 1e7 ? 1 : 2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(value >= 1e5 ? 0 : 1)}k`;
  return value.toFixed(0);
}

export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const text = rows.map((row) => header.map((_, k) => cellText(row[k])));
  const widths = header.map((h, k) => Math.max(h.length, ...text.map((row) => row[k]!.length)));
  const line = (cells: readonly string[], alignNumbers: boolean) =>
    cells
      .map((cell, k) => (alignNumbers && k > 0 && NUMERIC.test(cell) ? cell.padStart(widths[k]!) : cell.padEnd(widths[k]!)))
      .join('  ')
      .trimEnd();
  return [line(header, false), widths.map((w) => '─'.repeat(w)).join('  '), ...text.map((row) => line(row, true))].join('\n');
}

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return '—';
  return typeof cell === 'number' ? formatNumber(cell) : cell;
}
