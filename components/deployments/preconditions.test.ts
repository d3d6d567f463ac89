import { describe, expect, it } from 'vitest';
import { canTradeLive, unmetPreconditions } from './preconditions';

const binanceAccount = { kind: 'exchange' as const, exchange: 'binance' };
const paperAccount = { kind: 'paper' as const, exchange: 'paper' };

describe('deploy preconditions', () => {
  it('offers live trading only on an exchange accounts can be opened on', () => {
    expect(canTradeLive({ status: 'stopped', exchange: 'binance' }, ['binance', 'kraken'])).toBe(true);
    expect(canTradeLive({ status: 'stopped', exchange: 'simulated' }, ['binance']), 'the simulated market never trades live').toBe(false);
    expect(canTradeLive({ status: 'stopped', exchange: 'paper' }, ['paper', 'binance'])).toBe(false);
    expect(canTradeLive({ status: 'stopped', exchange: 'kraken' }, ['binance']), 'an exchange that is not enabled').toBe(false);
  });

  it('a draft strategy must be backtested first, in either mode, before anything else', () => {
    for (const mode of ['paper', 'live'] as const) {
      const unmet = unmetPreconditions(mode, { status: 'draft', exchange: 'binance' }, [binanceAccount, paperAccount]);
      expect(unmet.map((p) => p.key)).toEqual(['backtest']);
      expect(unmet[0]!.fix?.href).toBe('#backtest');
    }
  });

  it('live needs a paper run first and an account on the strategy exchange; all unmet ones are listed together', () => {
    expect(unmetPreconditions('live', { status: 'backtested', exchange: 'binance' }, [paperAccount]).map((p) => p.key)).toEqual(['paper-first', 'account']);
    expect(unmetPreconditions('live', { status: 'stopped', exchange: 'binance' }, [{ kind: 'exchange', exchange: 'kraken' }]).map((p) => p.key)).toEqual([
      'account',
    ]);
    expect(unmetPreconditions('live', { status: 'stopped', exchange: 'binance' }, [binanceAccount])).toEqual([]);
  });

  it('paper needs a paper account; an active deployment blocks both modes', () => {
    expect(unmetPreconditions('paper', { status: 'backtested', exchange: 'binance' }, [binanceAccount]).map((p) => p.key)).toEqual(['account']);
    expect(unmetPreconditions('paper', { status: 'backtested', exchange: 'binance' }, [paperAccount])).toEqual([]);
    expect(unmetPreconditions('live', { status: 'paper', exchange: 'binance' }, [binanceAccount]).map((p) => p.key)).toEqual(['active']);
  });
});
