/**
 * The simulated market the Markets page falls back to (market-view.ts): a seeded random walk per symbol and
 * timeframe, priced at a realistic level for the bases it knows.
 */
import { createSimulatedMarket, type SimulatedMarket } from '@/server/core/market/simulated';
import { timeframeToMs } from '@/server/core/timeframe';

export const START_PRICES: Record<string, number> = { BTC: 60_000, ETH: 3_000, SOL: 150, BNB: 500, XRP: 0.6, ADA: 0.5, DOGE: 0.15 };

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const simulatedMarkets = new Map<string, SimulatedMarket>();
/**
 * The simulated market of a symbol and timeframe. Its origin moves in steps of 10,000 candles so
 * that a request never replays more than 20,000 candles.
 */
const simulatedStartPrice = (symbol: string) => START_PRICES[symbol.split('/')[0] ?? symbol] ?? 100;
const simulatedPriceDecimals = (symbol: string) => (simulatedStartPrice(symbol) < 10 ? 4 : 2);

/** Whether the simulated market knows the symbol's base (it prices any symbol, but only these with a realistic level). */
export const isSimulatedBase = (symbol: string): boolean => START_PRICES[symbol.split('/')[0] ?? symbol] !== undefined;

/** The simulated market's price tick of a symbol ("0.01", "0.0001"). */
export function simulatedPriceTick(symbol: string): string {
  const decimals = simulatedPriceDecimals(symbol);
  return (1 / 10 ** decimals).toFixed(decimals);
}

export function simulatedMarketFor(symbol: string, timeframe: string, now: number): SimulatedMarket {
  const step = timeframeToMs(timeframe);
  const block = 10_000 * step;
  const originMs = Math.floor(now / block) * block - block;
  const cacheKey = `${symbol}|${timeframe}|${originMs}`;
  let market = simulatedMarkets.get(cacheKey);
  if (!market) {
    const startPrice = simulatedStartPrice(symbol);
    market = createSimulatedMarket({ seed: hashSeed(symbol), timeframe, originMs, startPrice, priceDecimals: simulatedPriceDecimals(symbol) });
    if (simulatedMarkets.size > 50) simulatedMarkets.clear();
    simulatedMarkets.set(cacheKey, market);
  }
  return market;
}
