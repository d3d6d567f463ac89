/**
 * Statements and socket writes this process sends to PostgreSQL, counted from the frontend protocol messages it
 * writes (the aligned burst's bench and the tick-batch tests): each Bind ('B') is one execution of a statement
 * (prepared or not), each Query ('Q') one simple-protocol statement (BEGIN, COMMIT, COPY). Counts writes to any
 * socket whose remote port is `port` (PostgreSQL's) from `countWire()` until `stop()`.
 */
import { Socket } from 'node:net';

export interface WireCounts {
  writes: number;
  binds: number;
  queries: number;
}

const counters = new Set<{ port: number; counts: WireCounts }>();
let original: typeof Socket.prototype.write | null = null;

function patch(): void {
  if (original) return;
  const write = (original = Socket.prototype.write);
  Socket.prototype.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
    if (Buffer.isBuffer(chunk)) {
      for (const counter of counters) {
        if (this.remotePort !== counter.port) continue;
        counter.counts.writes++;
        // Every message after the startup one: a type byte, then its length (itself included).
        for (let at = 0; at + 5 <= chunk.length; at += 1 + chunk.readInt32BE(at + 1)) {
          if (chunk[at] === 0x42) counter.counts.binds++;
          else if (chunk[at] === 0x51) counter.counts.queries++;
        }
      }
    }
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof Socket.prototype.write;
}

/** Starts counting what goes to `databaseUrl`'s port; `stop()` ends it and returns the counts. */
export function countWire(databaseUrl: string): { counts: WireCounts; stop: () => WireCounts } {
  patch();
  const counter = { port: Number(new URL(databaseUrl).port || 5432), counts: { writes: 0, binds: 0, queries: 0 } };
  counters.add(counter);
  return {
    counts: counter.counts,
    stop: () => {
      counters.delete(counter);
      return { ...counter.counts };
    },
  };
}
