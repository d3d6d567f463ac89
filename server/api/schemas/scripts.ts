import { z } from 'zod';
import { multilineText, safeText } from '@/server/core/text';
import { MAX_SCRIPT_BYTES } from '@/server/services/scripts/compile';
import {
  ZSavedScriptVersionResponseSchema,
  ZScriptDiagnosticSchema,
  ZScriptResponseSchema,
  ZScriptSummaryResponseSchema,
  ZScriptTemplateResponseSchema,
  ZScriptVersionResponseSchema,
} from '@/server/services/scripts/views';

/** Shared by the REST handlers, the tRPC procedures and the editor. */
export const ZScriptName = safeText({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'is required' })
  .max(100, { error: 'must be at most 100 characters' });

/** TypeScript source; compiled and checked by the service (422 with diagnostics). Tabs and newlines allowed. */
export const ZScriptSource = multilineText({ error: 'must be a string of TypeScript' })
  .min(1, { error: 'is required' })
  .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_SCRIPT_BYTES, { error: `must be at most ${MAX_SCRIPT_BYTES} bytes` });

export const ZScriptVersionNumber = z
  .number({ error: 'must be a version number' })
  .int({ error: 'must be an integer' })
  .min(1, { error: 'must be at least 1' });

export const ZCreateScriptRequestSchema = z.object({ name: ZScriptName }).strict();
export const ZSaveScriptVersionRequestSchema = z.object({ source: ZScriptSource }).strict();
export const ZCloneScriptRequestSchema = z.object({ version: ZScriptVersionNumber.optional(), name: ZScriptName.optional() }).strict();
export const ZListScriptsQuerySchema = z
  .object({
    published: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .optional()
      .transform((v) => v === 'true'),
  })
  .strict();

/** A path version number, or NOT_FOUND. */
export function pathVersion(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^[1-9][0-9]{0,8}$/.test(text) ? Number(text) : null;
}

export const ZScriptTemplateListResponseSchema = z.array(ZScriptTemplateResponseSchema);
export const ZScriptListResponseSchema = z.array(ZScriptSummaryResponseSchema);
export {
  ZSavedScriptVersionResponseSchema,
  ZScriptDiagnosticSchema,
  ZScriptResponseSchema,
  ZScriptSummaryResponseSchema,
  ZScriptTemplateResponseSchema,
  ZScriptVersionResponseSchema,
};
