import { z } from 'zod';
import type { ParamIssue, ParamSchema, ParamSpec, StrategyDefinition, StrategyParams } from './types';

/** Parameters every strategy accepts, handled by the engine (and the live runner), not by the strategy. */
export const COMMON_PARAMETERS = {
  positionSizePct: {
    label: 'Position size',
    unit: '%',
    type: 'float',
    default: 100,
    min: 0,
    exclusiveMin: true,
    max: 100,
    description: 'Percent of the available cash spent on each entry (fee included).',
  },
  stopLossPct: {
    label: 'Stop loss',
    unit: '%',
    type: 'float',
    default: null,
    min: 0,
    exclusiveMin: true,
    max: 100,
    exclusiveMax: true,
    description: 'Sell when the price falls this percent below the entry fill price. Empty: no stop loss.',
  },
  takeProfitPct: {
    label: 'Take profit',
    unit: '%',
    type: 'float',
    default: null,
    min: 0,
    exclusiveMin: true,
    max: 100_000,
    description: 'Sell when the price rises this percent above the entry fill price. Empty: no target.',
  },
  trailingStopPct: {
    label: 'Trailing stop',
    unit: '%',
    type: 'float',
    default: null,
    min: 0,
    exclusiveMin: true,
    max: 100,
    exclusiveMax: true,
    description: 'Sell when the price falls this percent below the highest price since entry. Empty: no trailing stop.',
  },
} as const satisfies ParamSchema;

/** All parameters of a strategy: its own plus the common ones, in that order (for forms and docs). */
export function strategyParameters(definition: StrategyDefinition<ParamSchema>): ParamSchema {
  return { ...definition.parameters, ...COMMON_PARAMETERS };
}

function specSchema(name: string, spec: ParamSpec): z.ZodType {
  switch (spec.type) {
    case 'boolean':
      return z.boolean({ error: `${name} must be true or false` }).default(spec.default);
    case 'enum':
      return z
        .string({ error: `${name} must be one of ${spec.options.join(', ')}` })
        .refine((v) => spec.options.includes(v), { error: `${name} must be one of ${spec.options.join(', ')}` })
        .default(spec.default);
    case 'integer':
    case 'float': {
      let schema = z.number({ error: `${name} must be a finite number` });
      if (spec.type === 'integer') schema = schema.int({ error: `${name} must be an integer` });
      if (spec.min !== undefined) {
        schema = spec.exclusiveMin
          ? schema.gt(spec.min, { error: `${name} must be greater than ${spec.min}` })
          : schema.gte(spec.min, { error: `${name} must be at least ${spec.min}` });
      }
      if (spec.max !== undefined) {
        schema = spec.exclusiveMax
          ? schema.lt(spec.max, { error: `${name} must be less than ${spec.max}` })
          : schema.lte(spec.max, { error: `${name} must be at most ${spec.max}` });
      }
      return spec.default === null ? schema.nullable().default(null) : schema.default(spec.default);
    }
  }
}

/**
 * The zod schema of a strategy's parameters (its own + COMMON_PARAMETERS): types, integer-ness and ranges
 * checked, unknown keys rejected, missing keys filled with their default, cross-parameter rules applied.
 * Every issue's path is the parameter's name and its message starts with it.
 */
export function paramsSchema<S extends ParamSchema>(definition: StrategyDefinition<S>): z.ZodType<StrategyParams<S>> {
  const all = strategyParameters(definition as StrategyDefinition<ParamSchema>);
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(all)) shape[name] = specSchema(name, spec);
  return z
    .strictObject(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown parameter(s): ${issue.keys.join(', ')}` : undefined) })
    .superRefine((params, ctx) => {
      const issue = definition.validate?.(params as never);
      if (issue) ctx.addIssue({ code: 'custom', path: [issue.param], message: issue.message });
    }) as unknown as z.ZodType<StrategyParams<S>>;
}

export class StrategyParamsError extends Error {
  constructor(
    readonly strategyType: string,
    readonly issues: readonly ParamIssue[],
  ) {
    super(`invalid parameters for ${strategyType}: ${issues.map((i) => i.message).join('; ')}`);
    this.name = 'StrategyParamsError';
  }
}

/** Each definition's schema, built once: a worker claiming a thousand deployments parses a thousand parameter sets. */
const schemas = new WeakMap<object, z.ZodType>();

/** Validates raw input (e.g. a request body) into typed params; throws StrategyParamsError naming each bad parameter. */
export function parseParams<S extends ParamSchema>(definition: StrategyDefinition<S>, input: unknown): StrategyParams<S> {
  let schema = schemas.get(definition) as z.ZodType<StrategyParams<S>> | undefined;
  if (!schema) schemas.set(definition, (schema = paramsSchema(definition)));
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new StrategyParamsError(
    definition.type,
    result.error.issues.map((issue) => {
      const param = issue.path.length > 0 ? String(issue.path[0]) : issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '';
      return { param, message: issue.message };
    }),
  );
}
