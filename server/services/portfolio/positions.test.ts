import { describe, expect, it } from 'vitest';
import { formatDecimal, sum } from '@/server/core/money';
import { replayPositions, splitPair, type PositionFill } from './positions';

const fill = (
  side: 'buy' | 'sell',
  quantity: string,
  price: string,
  fee: string,
  feeCurrency: string | null,
  executedAtMs: number,
  symbol = 'BTC/USDT',
): PositionFill => ({
  symbol,
  side,
  quantity,
  price,
  fee,
  feeCurrency,
  executedAtMs,
});
const only = (fills: PositionFill[], options?: { sinceMs?: number }) => {
  const positions = [...replayPositions(fills, options).values()];
  expect(positions.length, 'one symbol, one position').toBe(1);
  return positions[0]!;
};

describe('average cost replay', () => {
  it('a full close realizes exactly proceeds − everything paid, with no rounding residue from partial closes', () => {
    // cost basis 300.1 for 3; a third sold leaves 200.0666…, which no finite decimal holds.
    const position = only([fill('buy', '3', '100', '0.1', 'USDT', 1), fill('sell', '1', '110', '0.11', 'USDT', 2), fill('sell', '2', '90', '0.18', 'USDT', 3)]);
    expect(formatDecimal(position.quantity)).toBe('0');
    expect(formatDecimal(position.costBasis), 'nothing left behind').toBe('0');
    expect(formatDecimal(position.realizedPnl), '(110 − 0.11) + (180 − 0.18) − 300.1').toBe('-10.39');
  });

  it('a buy fee in base shrinks the quantity received; a sell fee in base leaves with the quantity sold', () => {
    const bought = only([fill('buy', '1', '100', '0.001', 'BTC', 1)]);
    expect(formatDecimal(bought.quantity), '1 − 0.001 BTC received').toBe('0.999');
    expect(formatDecimal(bought.costBasis), 'for 100 USDT').toBe('100');
    const sold = only([fill('buy', '1', '100', '0', 'USDT', 1), fill('sell', '0.5', '120', '0.0005', 'BTC', 2)]);
    expect(formatDecimal(sold.quantity), '1 − 0.5 − 0.0005').toBe('0.4995');
    // 0.5005 BTC left for 60 USDT: realized 60 − 0.5005 × 100 = 9.95.
    expect(formatDecimal(sold.realizedPnl)).toBe('9.95');
  });

  it('a fee in a third currency is reported, not priced into the position', () => {
    const position = only([fill('buy', '1', '100', '0.01', 'BNB', 1), fill('buy', '1', '100', '0.02', 'BNB', 2)]);
    expect(formatDecimal(position.costBasis), '2 × 100, no fee').toBe('200');
    expect(Object.fromEntries(Object.entries(position.excludedFees).map(([c, v]) => [c, formatDecimal(v)]))).toEqual({ BNB: '0.03' });
  });

  it('selling more than the tracked position realizes nothing on the untracked part', () => {
    const position = only([fill('sell', '2', '100', '0', 'USDT', 1)]);
    expect(formatDecimal(position.realizedPnl), 'the cost of coins held before is unknown').toBe('0');
    expect(formatDecimal(position.untrackedQuantitySold)).toBe('2');
    expect(formatDecimal(position.quantity), 'never negative: spot, long-only').toBe('0');
  });

  it('splits at sinceMs: the position then, and what was realized from then on', () => {
    const position = only([fill('buy', '2', '100', '0', 'USDT', 10), fill('sell', '1', '150', '0', 'USDT', 20), fill('sell', '1', '130', '0', 'USDT', 30)], {
      sinceMs: 25,
    });
    expect(formatDecimal(position.atSince.quantity), 'held 1 at the split').toBe('1');
    expect(formatDecimal(position.atSince.costBasis)).toBe('100');
    expect(formatDecimal(position.realizedSince), 'only the second sell: 130 − 100').toBe('30');
    expect(formatDecimal(position.realizedPnl), 'both sells').toBe('80');
  });

  it("splits by booking time: a fill executed in a replay's past but booked after sinceMs counts from then on", () => {
    const booked = (f: PositionFill, bookedAtMs: number): PositionFill => ({ ...f, bookedAtMs });
    const position = only(
      [fill('buy', '2', '100', '0', 'USDT', 10), booked(fill('sell', '1', '150', '0', 'USDT', 20), 40), booked(fill('buy', '1', '120', '0', 'USDT', 15), 5)],
      { sinceMs: 25 },
    );
    expect(formatDecimal(position.atSince.quantity), 'the fills booked before 25: both buys, replayed in execution order').toBe('3');
    expect(formatDecimal(position.atSince.costBasis)).toBe('320');
    expect(formatDecimal(position.realizedSince), 'the sell booked at 40: 150 − the average 106.67').toBe(formatDecimal(position.realizedPnl));
    expect(Number(position.realizedSince)).toBeCloseTo(150 - 320 / 3, 12);
  });

  it('replays in execution order whatever order the fills come in, symbols apart', () => {
    const fills = [fill('sell', '1', '150', '0', 'USDT', 20), fill('buy', '1', '10', '0', 'USDT', 5, 'ETH/BTC'), fill('buy', '1', '100', '0', 'USDT', 10)];
    const positions = replayPositions(fills);
    expect(formatDecimal(positions.get('BTC/USDT')!.realizedPnl), 'the buy came first in time').toBe('50');
    expect(positions.get('ETH/BTC')).toMatchObject({ base: 'ETH', quote: 'BTC' });
    expect(formatDecimal(sum([...positions.values()].map((p) => p.quantity)))).toBe('1');
  });

  it('splitPair reads BASE/QUOTE and ignores a settle suffix', () => {
    expect(splitPair('BTC/USDT')).toEqual({ base: 'BTC', quote: 'USDT' });
    expect(splitPair('BTC/USDT:USDT')).toEqual({ base: 'BTC', quote: 'USDT' });
  });
});
