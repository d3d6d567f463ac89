import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The command-line tools validate what they read through server/env.ts: a bad value exits 1 with a line naming it. */
function run(script: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { PATH: process.env.PATH ?? '', ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('command-line tools refuse a bad configuration', () => {
  it('db:migrate without DATABASE_URL', async () => {
    const { code, output } = await run('server/cli/db-migrate.ts', {});
    expect(code, output).toBe(1);
    expect(output.trim()).toBe('db:migrate: DATABASE_URL is required but not set');
  });

  it('db:seed with a DATABASE_URL that is not a URL', async () => {
    const { code, output } = await run('server/cli/db-seed.ts', { DATABASE_URL: 'localhost/cryptobot' });
    expect(code, output).toBe(1);
    expect(output.trim()).toBe('db:seed: DATABASE_URL must be a postgres:// URL');
  });

  it('the tRPC client example with a CRYPTOBOT_URL that is not a URL', async () => {
    const { code, output } = await run('server/cli/trpc-client-example.ts', { CRYPTOBOT_URL: 'localhost:3000', CRYPTOBOT_API_KEY: 'cb_x' });
    expect(code, output).toBe(1);
    expect(output.trim()).toMatch(/^trpc-client-example: CRYPTOBOT_URL must be the web app URL/);
  });
});
