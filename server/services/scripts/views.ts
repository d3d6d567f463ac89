import { z } from 'zod';

/** What the API answers about scripts; the tRPC procedures' `.output()` and REST's `reply` check against these. */
export const ZScriptDiagnosticSchema = z.object({ line: z.number().int(), column: z.number().int(), message: z.string() });

export const ZScriptTemplateResponseSchema = z.object({ type: z.string(), source: z.string() });

export const ZScriptVersionResponseSchema = z.object({
  version: z.number().int(),
  type: z.string(),
  hash: z.string(),
  name: z.string(),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  plots: z.array(z.record(z.string(), z.unknown())),
  source: z.string(),
  publishedAt: z.string().nullable(),
  createdAt: z.string(),
});

export const ZScriptResponseSchema = z.object({
  id: z.string(),
  name: z.string(),
  owned: z.boolean(),
  clonedFrom: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  versions: z.array(ZScriptVersionResponseSchema),
});

export const ZScriptSummaryResponseSchema = z.object({
  id: z.string(),
  name: z.string(),
  owned: z.boolean(),
  latestVersion: z.number().int().nullable(),
  updatedAt: z.string(),
});

export const ZSavedScriptVersionResponseSchema = z.object({
  version: z.number().int(),
  type: z.string(),
  hash: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  plots: z.array(z.record(z.string(), z.unknown())),
});
