import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface LoggedProcess {
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, SIGKILL after 20 s, then the log file is closed; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * `node --import tsx <script> …args` from `cwd`, stdout and stderr into `logFile`. `nodeArgs` go before the script
 * (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept).
 */
export function spawnTsx(
  script: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; nodeArgs?: string[] },
): LoggedProcess {
  const out = fs.openSync(options.logFile, 'w');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', script, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', out, out],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let closed = false;
  const stop = async () => {
    if (closed) return;
    closed = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    fs.closeSync(out);
  };
  return { child, exited, stop };
}
