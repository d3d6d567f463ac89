/**
 * Starting a worker thread on a .ts file under tsx. On Node 20, `new Worker(file.ts, { execArgv: ['--import',
 * 'tsx'] })` fails with "Unknown file extension .ts", so — exactly as server/services/backtests/sweep-pool.ts
 * does — the thread starts from a one-line eval bootstrap that calls tsx's ESM `register()` and then imports
 * the script. Compiled to .js, the script is started directly.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

function tsxEsmApiUrl(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = require(manifestPath) as { exports: Record<string, { import: { default: string } }> };
  return new URL(manifest.exports['./esm/api']!.import.default, pathToFileURL(manifestPath)).href;
}

export function startScriptWorker(scriptUrl: URL, workerData: unknown): Worker {
  if (!scriptUrl.pathname.endsWith('.ts')) return new Worker(scriptUrl, { workerData });
  const bootstrap = `import(${JSON.stringify(tsxEsmApiUrl())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(scriptUrl.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** The next message from a worker, rejecting if it fails or exits first. */
export function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (message: T) => {
      cleanup();
      resolve(message);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`worker exited with code ${code} before answering`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
