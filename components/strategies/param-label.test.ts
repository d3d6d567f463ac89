import { describe, expect, it } from 'vitest';
import { parameterLabel } from './param-label';

describe('strategy parameter labels', () => {
  it('reads as the form shows it: the label, then the unit', () => {
    expect(parameterLabel({ label: 'Fast period', unit: 'bars' })).toBe('Fast period (bars)');
    expect(parameterLabel({ label: 'Position size', unit: '%' })).toBe('Position size (%)');
    expect(parameterLabel({ label: 'Entry rule', unit: null })).toBe('Entry rule');
  });

  it('"quote" names the quote currency of the market', () => {
    expect(parameterLabel({ label: 'Amount per buy', unit: 'quote' }, 'ETH/USDC')).toBe('Amount per buy (USDC)');
    expect(parameterLabel({ label: 'Amount per buy', unit: 'quote' }, 'BTC/USDT:USDT')).toBe('Amount per buy (USDT)');
    expect(parameterLabel({ label: 'Amount per buy', unit: 'quote' })).toBe('Amount per buy (quote currency)');
  });
});
