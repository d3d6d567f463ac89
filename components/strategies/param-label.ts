/** What a form calls a strategy parameter: its declared label and unit (server/core/strategies/types.ts ParamLabel). */
export function parameterLabel(spec: { label: string; unit: string | null }, symbol?: string): string {
  if (!spec.unit) return spec.label;
  // "quote": the market's quote currency (USDT for BTC/USDT), named once the symbol is known.
  const unit = spec.unit === 'quote' ? (symbol?.split('/')[1]?.split(':')[0] ?? '') || 'quote currency' : spec.unit;
  return `${spec.label} (${unit})`;
}
