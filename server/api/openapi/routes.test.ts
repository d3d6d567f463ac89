import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as accounts from '@/server/api/schemas/accounts';
import * as audit from '@/server/api/schemas/audit';
import * as auth from '@/server/api/schemas/auth';
import * as backtests from '@/server/api/schemas/backtests';
import * as deployments from '@/server/api/schemas/deployments';
import * as invites from '@/server/api/schemas/invites';
import * as keys from '@/server/api/schemas/keys';
import * as killSwitch from '@/server/api/schemas/kill-switch';
import * as marketData from '@/server/api/schemas/market-data';
import * as notifications from '@/server/api/schemas/notifications';
import * as orders from '@/server/api/schemas/orders';
import * as portfolio from '@/server/api/schemas/portfolio';
import * as robustness from '@/server/api/schemas/robustness';
import * as scripts from '@/server/api/schemas/scripts';
import * as signals from '@/server/api/schemas/signals';
import * as strategies from '@/server/api/schemas/strategies';
import { openApiDocument } from './document';
import * as contractModule from './routes';
import { ROUTES, type RouteContract } from './routes';

const SCHEMA_MODULES: Record<string, Record<string, unknown>> = {
  accounts,
  audit,
  auth,
  backtests,
  deployments,
  invites,
  keys,
  'kill-switch': killSwitch,
  'market-data': marketData,
  notifications,
  orders,
  portfolio,
  robustness,
  scripts,
  signals,
  strategies,
};

const V1 = path.join(process.cwd(), 'app/api/v1');

/** Every route.ts under app/api/v1 with its URL path (`[id]` → `{id}`) and source. */
function routeFiles(): { file: string; path: string; source: string }[] {
  const found: { file: string; path: string; source: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === 'route.ts') {
        const segments = path.relative(V1, dir).split(path.sep).filter(Boolean);
        found.push({
          file: path.relative(process.cwd(), full),
          path: `/api/v1/${segments.map((s) => s.replace(/^\[(.+)\]$/, '{$1}')).join('/')}`,
          source: fs.readFileSync(full, 'utf8'),
        });
      }
    }
  };
  walk(V1);
  return found;
}

/** The source of each exported HTTP method's handler (up to the next export). */
function handlers(source: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const starts = [...source.matchAll(/^export const (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b/gm)];
  // Comment lines go: the next handler's heading comment sits at the end of the block before it.
  starts.forEach((match, i) => blocks.set(match[1]!, source.slice(match.index, starts[i + 1]?.index ?? source.length).replace(/^\s*\/\/.*$/gm, '')));
  return blocks;
}

/** Names imported from server/api/schemas/* → the schema objects. */
function importedSchemas(source: string): Map<string, unknown> {
  const names = new Map<string, unknown>();
  for (const match of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@\/server\/api\/(schemas\/[\w-]+|openapi\/routes)'/g)) {
    const module: Record<string, unknown> | undefined = match[2] === 'openapi/routes' ? contractModule : SCHEMA_MODULES[match[2]!.slice('schemas/'.length)];
    for (const name of match[1]!
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean))
      names.set(name, module?.[name]);
  }
  return names;
}

const contractOf = (method: string, routePath: string) => ROUTES.find((r) => r.method === method.toLowerCase() && r.path === routePath);

describe('the REST contract (server/api/openapi/routes.ts)', () => {
  const files = routeFiles();

  it('lists every route file and exported method under app/api/v1, and nothing else', () => {
    expect(files.length, 'the walk found the route files').toBeGreaterThan(50);
    const declared = files.flatMap((f) => [...handlers(f.source).keys()].map((method) => `${method} ${f.path}`));
    const missing = declared.filter((entry) => !contractOf(entry.split(' ')[0]!, entry.split(' ')[1]!));
    expect(missing, 'routes without a contract entry (add them to server/api/openapi/routes.ts)').toEqual([]);
    const stale = ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`).filter((entry) => !declared.includes(entry));
    expect(stale, 'contract entries without a route').toEqual([]);
    expect(new Set(ROUTES.map((r) => `${r.method} ${r.path}`)).size, 'no route declared twice').toBe(ROUTES.length);
  });

  it('puts every route and method in the OpenAPI document', () => {
    const document = openApiDocument();
    const missing = files.flatMap((f) =>
      [...handlers(f.source).keys()].filter((method) => !document.paths?.[f.path]?.[method.toLowerCase() as 'get']).map((method) => `${method} ${f.path}`),
    );
    expect(missing).toEqual([]);
  });

  it('names the schemas each handler validates with, so the document cannot drift from the code', () => {
    const drift: string[] = [];
    for (const file of files) {
      const schemas = importedSchemas(file.source);
      for (const [method, block] of handlers(file.source)) {
        const contract = contractOf(method, file.path) as RouteContract;
        const where = `${method} ${file.path}`;
        const resolve = (name: string) => schemas.get(name) as z.ZodType | undefined;
        const used = (pattern: RegExp) => [...block.matchAll(pattern)].map((m) => m[1]!);
        const answers = used(/reply\(\s*(Z\w+)/g);
        for (const name of answers) {
          if (!Object.values(contract.responses).some((r) => r?.schema === resolve(name))) drift.push(`${where}: answers with ${name}, not in the contract`);
        }
        if (!answers.length) drift.push(`${where}: no reply(schema, …) found`);
        const bodies = used(/read(?:Optional)?Json\(\s*[\w.]+,\s*(Z\w+)/g);
        if (contract.bodyReadAsText) {
          if (bodies.length || !/handleSignal\(/.test(block)) drift.push(`${where}: a body read as text goes to the signal service`);
        } else if (bodies.length !== (contract.body ? 1 : 0) || (bodies[0] && resolve(bodies[0]) !== contract.body))
          drift.push(`${where}: body ${bodies.join() || 'none'} ≠ contract`);
        if (/readOptionalJson/.test(block) !== !!contract.bodyOptional) drift.push(`${where}: optional body ≠ contract`);
        const queries = used(/parseInput\(\s*(Z\w+),\s*searchParams/g);
        if (queries.length !== (contract.query ? 1 : 0) || (queries[0] && resolve(queries[0]) !== contract.query))
          drift.push(`${where}: query ${queries.join() || 'none'} ≠ contract`);
        for (const [, name, member] of block.matchAll(/parseInput\(\s*(Z\w+),\s*(?:ctx\.)?params(?:\.(\w+))?/g)) {
          const declared = member ? contract.params?.shape[member] : contract.params;
          if (resolve(name!) !== declared) drift.push(`${where}: params ${name} ≠ contract`);
        }
        if (/\{\w+\}/.test(file.path) && !contract.params) drift.push(`${where}: a path parameter the contract does not declare`);
        const statuses = used(/\b(201|202)\b/g);
        for (const status of statuses) if (!(status in contract.responses)) drift.push(`${where}: answers ${status}, not in the contract`);
        if (!statuses.length && !(200 in contract.responses)) drift.push(`${where}: answers 200, not in the contract`);
        const access =
          /admin: true/.test(block.split(/\n\);?\s*$/)[0]!) || /\{\s*admin: true\s*\}\s*,?\s*\n?\);?\s*$/.test(block)
            ? 'admin'
            : /withPublic/.test(block)
              ? 'public'
              : /scope: 'read'/.test(block)
                ? 'read'
                : 'user';
        if (access !== contract.access && !(access === 'admin' && /assertAllowed/.test(block)))
          drift.push(`${where}: access ${access} ≠ contract ${contract.access}`);
      }
    }
    expect(drift).toEqual([]);
  });
});
