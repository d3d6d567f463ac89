import { higherIsBetter, type MetricKey } from './metrics';

/**
 * The sweep heatmap's colour scale. Metrics with a natural break-even (returns, ratios: 0; profit factor: 1;
 * win rate: 50 %) diverge there: the good side in the gain colour, the bad side in the loss colour, the break-even
 * itself neutral (the panel colour), and the intensity grows with the distance from the break-even, measured
 * against the largest distance on either side (symmetric, so +5 % and −5 % are equally strong). Metrics without
 * a good or bad side (trade count, exposure) get a one-hue scale from their minimum to their maximum.
 * Colours are the theme's CSS variables, so both themes stay readable.
 */

export type HeatTone = 'gain' | 'loss' | 'neutral' | 'scale' | 'none';

export interface HeatScale {
  /** The break-even the scale diverges at; null for a one-hue scale. */
  pivot: number | null;
  /** Largest |value − pivot| (diverging), or the value range (one-hue); 0 when every value is the same. */
  span: number;
  lo: number;
  hi: number;
  higherIsBetter: boolean;
}

export interface HeatColour {
  tone: HeatTone;
  /** 0 (neutral) … 1 (the strongest colour on the scale). */
  intensity: number;
  background: string;
  /** Light text on strong colours, the theme's text colour on pale ones. */
  strong: boolean;
}

/** Where a metric's colour turns from loss to gain; null when the metric has no good or bad side. */
export function metricPivot(metric: MetricKey): number | null {
  switch (metric) {
    case 'tradeCount':
    case 'exposurePct':
      return null;
    case 'profitFactor':
      return 1;
    case 'winRatePct':
      return 50;
    default:
      return 0;
  }
}

export function heatScale(values: number[], metric: MetricKey): HeatScale {
  const finite = values.filter(Number.isFinite);
  const pivot = metricPivot(metric);
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 0;
  const span = pivot === null ? hi - lo : finite.reduce((m, v) => Math.max(m, Math.abs(v - pivot)), 0);
  return { pivot, span, lo, hi, higherIsBetter: higherIsBetter(metric) };
}

const NEUTRAL = 'var(--panel-2)';
/** The weakest non-neutral colour is this share of the hue, so a small but non-zero value is still visibly tinted. */
const MIN_MIX = 18;

const mix = (colour: string, intensity: number) => `color-mix(in srgb, ${colour} ${Math.round(MIN_MIX + (100 - MIN_MIX) * intensity)}%, ${NEUTRAL})`;

export function heatColour(value: number, scale: HeatScale): HeatColour {
  if (Number.isNaN(value) || (scale.pivot === null && !Number.isFinite(value))) return { tone: 'none', intensity: 0, background: NEUTRAL, strong: false };
  if (scale.pivot === null) {
    const intensity = scale.span > 0 ? Math.min(1, Math.max(0, (value - scale.lo) / scale.span)) : 0;
    return { tone: 'scale', intensity, background: mix('var(--accent)', intensity), strong: intensity >= 0.5 };
  }
  const distance = value - scale.pivot;
  if (distance === 0 || (scale.span === 0 && Number.isFinite(distance))) return { tone: 'neutral', intensity: 0, background: NEUTRAL, strong: false };
  // An infinite value (a profit factor with no losing trade) is as strong as the colour goes.
  const intensity = Number.isFinite(distance) ? Math.min(1, Math.abs(distance) / scale.span) : 1;
  const good = distance > 0 === scale.higherIsBetter;
  return { tone: good ? 'gain' : 'loss', intensity, background: mix(good ? 'var(--gain)' : 'var(--loss)', intensity), strong: intensity >= 0.5 };
}

/** The legend's ends: the scale from its lowest to its highest value, always including the break-even. */
export function legendRange(scale: HeatScale): { min: number; max: number; pivotAt: number | null } {
  if (scale.pivot === null) return { min: scale.lo, max: scale.hi, pivotAt: null };
  const min = Math.min(scale.lo, scale.pivot);
  const max = Math.max(scale.hi, scale.pivot);
  return { min, max, pivotAt: max > min ? (scale.pivot - min) / (max - min) : 0.5 };
}
