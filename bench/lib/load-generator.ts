/**
 * The load generator, in its own process (bench/run.ts forks it with `--import tsx`) so it never shares an event
 * loop with the server it measures. On each IPC request it keeps `concurrency` requests in flight over keep-alive
 * connections for `durationMs` (or until `maxRequests`), and answers with the throughput and latency percentiles.
 * Loopback addresses only.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { percentileOfSorted } from './stats';

export interface LoadRequest {
  readonly id: number;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly maxRequests: number;
  /** GET unless given; with `bodies`, each request sends the next body in turn (JSON). */
  readonly method?: string;
  readonly bodies?: readonly string[];
  /** Statuses that count as answered (default: 200). */
  readonly okStatuses?: readonly number[];
}

export interface LoadReply {
  readonly id: number;
  /** requests answered 200 */
  readonly ok: number;
  /** other statuses and transport errors */
  readonly failed: number;
  readonly firstFailure: string | null;
  readonly elapsedMs: number;
  /** ok ÷ elapsed */
  readonly requestsPerSecond: number;
  /** ms, over the 200 answers */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly error?: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

async function run(request: LoadRequest): Promise<LoadReply> {
  const target = new URL(request.url);
  if (!LOOPBACK.has(target.hostname)) throw new Error(`refusing to load ${target.hostname}: loopback only`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: request.concurrency });
  const latencies = new Float64Array(request.maxRequests);
  let ok = 0;
  let failed = 0;
  let issued = 0;
  let firstFailure: string | null = null;
  const started = performance.now();
  const deadline = started + request.durationMs;

  const okStatuses = new Set(request.okStatuses ?? [200]);
  const once = (n: number) =>
    new Promise<void>((resolve) => {
      const body = request.bodies ? request.bodies[n % request.bodies.length] : undefined;
      const headers =
        body === undefined ? request.headers : { ...request.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
      const t0 = performance.now();
      const req = http.request(target, { agent, method: request.method ?? 'GET', headers }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          if (firstFailure === null && !okStatuses.has(res.statusCode ?? 0)) text += chunk.toString();
        });
        res.on('end', () => {
          if (okStatuses.has(res.statusCode ?? 0)) latencies[ok++] = performance.now() - t0;
          else {
            failed++;
            firstFailure ??= `HTTP ${res.statusCode} ${text.slice(0, 200)}`;
          }
          resolve();
        });
      });
      req.on('error', (error) => {
        failed++;
        firstFailure ??= error.message;
        resolve();
      });
      req.end(body);
    });

  const loop = async () => {
    while (issued < request.maxRequests && performance.now() < deadline) {
      await once(issued++);
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, loop));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  const sorted = latencies.subarray(0, ok).sort();
  return {
    id: request.id,
    ok,
    failed,
    firstFailure,
    elapsedMs,
    requestsPerSecond: ok / (elapsedMs / 1000),
    p50Ms: ok > 0 ? percentileOfSorted(sorted, 50) : Number.NaN,
    p99Ms: ok > 0 ? percentileOfSorted(sorted, 99) : Number.NaN,
  };
}

if (process.send) {
  process.on('message', (request: LoadRequest) => {
    run(request).then(
      (reply) => process.send!(reply),
      (error: unknown) =>
        process.send!({
          id: request.id,
          ok: 0,
          failed: 0,
          firstFailure: null,
          elapsedMs: 0,
          requestsPerSecond: 0,
          p50Ms: Number.NaN,
          p99Ms: Number.NaN,
          error: (error as Error).message,
        } satisfies LoadReply),
    );
  });
  // Exit with the parent.
  process.on('disconnect', () => process.exit(0));
}
