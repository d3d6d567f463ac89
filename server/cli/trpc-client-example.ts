/**
 * A typed tRPC client authenticated with a platform API key (`npm run example:client`):
 * lists your strategies, runs a backtest of the first one over its stored market data, prints the
 * metrics, and follows key rotation: when a response says a successor waits, it fetches it once
 * (POST /api/v1/keys/current/rotate) and writes it to the key file.
 *
 *   CRYPTOBOT_URL=http://localhost:3000 CRYPTOBOT_API_KEY_FILE=.cryptobot-key npm run example:client
 *   (or CRYPTOBOT_API_KEY=cb_… for a key you rotate yourself)
 *
 * The key needs the `trade` scope (creating a backtest is a write); `read` suffices to list.
 */
import fs from 'node:fs';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
// eslint-disable-next-line no-restricted-imports -- types only: the example is a client of the API, as an external script would be
import type { AppRouter } from '@/server/api/root';
import { cliEnvOrExit } from '@/server/env';

const env = cliEnvOrExit('trpc-client-example', ['CRYPTOBOT_URL', 'CRYPTOBOT_API_KEY', 'CRYPTOBOT_API_KEY_FILE']);
const baseUrl = env.CRYPTOBOT_URL.replace(/\/$/, '');
const keyFile = env.CRYPTOBOT_API_KEY_FILE;
let apiKey = (env.CRYPTOBOT_API_KEY ?? (keyFile && fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8') : '')).trim();
if (!apiKey.startsWith('cb_')) {
  console.error('Set CRYPTOBOT_API_KEY=cb_… (create one on the API keys page) or CRYPTOBOT_API_KEY_FILE=<file holding it>.');
  process.exit(2);
}

let successorWaiting = false;

/** fetch that notes the rotation headers of every response. */
const observingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const expires = response.headers.get('cryptobot-key-expires');
  const rotation = response.headers.get('cryptobot-key-rotation');
  if (rotation?.startsWith('successor-pending')) successorWaiting = true;
  if (rotation === 'rotated' && expires) console.warn(`note: this key was rotated and stops at ${expires}; use its successor`);
  return response;
};

const client = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: `${baseUrl}/api/trpc`, transformer: superjson, fetch: observingFetch, headers: () => ({ authorization: `Bearer ${apiKey}` }) })],
});

/** Fetches the waiting successor once, with the old key, and switches to it. */
async function followRotation(): Promise<void> {
  if (!successorWaiting) return;
  successorWaiting = false;
  const successor = await client.keys.rotateCurrent.mutate();
  apiKey = successor.key;
  if (keyFile) {
    fs.writeFileSync(keyFile, `${successor.key}\n`, { mode: 0o600 });
    console.log(`rotated: ${successor.prefix}… written to ${keyFile} (the old key works until its grace period ends)`);
  } else {
    console.log(`rotated: the successor ${successor.prefix}… is in use for this run. Store it now, it is not shown again:\n${successor.key}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const strategies = await client.strategies.list.query({ includeArchived: false });
  await followRotation();
  console.log(`${strategies.length} strateg${strategies.length === 1 ? 'y' : 'ies'}:`);
  for (const s of strategies) console.log(`  ${s.id}  ${s.name} (${s.type}) ${s.exchange} ${s.symbol} ${s.timeframe}`);
  const strategy = strategies[0];
  if (!strategy) {
    console.log('Create a strategy first (Strategies page or POST /api/v1/strategies), then run this again.');
    return;
  }

  const series = (await client.strategies.markets.query()).find(
    (m) => m.exchange === strategy.exchange && m.symbol === strategy.symbol && m.timeframe === strategy.timeframe,
  );
  if (!series) {
    console.log(`No stored candles for ${strategy.exchange} ${strategy.symbol} ${strategy.timeframe}: import some on the Markets page first.`);
    return;
  }
  const created = await client.backtests.create.mutate({ strategyId: strategy.id, start: series.firstTime, end: series.lastTime, initialCapital: 10_000 });
  console.log(`backtest ${created.id} queued for ${strategy.name}`);
  for (;;) {
    const run = await client.backtests.get.query({ id: created.id });
    await followRotation();
    if (run.status === 'completed' || run.status === 'failed' || run.status === 'canceled') {
      if (run.status !== 'completed') {
        console.log(`backtest ${run.status}${run.error ? `: ${run.error}` : ''}`);
        process.exitCode = 1;
        return;
      }
      console.log('metrics:');
      for (const [name, value] of Object.entries(run.metrics ?? {}))
        console.log(`  ${name.padEnd(24)} ${typeof value === 'number' ? value.toFixed(4) : String(value)}`);
      return;
    }
    process.stdout.write(`\r  ${run.status} ${(run.progress * 100).toFixed(0)}%   `);
    await sleep(500);
  }
}

main().catch((error: unknown) => {
  const e = error as { message?: string; data?: { httpStatus?: number } };
  console.error(`error${e.data?.httpStatus ? ` (${e.data.httpStatus})` : ''}: ${e.message ?? String(error)}`);
  process.exit(1);
});
