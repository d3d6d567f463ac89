import { describe, expect, it } from 'vitest';
import { seriesFromRows } from '../candles';
import { SeriesView } from './series-view';

describe('SeriesView.firstChange (a script wrote into its own candles)', () => {
  const series = seriesFromRows([
    [0, 1, 2, 0.5, 1.5, 0],
    [60_000, 1.5, 2.5, 1, 2, 10],
    [120_000, 2, 3, 1.5, Number.NaN, 0],
    [180_000, 2.5, 3, 2, 2.5, 5],
  ]);

  function view(upTo: number): SeriesView {
    const v = new SeriesView(series);
    void v.close;
    void v.volume;
    v.reveal(upTo);
    return v;
  }

  it('is null while the columns hold the candles bit for bit, NaN and zeros included', () => {
    expect(view(3).firstChange()).toBeNull();
  });

  it('names the first changed bar of the first changed column, down to the sign of a zero and a NaN payload', () => {
    const negativeZero = view(3);
    negativeZero.volume[2] = -0;
    expect(negativeZero.firstChange(), '-0 over 0').toBe('volume[2]');

    const otherNaN = view(3);
    new DataView(otherNaN.close.buffer).setUint32(2 * 8 + 4, 0x7ff80001, true);
    expect(Number.isNaN(otherNaN.close[2]), 'still a NaN').toBe(true);
    expect(otherNaN.firstChange(), 'another NaN').toBe('close[2]');

    const value = view(3);
    value.close[1] = 2.0000000000000004;
    value.volume[0] = 1;
    expect(value.firstChange(), 'close before volume, bar 1').toBe('close[1]');
  });

  it('looks only at the bars shown: a write after the current bar is overwritten when that bar is shown', () => {
    const ahead = view(1);
    ahead.close[3] = 99;
    expect(ahead.firstChange()).toBeNull();
    ahead.reveal(3);
    expect(ahead.firstChange()).toBeNull();
  });
});
