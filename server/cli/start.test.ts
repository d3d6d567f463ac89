import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The launcher's refusals: one line saying what is wrong and how to fix it, and a non-zero exit. */
function runStart(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/start.ts', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('npm start refuses to run', () => {
  let blocker: net.Server;
  let busyPort: number;
  let freePort: string;
  beforeAll(async () => {
    blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, () => r()));
    busyPort = (blocker.address() as net.AddressInfo).port;
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, () => r()));
    freePort = String((probe.address() as net.AddressInfo).port);
    await new Promise<void>((r) => probe.close(() => r()));
  });
  afterAll(() => new Promise<void>((r) => blocker.close(() => r())));

  it('when the port is in use', async () => {
    const { code, output } = await runStart({ PORT: String(busyPort), DATABASE_URL: 'postgres://x@127.0.0.1:1/x' });
    expect(code).toBe(1);
    expect(output).toContain(`port ${busyPort} is already in use`);
    expect(output).toContain(`PORT=${busyPort + 1} npm start`);
  });

  it('when the database is unreachable', async () => {
    const { code, output } = await runStart({ PORT: freePort, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/cryptobot' });
    expect(code).toBe(1);
    expect(output).toMatch(/error: cannot reach PostgreSQL at 127\.0\.0\.1:1 \(connection refused\)/);
  });

  it('when production secrets are missing', async () => {
    const { code, output } = await runStart({ PORT: freePort, DATABASE_URL: process.env.DATABASE_URL! });
    expect(code).toBe(1);
    expect(output).toContain('NEXTAUTH_SECRET is required but not set');
    expect(output).toContain('CRYPTOBOT_MASTER_KEY is required but not set');
  });

  it.each([
    ['LOG_LEVEL', 'loud', 'must be one of fatal, error, warn, info'],
    ['CRYPTOBOT_REGISTRATION', 'maybe', 'must be open, invite or closed'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', 'abc', 'must be a whole number of milliseconds'],
    ['API_KEY_GRACE_DAYS', '99', 'must be between 0 and 30 days'],
    ['PORT', 'eighty', 'must be a port number'],
  ])('when %s=%s, with one line naming it', async (name, value, message) => {
    const secrets = { NEXTAUTH_SECRET: 's'.repeat(48), CRYPTOBOT_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
    const { code, output } = await runStart({ PORT: freePort, DATABASE_URL: process.env.DATABASE_URL!, ...secrets, [name]: value });
    expect(code, output).toBe(1);
    const errors = output.split('\n').filter((line) => line.includes('error:'));
    expect(errors, output).toHaveLength(1);
    expect(errors[0], output).toMatch(new RegExp(`^(\\[cryptobot\\] )?error: ${name} ${message}`));
    expect(output, 'refused before anything started').not.toContain('migrations applied');
  });

  it('when the config file is invalid', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cbstart-')), 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ exchanges: { binance: { timeoutMs: 'fast' } } }));
    const { code, output } = await runStart({ PORT: freePort }, ['--config', file]);
    expect(code).toBe(1);
    expect(output).toMatch(/exchanges\.binance\.timeoutMs/);
  });
});
