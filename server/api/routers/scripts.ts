import { z } from 'zod';
import {
  ZCloneScriptRequestSchema,
  ZCreateScriptRequestSchema,
  ZSavedScriptVersionResponseSchema,
  ZSaveScriptVersionRequestSchema,
  ZScriptDiagnosticSchema,
  ZScriptListResponseSchema,
  ZScriptResponseSchema,
  ZScriptTemplateListResponseSchema,
  ZScriptTemplateResponseSchema,
  ZScriptVersionNumber,
  ZScriptVersionResponseSchema,
} from '@/server/api/schemas/scripts';
import { ZId } from '@/server/api/schemas/strategies';
import { SDK_DECLARATION_FILES, SDK_TYPES_ROOT } from '@/server/core/scripts/sdk-types-source';
import { safeText } from '@/server/core/text';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import {
  addScriptVersion,
  cloneScriptForUser,
  createScriptForUser,
  getScriptForUser,
  getScriptTemplate,
  listScriptsForUser,
  listScriptTemplates,
  publishScriptVersion,
  ScriptDiagnosticsError,
} from '@/server/services/scripts/scripts';

export const scriptsRouter = createTRPCRouter({
  /** The SDK's type declarations by path under `root`, for the editor's TypeScript (completions, inline errors). */
  sdkTypes: protectedProcedure
    .output(z.object({ root: z.string(), files: z.record(z.string(), z.string()) }))
    .query(() => ({ root: SDK_TYPES_ROOT, files: { ...SDK_DECLARATION_FILES } })),

  templates: protectedProcedure.output(ZScriptTemplateListResponseSchema).query(() => [...listScriptTemplates()]),

  template: protectedProcedure
    .input(z.object({ type: safeText().max(64) }))
    .output(ZScriptTemplateResponseSchema)
    .query(({ input }) => getScriptTemplate(input.type)),

  list: protectedProcedure
    .input(z.object({ published: z.boolean().default(false) }).default({ published: false }))
    .output(ZScriptListResponseSchema)
    .query(({ ctx, input }) => listScriptsForUser(ctx.db, ctx.user.id, input)),

  get: protectedProcedure
    .input(z.object({ id: ZId }))
    .output(ZScriptResponseSchema)
    .query(({ ctx, input }) => getScriptForUser(ctx.db, ctx.user.id, input.id)),

  create: protectedProcedure
    .input(ZCreateScriptRequestSchema)
    .output(ZScriptResponseSchema)
    .mutation(({ ctx, input }) => createScriptForUser(ctx.db, ctx.user.id, input)),

  /** A save answers its diagnostics as data (the editor marks them), not as an error. */
  saveVersion: protectedProcedure
    .input(ZSaveScriptVersionRequestSchema.extend({ id: ZId }))
    .output(z.union([z.object({ saved: ZSavedScriptVersionResponseSchema }), z.object({ diagnostics: z.array(ZScriptDiagnosticSchema) })]))
    .mutation(async ({ ctx, input }) => {
      try {
        return { saved: await addScriptVersion(ctx.db, ctx.user.id, input.id, input.source) };
      } catch (error) {
        if (error instanceof ScriptDiagnosticsError) return { diagnostics: error.diagnostics };
        throw error;
      }
    }),

  publish: protectedProcedure
    .input(z.object({ id: ZId, version: ZScriptVersionNumber }))
    .output(ZScriptVersionResponseSchema)
    .mutation(({ ctx, input }) => publishScriptVersion(ctx.db, ctx.user.id, input.id, input.version)),

  clone: protectedProcedure
    .input(ZCloneScriptRequestSchema.extend({ id: ZId }))
    .output(ZScriptResponseSchema)
    .mutation(({ ctx, input }) => cloneScriptForUser(ctx.db, ctx.user.id, input.id, input)),
});
