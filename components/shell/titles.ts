import { useEffect } from 'react';

/** The app's name, last in every tab title (as app/layout.tsx's title template puts it). */
const APP = 'Cryptobot';

/** A run's strategy in a few characters: "SMA 10/30", "MACD 12/26/9", else the type in words ("Mean reversion"). */
export function strategyShortLabel(type: string, params: Record<string, unknown>): string {
  const n = (key: string) => (typeof params[key] === 'number' ? String(params[key]) : null);
  const pair = (name: string, ...keys: string[]) => {
    const values = keys.map(n);
    return values.every((v) => v !== null) ? `${name} ${values.join('/')}` : name;
  };
  switch (type) {
    case 'sma_crossover':
      return pair('SMA', 'fastPeriod', 'slowPeriod');
    case 'ema_crossover':
      return pair('EMA', 'fastPeriod', 'slowPeriod');
    case 'macd':
      return pair('MACD', 'fastPeriod', 'slowPeriod', 'signalPeriod');
    case 'rsi':
      return pair('RSI', 'period');
    case 'dca':
      return pair('DCA every', 'intervalBars');
    case 'donchian_breakout':
      return pair('Donchian', 'entryPeriod', 'exitPeriod');
    default: {
      const words = type.replace(/[_-]+/g, ' ').trim();
      return words.charAt(0).toUpperCase() + words.slice(1);
    }
  }
}

/** "Backtest · SMA 10/30 · BTC/USDT 1h · Cryptobot": the page's kind, then what it shows; empty parts dropped. */
export function documentTitle(parts: ReadonlyArray<string | null | undefined>): string {
  return [...parts.filter((p): p is string => !!p && p.trim() !== ''), APP].join(' · ');
}

/**
 * Names the object a detail page shows in the tab title once its data has loaded (the page's static
 * metadata names only the kind). `parts` null: leave the title alone (still loading, or not found).
 */
export function useDocumentTitle(parts: ReadonlyArray<string | null | undefined> | null): void {
  const title = parts ? documentTitle(parts) : null;
  useEffect(() => {
    if (title) document.title = title;
  }, [title]);
}
