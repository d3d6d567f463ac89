/**
 * Writes server/core/scripts/templates-source.ts from server/core/scripts/templates/*.ts (the script templates as
 * text, for the web app, which reads no files at run time). Run after editing a template:
 *   npx tsx server/cli/script-templates.ts && npx prettier --write server/core/scripts/templates-source.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { templateSourceModule } from './script-templates-module';

const dir = path.join(process.cwd(), 'server/core/scripts');
fs.writeFileSync(path.join(dir, 'templates-source.ts'), templateSourceModule(path.join(dir, 'templates')));
console.log('wrote server/core/scripts/templates-source.ts');
