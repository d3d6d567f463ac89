import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MCP_TOOLS } from '@/server/api/mcp/tools';
import { appRouter } from '@/server/api/root';
import { JSON_TEXT_CHECK, MULTI_LINE_TEXT_CHECK, SINGLE_LINE_TEXT_CHECK, safeText } from '@/server/core/text';

/**
 * The text rule (server/core/text.ts) as a failing test rather than a habit: every string field of every
 * input schema, of every tRPC procedure and of every REST route, carries safeText() or multilineText()
 * (UUIDs, enums and literals are safe by construction), and every free-form value jsonValue().
 * A new field, procedure or route without it fails here, naming the field.
 */

// String formats whose own check admits no control character or surrogate.
const SAFE_FORMATS = new Set(['uuid', 'guid']);
const TEXT_CHECKS: unknown[] = [SINGLE_LINE_TEXT_CHECK, MULTI_LINE_TEXT_CHECK];

type AnyDef = Record<string, unknown> & { type: string; checks?: unknown[] };
const isSafeFormat = (check: unknown) => {
  const def = (check as { _zod?: { def?: { check?: string; format?: string } } })._zod?.def;
  return def?.check === 'string_format' && SAFE_FORMATS.has(def.format ?? '');
};

/** Paths of the fields in `schema` that accept text without the rule. */
function unguardedFields(schema: z.core.$ZodType, at = '', seen = new Set<unknown>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  const def = schema._zod.def as unknown as AnyDef;
  const checks = def.checks ?? [];
  const inner = (key: string, where = at) => unguardedFields(def[key] as z.core.$ZodType, where, seen);
  switch (def.type) {
    case 'string':
      return SAFE_FORMATS.has(def.format as string) || checks.some((c) => TEXT_CHECKS.includes(c) || isSafeFormat(c)) ? [] : [at || '(value)'];
    case 'unknown':
    case 'any':
      return checks.includes(JSON_TEXT_CHECK) ? [] : [`${at || '(value)'} (free-form: use jsonValue())`];
    case 'object': {
      const shape = def.shape as Record<string, z.core.$ZodType>;
      const fields = Object.entries(shape).flatMap(([key, value]) => unguardedFields(value, at ? `${at}.${key}` : key, seen));
      const catchall = def.catchall as z.core.$ZodType | undefined;
      return catchall && catchall._zod.def.type !== 'never' ? [...fields, ...inner('catchall', `${at}.*`)] : fields;
    }
    case 'array':
      return inner('element', `${at}[]`);
    case 'record':
      return [...inner('keyType', `${at}{key}`), ...inner('valueType', `${at}{value}`)];
    case 'tuple':
      return [
        ...(def.items as z.core.$ZodType[]).flatMap((item, i) => unguardedFields(item, `${at}[${i}]`, seen)),
        ...(def.rest ? inner('rest', `${at}[...]`) : []),
      ];
    case 'union':
      return (def.options as z.core.$ZodType[]).flatMap((option) => unguardedFields(option, at, seen));
    case 'intersection':
      return [...inner('left'), ...inner('right')];
    case 'pipe':
      return [...inner('in'), ...inner('out')];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return inner('innerType');
    case 'lazy':
      return unguardedFields((def.getter as () => z.core.$ZodType)(), at, seen);
    case 'transform':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'date':
    case 'enum':
    case 'literal':
    case 'null':
    case 'undefined':
    case 'never':
    case 'nan':
      return [];
    default:
      return [`${at || '(value)'} (a ${def.type} schema this test does not know: teach unguardedFields)`];
  }
}

describe('the walker itself', () => {
  it('finds a plain string, a free-form value and a record key, and accepts the guarded forms', () => {
    const schema = z.object({
      a: z.string(),
      b: z.array(z.object({ c: z.string().optional() })),
      d: z.record(z.string(), z.number()),
      e: z.unknown(),
      ok: safeText().max(3),
      id: z.uuid(),
      id2: z.string().uuid(),
      re: z.string().regex(/^a$/),
    });
    expect(unguardedFields(schema)).toEqual(['a', 'b[].c', 'd{key}', 'e (free-form: use jsonValue())', 're']);
  });
});

describe('every tRPC procedure', () => {
  const procedures = Object.entries(
    (appRouter as unknown as { _def: { procedures: Record<string, { _def: { inputs: z.core.$ZodType[] } }> } })._def.procedures,
  );

  it('is found (the router is walked, not a list)', () => {
    expect(procedures.length, 'procedures in appRouter').toBeGreaterThan(50);
  });

  it.each(procedures.map(([name, procedure]) => [name, procedure] as const))('%s: every text field carries the text rule', (_name, procedure) => {
    expect(procedure._def.inputs.flatMap((input) => unguardedFields(input))).toEqual([]);
  });
});

// REST: the schemas every route handler hands to readJson, readOptionalJson or parseInput, found in the
// route files' source and resolved through their imports.
const ROOT = path.resolve(import.meta.dirname, '../..');
function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === 'route.ts' ? [full] : [];
  });
}
const REST_ROUTES = routeFiles(path.join(ROOT, 'app/api/v1')).map((file) => path.relative(ROOT, file));

function importsOf(source: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    for (const part of match[1]!.split(',')) {
      const [imported, local] = part.trim().split(/\s+as\s+/);
      if (imported) names.set((local ?? imported).trim(), `${match[2]}#${imported.trim()}`);
    }
  }
  return names;
}

describe('every REST route', () => {
  it('is found', () => {
    expect(REST_ROUTES.length, 'route files under app/api/v1').toBeGreaterThan(30);
  });

  it.each(REST_ROUTES)('%s reads bodies only through readJson/readOptionalJson (size limit, media type, text rule)', (file) => {
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    expect(source, 'no direct body reads').not.toMatch(/\breq(uest)?\.(json|text|formData|arrayBuffer|blob|body)\b/);
    expect(source, 'every handler goes through withUser or withPublic').not.toMatch(/export\s+(async\s+)?function\s+(GET|POST|PUT|PATCH|DELETE)\b/);
  });

  it.each(REST_ROUTES)('%s: every schema it validates with carries the text rule', async (file) => {
    const source = readFileSync(path.join(ROOT, file), 'utf8');
    const imports = importsOf(source);
    const used = [...source.matchAll(/\b(?:readJson|readOptionalJson)\(\s*\w+\s*,\s*([\w.]+)|\bparseInput\(\s*([\w.]+)/g)].map((m) => (m[1] ?? m[2])!);
    for (const name of used) {
      const from = imports.get(name);
      expect(from, `${file}: ${name} must be a schema imported by name (from server/api/schemas or a router)`).toBeDefined();
      const [specifier, exported] = from!.split('#') as [string, string];
      const schema = (await import(/* @vite-ignore */ specifier))[exported] as z.core.$ZodType;
      expect(schema?._zod, `${file}: ${name} is a zod schema`).toBeDefined();
      expect(unguardedFields(schema), `${file}: fields of ${name} without the text rule`).toEqual([]);
    }
  });
});

describe('every MCP tool', () => {
  it.each(MCP_TOOLS.map((tool) => [tool.name, tool] as const))('%s: every text field of its input carries the text rule', (_name, tool) => {
    expect(unguardedFields(tool.input)).toEqual([]);
  });
});
