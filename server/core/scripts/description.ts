/**
 * What a script declares about itself — name, description, parameter schema, plots — checked strictly, because it
 * is the user's data: the parameter schema renders forms and validates input exactly like a built-in's
 * (params.ts), the plots go to the chart (#14). The sandbox reports it at load; the save check (static-check.ts in
 * services) reads it from the source without running the script.
 */
import { z } from 'zod';
import { COMMON_PARAMETERS } from '../strategies/params';
import type { ParamSchema, PlotSpec, StrategyDefinition } from '../strategies/types';
import { declaredWarmup, parseWarmup, WarmupExpressionError } from './warmup';

const UNITS = ['bars', '%', 'quote', 'std devs', 'RSI'] as const;
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
const MAX_PARAMETERS = 24;
const MAX_PLOTS = 16;

const label = { label: z.string().min(1).max(60).optional(), description: z.string().max(500) };
const ZNumberSpec = z
  .strictObject({
    ...label,
    type: z.enum(['integer', 'float']),
    unit: z.enum(UNITS).optional(),
    default: z.number().finite().nullable(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    exclusiveMin: z.boolean().optional(),
    exclusiveMax: z.boolean().optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max)
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'min must not exceed max' });
    if (spec.default === null) return;
    if (spec.type === 'integer' && !Number.isInteger(spec.default))
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'default of an integer parameter must be an integer' });
    if (spec.min !== undefined && (spec.exclusiveMin ? spec.default <= spec.min : spec.default < spec.min))
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'default is below min' });
    if (spec.max !== undefined && (spec.exclusiveMax ? spec.default >= spec.max : spec.default > spec.max))
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'default is above max' });
  });
const ZBooleanSpec = z.strictObject({ ...label, type: z.literal('boolean'), default: z.boolean() });
const ZEnumSpec = z
  .strictObject({ ...label, type: z.literal('enum'), default: z.string().max(60), options: z.array(z.string().min(1).max(60)).min(1).max(40) })
  .refine((spec) => spec.options.includes(spec.default), { path: ['default'], message: 'default must be one of options' });
const ZParamSpec = z.union([ZNumberSpec, ZBooleanSpec, ZEnumSpec], {
  error: 'must be a parameter: {type: integer | float | boolean | enum, default, description, …}',
});

export const ZScriptParameters = z
  .record(z.string().regex(NAME, { error: 'parameter names are identifiers (letters, digits, _), at most 40 characters' }), ZParamSpec)
  .refine((p) => Object.keys(p).length <= MAX_PARAMETERS, { error: `at most ${MAX_PARAMETERS} parameters` })
  .superRefine((p, ctx) => {
    for (const name of Object.keys(p)) if (name in Object.prototype) ctx.addIssue({ code: 'custom', path: [name], message: `${name} is a reserved name` });
    for (const name of Object.keys(p))
      if (name in COMMON_PARAMETERS)
        ctx.addIssue({ code: 'custom', path: [name], message: `${name} is a common parameter every strategy has; do not declare it` });
  });

export const ZPlotSpec = z.strictObject({
  name: z.string().regex(NAME, { error: 'plot names are identifiers (letters, digits, _)' }),
  label: z.string().min(1).max(60),
  pane: z.string().min(1).max(40),
  style: z.enum(['line', 'histogram', 'dots']),
  color: z
    .string()
    .regex(/^(#[0-9a-fA-F]{3,8}|[a-z]{3,20})$/, { error: 'color must be #rgb, #rrggbb or a CSS colour name' })
    .optional(),
});

export const ZScriptDescription = z
  .object({
    name: z.string({ error: 'name is required' }).min(1).max(80),
    description: z.string({ error: 'description is required' }).max(500),
    parameters: ZScriptParameters,
    plots: z.array(ZPlotSpec).max(MAX_PLOTS).default([]),
    /** the warm-up in bars as an expression over the parameters (warmup.ts), e.g. 'max(fastPeriod, slowPeriod)' */
    warmup: z.string({ error: "warmup must be a string: an expression over the parameters, e.g. 'max(fastPeriod, slowPeriod)'" }).optional(),
  })
  .superRefine((d, ctx) => {
    if (d.warmup !== undefined)
      try {
        parseWarmup(d.warmup, [...Object.keys(d.parameters), ...Object.keys(COMMON_PARAMETERS)]);
      } catch (error) {
        if (!(error instanceof WarmupExpressionError)) throw error;
        ctx.addIssue({ code: 'custom', path: ['warmup'], message: error.message.replace(/^warmup: /, '') });
      }
    const seen = new Set<string>();
    d.plots.forEach((plot, k) => {
      if (seen.has(plot.name)) ctx.addIssue({ code: 'custom', path: ['plots', k, 'name'], message: `plot name ${plot.name} is used twice` });
      seen.add(plot.name);
    });
  });

export interface ScriptMeta {
  readonly name: string;
  readonly description: string;
  readonly parameters: ParamSchema;
  readonly plots: readonly PlotSpec[];
  /** the declared warm-up expression (warmup.ts); absent: not declared, the host takes 0 */
  readonly warmup?: string;
}

/** The checked description, or the issues as "path: message" lines. */
export function checkScriptDescription(value: unknown): { ok: true; meta: ScriptMeta } | { ok: false; issues: string[] } {
  const result = ZScriptDescription.safeParse(value);
  if (result.success) return { ok: true, meta: result.data as ScriptMeta };
  return { ok: false, issues: result.error.issues.map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`) };
}

/**
 * A definition the host can validate parameters with (paramsSchema, parseParams, forms): the script's declarations
 * and no code. `create` throws: a script's instances exist only in its sandbox. Cross-parameter rules (the script's
 * `validate`) run in the sandbox too.
 */
export function scriptDefinition(type: string, meta: ScriptMeta): StrategyDefinition<ParamSchema> {
  return {
    type,
    name: meta.name,
    description: meta.description,
    parameters: meta.parameters,
    plots: meta.plots,
    create: () => {
      throw new Error(`${type} is a script: it runs only in the worker's sandbox`);
    },
  };
}

/**
 * The warm-up a script declares for `params` (validated against its schema), as the host reads it without running the
 * script; 0 when it declares none, or when the expression gives no whole number for these params (the run then fails
 * in the sandbox, saying why).
 */
export function scriptWarmup(meta: ScriptMeta, params: Readonly<Record<string, unknown>>): number {
  if (meta.warmup === undefined) return 0;
  try {
    return declaredWarmup(meta.warmup, params);
  } catch (error) {
    if (error instanceof WarmupExpressionError) return 0;
    throw error;
  }
}
