/**
 * Scripts as data (#19): a user's scripts and their immutable versions. Saving compiles (esbuild) and checks the
 * declarations statically (static-check.ts) — safe in the web app, which never runs a script; running happens in
 * the worker's sandbox (run.ts). A script is private to its owner; a published version is readable by every user,
 * who may clone it. Every query is scoped by the user: another user's unpublished script is NOT_FOUND.
 */
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, isNotNull, max, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { scripts, scriptVersions, type ScriptVersionMeta } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { scriptDefinition, type ScriptMeta } from '@/server/core/scripts/description';
import { parseScriptType, scriptType } from '@/server/core/scripts/script-type';
import { findScriptTemplate, SCRIPT_TEMPLATES, type ScriptTemplate } from '@/server/core/scripts/templates';
import type { ParamSchema, StrategyDefinition } from '@/server/core/strategies/types';
import { compileScript, type ScriptDiagnostic } from './compile';
import { checkScriptSource } from './static-check';

type ScriptRow = typeof scripts.$inferSelect;
type VersionRow = typeof scriptVersions.$inferSelect;

export interface ScriptVersionView {
  version: number;
  /** the strategy type that runs this version */
  type: string;
  hash: string;
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  plots: Array<Record<string, unknown>>;
  source: string;
  publishedAt: string | null;
  createdAt: string;
}

export interface ScriptView {
  id: string;
  name: string;
  /** the viewer owns it (may save versions and publish); otherwise it is someone's published script, read-only */
  owned: boolean;
  clonedFrom: string | null;
  createdAt: string;
  updatedAt: string;
  /** newest first; another user sees published versions only */
  versions: ScriptVersionView[];
}

export interface ScriptSummaryView {
  id: string;
  name: string;
  owned: boolean;
  latestVersion: number | null;
  updatedAt: string;
}

export interface SavedVersionView {
  version: number;
  type: string;
  hash: string;
  parameters: Record<string, unknown>;
  plots: Array<Record<string, unknown>>;
}

export function listScriptTemplates(): readonly ScriptTemplate[] {
  return SCRIPT_TEMPLATES;
}

export function getScriptTemplate(type: string): ScriptTemplate {
  const template = findScriptTemplate(type);
  if (!template) throw AppError.notFound('template');
  return template;
}

export function sourceHash(source: string): string {
  return createHash('sha256').update(source, 'utf8').digest('hex');
}

function versionView(row: VersionRow): ScriptVersionView {
  return {
    version: row.version,
    type: scriptType(row.scriptId, row.version),
    hash: row.hash,
    name: row.meta.name,
    description: row.meta.description,
    parameters: row.meta.parameters,
    plots: row.meta.plots,
    source: row.source,
    publishedAt: row.publishedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function createScriptForUser(db: DbOrTx, userId: string, input: { name: string }): Promise<ScriptView> {
  const [row] = await db.insert(scripts).values({ userId, name: input.name }).returning();
  return { ...scriptHead(row!, userId), versions: [] };
}

function scriptHead(row: ScriptRow, userId: string): Omit<ScriptView, 'versions'> {
  return {
    id: row.id,
    name: row.name,
    owned: row.userId === userId,
    clonedFrom: row.clonedFrom,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The user's scripts (`published`: every user's scripts with a published version, the user's own included). */
export async function listScriptsForUser(db: DbOrTx, userId: string, options: { published?: boolean } = {}): Promise<ScriptSummaryView[]> {
  const visible = options.published ? isNotNull(scriptVersions.publishedAt) : eq(scriptVersions.userId, userId);
  const latest = db
    .select({ scriptId: scriptVersions.scriptId, latest: max(scriptVersions.version).as('latest') })
    .from(scriptVersions)
    .where(visible)
    .groupBy(scriptVersions.scriptId)
    .as('latest');
  const rows = await db
    .select({ script: scripts, latest: latest.latest })
    .from(scripts)
    .leftJoin(latest, eq(latest.scriptId, scripts.id))
    .where(options.published ? isNotNull(latest.latest) : eq(scripts.userId, userId))
    .orderBy(desc(scripts.updatedAt))
    .limit(500);
  return rows.map(({ script, latest: version }) => ({
    id: script.id,
    name: script.name,
    owned: script.userId === userId,
    latestVersion: version ?? null,
    updatedAt: script.updatedAt.toISOString(),
  }));
}

/** A script the user owns, or NOT_FOUND. */
async function ownScript(db: DbOrTx, userId: string, id: string): Promise<ScriptRow> {
  const [row] = await db
    .select()
    .from(scripts)
    .where(and(eq(scripts.id, id), eq(scripts.userId, userId)));
  if (!row) throw AppError.notFound('script');
  return row;
}

/** The versions of `scriptId` the user may read: all of their own script's, only the published ones of another's. */
function readable(userId: string) {
  return or(eq(scriptVersions.userId, userId), isNotNull(scriptVersions.publishedAt));
}

export async function getScriptForUser(db: DbOrTx, userId: string, id: string): Promise<ScriptView> {
  const [row] = await db.select().from(scripts).where(eq(scripts.id, id));
  const versions = row
    ? await db
        .select()
        .from(scriptVersions)
        .where(and(eq(scriptVersions.scriptId, id), readable(userId)))
        .orderBy(desc(scriptVersions.version))
    : [];
  // Another user's script exists for this user only through a published version.
  if (!row || (row.userId !== userId && versions.length === 0)) throw AppError.notFound('script');
  return { ...scriptHead(row, userId), versions: versions.map(versionView) };
}

/** A save that does not compile or check: 422 with the diagnostics (line, column, message) for the editor. */
export class ScriptDiagnosticsError extends AppError {
  constructor(readonly diagnostics: ScriptDiagnostic[]) {
    super('UNPROCESSABLE', `the script has ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}: ${diagnostics[0]?.message ?? ''}`, {
      diagnostics,
      fields: diagnostics.map((d) => ({ field: 'source', message: `${d.line}:${d.column} ${d.message}` })),
    });
  }
}

/** Compiles and checks `source`: the compiled JavaScript and the declarations, or ScriptDiagnosticsError. */
export async function checkScript(source: string): Promise<{ compiled: string; meta: ScriptMeta }> {
  const compiled = await compileScript(source);
  if (!compiled.ok) throw new ScriptDiagnosticsError(compiled.diagnostics);
  const checked = checkScriptSource(source);
  if (!checked.ok) throw new ScriptDiagnosticsError(checked.diagnostics);
  return { compiled: compiled.js, meta: checked.meta };
}

/** Saves `source` as the script's next version (immutable); 422 with diagnostics when it does not check. */
export async function addScriptVersion(db: DbOrTx, userId: string, id: string, source: string): Promise<SavedVersionView> {
  await ownScript(db, userId, id);
  const { compiled, meta } = await checkScript(source);
  const row = await insertVersion(db, userId, id, { source, compiled, meta: meta as unknown as ScriptVersionMeta, hash: sourceHash(source) });
  await db
    .update(scripts)
    .set({ updatedAt: sql`now()` })
    .where(and(eq(scripts.id, id), eq(scripts.userId, userId)));
  return { version: row.version, type: scriptType(id, row.version), hash: row.hash, parameters: row.meta.parameters, plots: row.meta.plots };
}

async function insertVersion(
  db: DbOrTx,
  userId: string,
  scriptId: string,
  value: { source: string; compiled: string; meta: ScriptVersionMeta; hash: string },
): Promise<VersionRow> {
  // The next number in the insert itself; two saves racing for the same number: the loser is a 409, never a duplicate.
  try {
    const [row] = await db
      .insert(scriptVersions)
      .values({
        scriptId,
        userId,
        version: sql`(select coalesce(max(${scriptVersions.version}), 0) + 1 from ${scriptVersions} where ${scriptVersions.scriptId} = ${scriptId})`,
        ...value,
      })
      .returning();
    return row!;
  } catch (error) {
    if ((error as { code?: string }).code === '23505' || (error as { cause?: { code?: string } }).cause?.code === '23505')
      throw new AppError('CONFLICT', 'another version of this script was saved at the same time; save again');
    throw error;
  }
}

/** Publishes a version read-only to every user (once; publishing again changes nothing). */
export async function publishScriptVersion(db: DbOrTx, userId: string, id: string, version: number): Promise<ScriptVersionView> {
  await ownScript(db, userId, id);
  const [row] = await db
    .update(scriptVersions)
    .set({ publishedAt: sql`coalesce(${scriptVersions.publishedAt}, now())` })
    .where(and(eq(scriptVersions.scriptId, id), eq(scriptVersions.version, version), eq(scriptVersions.userId, userId)))
    .returning();
  if (!row) throw AppError.notFound('script version');
  return versionView(row);
}

/** A version the user may read (their own, or published), or NOT_FOUND. */
async function readableVersion(db: DbOrTx, userId: string, scriptId: string, version: number | null): Promise<VersionRow> {
  const [row] = await db
    .select()
    .from(scriptVersions)
    .where(and(eq(scriptVersions.scriptId, scriptId), readable(userId), version === null ? undefined : eq(scriptVersions.version, version)))
    .orderBy(desc(scriptVersions.version))
    .limit(1);
  if (!row) throw AppError.notFound(version === null ? 'script' : 'script version');
  return row;
}

/** Copies a readable version (the latest readable one when `version` is null) into a new script of the user's, as its version 1. */
export async function cloneScriptForUser(db: DbOrTx, userId: string, id: string, input: { version?: number; name?: string }): Promise<ScriptView> {
  const source = await readableVersion(db, userId, id, input.version ?? null);
  const [original] = await db.select({ name: scripts.name }).from(scripts).where(eq(scripts.id, id));
  const [row] = await db
    .insert(scripts)
    .values({ userId, name: input.name ?? `${original?.name ?? 'script'} (copy)`, clonedFrom: scriptType(id, source.version) })
    .returning();
  const copy = await insertVersion(db, userId, row!.id, { source: source.source, compiled: source.compiled, meta: source.meta, hash: source.hash });
  return { ...scriptHead(row!, userId), versions: [versionView(copy)] };
}

/** What the worker runs for a strategy of type script:<id>@<version>, if the user may read that version. */
export interface RunnableScript {
  readonly type: string;
  readonly compiled: string;
  readonly hash: string;
  readonly meta: ScriptMeta;
  readonly definition: StrategyDefinition<ParamSchema>;
}

export async function runnableScript(db: DbOrTx, userId: string, type: string): Promise<RunnableScript> {
  const parsed = parseScriptType(type);
  if (!parsed) throw AppError.validation([{ field: 'type', message: `"${type}" is not a script version (script:<scriptId>@<version>)` }]);
  const [row] = await db
    .select()
    .from(scriptVersions)
    .where(and(eq(scriptVersions.scriptId, parsed.scriptId), eq(scriptVersions.version, parsed.version), readable(userId)))
    .orderBy(asc(scriptVersions.version));
  if (!row)
    throw AppError.validation([
      { field: 'type', message: `script version ${type} not found (a script is private to its owner unless the version is published)` },
    ]);
  const meta = row.meta as unknown as ScriptMeta;
  return { type, compiled: row.compiled, hash: row.hash, meta, definition: scriptDefinition(type, meta) };
}
