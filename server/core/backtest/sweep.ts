import { paramsSchema, strategyParameters } from '../strategies/params';
import type { CommonParams, ParamSchema, StrategyDefinition } from '../strategies/types';

/** How one parameter varies in a sweep: an arithmetic range (both ends included) or an explicit list. */
export type ParamRange = { readonly min: number; readonly max: number; readonly step: number } | { readonly values: readonly (number | boolean | string)[] };

export const MAX_SWEEP_COMBINATIONS = 10_000;

export interface SweepGrid {
  /** validated parameter sets (defaults filled in), in odometer order: the last swept parameter varies fastest */
  readonly combos: Array<CommonParams & Record<string, unknown>>;
  /** size of the full cartesian product */
  readonly total: number;
  /** combinations dropped by a rule across parameters (e.g. fastPeriod ≥ slowPeriod) */
  readonly skipped: number;
}

export class SweepError extends Error {
  constructor(
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'SweepError';
  }
}

/** Values of a {min, max, step} range; float steps are rounded to 12 significant digits (0.1 + 0.2 = 0.3). */
export function expandRange(name: string, range: { min: number; max: number; step: number }, integer: boolean, limit: number): number[] {
  const { min, max, step } = range;
  if (![min, max, step].every(Number.isFinite)) throw new SweepError(`${name}: min, max and step must be finite numbers`, name);
  if (!(step > 0)) throw new SweepError(`${name}: step must be greater than 0`, name);
  if (min > max) throw new SweepError(`${name}: min must not exceed max`, name);
  if (integer && !(Number.isInteger(min) && Number.isInteger(step))) throw new SweepError(`${name}: an integer parameter needs an integer min and step`, name);
  const count = Math.floor((max - min) / step + 1e-9) + 1;
  if (count > limit) throw new SweepError(`${name}: ${count} values exceed the limit of ${limit} combinations`, name);
  const values: number[] = [];
  for (let k = 0; k < count; k++) values.push(integer ? min + k * step : Number((min + k * step).toPrecision(12)));
  return values;
}

/**
 * The grid of a sweep: every combination of the swept parameters' values over `baseParams` (other parameters;
 * missing ones take their defaults). Each swept value must be valid on its own (type, integer-ness, range) or the
 * whole request fails with a SweepError naming the parameter; combinations that break a cross-parameter rule are
 * skipped and counted. More than `maxCombinations` (default 10,000) combinations fail before any is built.
 */
export function generateGrid(
  definition: StrategyDefinition<ParamSchema>,
  ranges: Readonly<Record<string, ParamRange>>,
  options: { baseParams?: Readonly<Record<string, unknown>>; maxCombinations?: number } = {},
): SweepGrid {
  const limit = options.maxCombinations ?? MAX_SWEEP_COMBINATIONS;
  const base = options.baseParams ?? {};
  const specs = strategyParameters(definition);
  const schema = paramsSchema(definition);
  const names = Object.keys(ranges);
  if (names.length === 0) throw new SweepError('a sweep needs at least one parameter range');

  const axes: Array<readonly unknown[]> = [];
  let total = 1;
  for (const name of names) {
    const spec = specs[name];
    const range = ranges[name]!;
    if (!spec) throw new SweepError(`unknown parameter: ${name}`, name);
    let values: readonly unknown[];
    if ('values' in range) {
      if (!Array.isArray(range.values) || range.values.length === 0) throw new SweepError(`${name}: values must be a non-empty list`, name);
      values = [...new Set(range.values)];
    } else {
      if (spec.type !== 'integer' && spec.type !== 'float') throw new SweepError(`${name}: a ${spec.type} parameter takes a list of values, not a range`, name);
      values = expandRange(name, range, spec.type === 'integer', limit);
    }
    for (const value of values) {
      const result = schema.safeParse({ ...base, [name]: value });
      const own = result.success ? undefined : result.error.issues.find((i) => i.path[0] === name && i.code !== 'custom');
      if (own) throw new SweepError(`${name} = ${JSON.stringify(value)}: ${own.message}`, name);
    }
    total *= values.length;
    if (total > limit) throw new SweepError(`the sweep has more than ${limit} combinations; narrow the ranges or enlarge the steps`);
    axes.push(values);
  }

  const combos: Array<CommonParams & Record<string, unknown>> = [];
  let skipped = 0;
  const cursor = new Array<number>(axes.length).fill(0);
  for (let c = 0; c < total; c++) {
    const candidate: Record<string, unknown> = { ...base };
    for (let a = 0; a < axes.length; a++) candidate[names[a]!] = axes[a]![cursor[a]!];
    const result = schema.safeParse(candidate);
    if (result.success) combos.push(result.data as CommonParams & Record<string, unknown>);
    else {
      const foreign = result.error.issues.find((i) => i.code !== 'custom');
      if (foreign) throw new SweepError(`baseParams: ${foreign.message}`, String(foreign.path[0] ?? ''));
      skipped++;
    }
    for (let a = axes.length - 1; a >= 0; a--) {
      cursor[a]!++;
      if (cursor[a]! < axes[a]!.length) break;
      cursor[a] = 0;
    }
  }
  if (combos.length === 0) throw new SweepError('every combination breaks a rule across parameters');
  return { combos, total, skipped };
}
