import { describe, expect, it } from 'vitest';
import { strategyParameters } from './params';
import { listStrategyDefinitions } from './registry';

describe('parameter labels and units', () => {
  it('every built-in parameter declares a human label, and every number the unit it is counted in', () => {
    for (const definition of listStrategyDefinitions()) {
      for (const [name, spec] of Object.entries(strategyParameters(definition))) {
        expect(spec.label, `${definition.type}.${name} declares a label`).toMatch(/^[A-Z]/);
        if (spec.type === 'integer' || spec.type === 'float') expect(spec.unit, `${definition.type}.${name} declares a unit`).toBeDefined();
      }
    }
  });

  it('the moving-average crossover and the position size read as a trader says them', () => {
    const sma = listStrategyDefinitions().find((d) => d.type === 'sma_crossover')!;
    const parameters = strategyParameters(sma);
    expect([parameters.fastPeriod!.label, parameters.fastPeriod!.unit]).toEqual(['Fast period', 'bars']);
    expect([parameters.positionSizePct!.label, parameters.positionSizePct!.unit]).toEqual(['Position size', '%']);
  });
});
