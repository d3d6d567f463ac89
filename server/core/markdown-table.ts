/**
 * A Markdown table laid out as the formatter (prettier) lays it out: every column padded to its widest cell, the
 * rule row of dashes as wide. Tables the docs embed verbatim (the transition tables) are rendered with it, so the
 * formatted docs and the rendered text stay byte-identical. Cells are one code unit per character (ASCII and "—").
 */
export function renderMarkdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) => Math.max(3, cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
