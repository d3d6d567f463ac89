/**
 * Writes server/core/scripts/sdk-types-source.ts: the SDK's type declarations as text, which the script editor loads
 * into Monaco (completions, inline type errors). Run after changing anything the SDK exports:
 *   npx tsx server/cli/script-sdk-types.ts && npx prettier --write server/core/scripts/sdk-types-source.ts
 * script-sdk-types.test.ts fails while the file is stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sdkTypesSourceModule } from './script-sdk-types-module';

const target = path.join(process.cwd(), 'server/core/scripts/sdk-types-source.ts');
fs.writeFileSync(target, sdkTypesSourceModule(process.cwd()));
console.log('wrote server/core/scripts/sdk-types-source.ts');
