/**
 * The editor's starting points: each built-in strategy written as a script against the SDK (templates/<type>.ts,
 * type-checked with the project; templates.test.ts proves each one backtests exactly like its built-in). The
 * sources are held here as text for the web app and the API; `npx tsx server/cli/script-templates.ts` rewrites
 * templates-source.ts from the files, and templates.test.ts fails when it is stale.
 */
import { TEMPLATE_SOURCES } from './templates-source';

export interface ScriptTemplate {
  /** the built-in strategy's type */
  readonly type: string;
  readonly source: string;
}

export const SCRIPT_TEMPLATES: readonly ScriptTemplate[] = Object.entries(TEMPLATE_SOURCES).map(([type, source]) => ({ type, source }));

export function findScriptTemplate(type: string): ScriptTemplate | null {
  return SCRIPT_TEMPLATES.find((t) => t.type === type) ?? null;
}
