// npm run data:import -- FILE --exchange ID --symbol BASE/QUOTE --timeframe TF
// Imports a candle file (ccxt JSON arrays, objects JSON or CSV) into DATABASE_URL; prints counts,
// rejected rows and gaps. Exit code 1 on a usage or file error.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDatabase } from '@/db/client';
import { cliEnvOrExit } from '@/server/env';
import { AppError } from '@/server/core/errors';
import { importCandleFile } from '@/server/services/market-data/ingest';

const USAGE = 'usage: npm run data:import -- FILE --exchange ID --symbol BASE/QUOTE --timeframe TF [--base-asset BTC] [--confirm]';

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1]!.startsWith('--')));
  const exchange = option(args, '--exchange');
  const symbol = option(args, '--symbol');
  const timeframe = option(args, '--timeframe');
  if (!file || !exchange || !symbol || !timeframe) {
    console.error(USAGE);
    return 1;
  }
  const { DATABASE_URL: url } = cliEnvOrExit('data:import', ['DATABASE_URL']);
  let text: string;
  try {
    text = readFileSync(path.resolve(file), 'utf8');
  } catch {
    console.error(`data:import: cannot read ${path.resolve(file)}`);
    return 1;
  }
  const database = createDatabase(url, { max: 2, applicationName: 'cryptobot-data-import' });
  try {
    const started = Date.now();
    const baseAsset = option(args, '--base-asset');
    const result = await importCandleFile(database.db, { exchange, symbol, timeframe }, text, {
      ...(baseAsset ? { baseAsset } : {}),
      confirm: args.includes('--confirm'),
    });
    const timeOrDash = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
    console.log(`${path.basename(file)} → ${exchange} ${symbol} ${timeframe} (${result.format}, ${Date.now() - started} ms)`);
    console.log(`  accepted ${result.accepted}: inserted ${result.inserted}, updated ${result.updated}, unchanged ${result.unchanged}`);
    console.log(`  span ${timeOrDash(result.firstMs)} → ${timeOrDash(result.lastMs)}`);
    console.log(`  rejected ${result.rejected.length}${result.rejected.length > 0 ? ' (index = JSON element or 0-based CSV line):' : ''}`);
    for (const r of result.rejected.slice(0, 50)) console.log(`    ${r.index}: ${r.reason}`);
    if (result.rejected.length > 50) console.log(`    … and ${result.rejected.length - 50} more`);
    const missing = result.gaps.reduce((sum, g) => sum + g.missing, 0);
    console.log(`  gaps ${result.gaps.length} (${missing} candles missing inside the file's span)`);
    for (const g of result.gaps.slice(0, 50)) console.log(`    ${timeOrDash(g.from)} → ${timeOrDash(g.to)}: ${g.missing} missing`);
    if (result.gaps.length > 50) console.log(`    … and ${result.gaps.length - 50} more`);
    return 0;
  } catch (error) {
    if (error instanceof AppError) {
      console.error(`data:import: ${error.message}${error.code === 'CONFLICT' ? ' (--confirm)' : ''}`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`data:import: ${(error as Error).message}`);
    process.exit(1);
  },
);
