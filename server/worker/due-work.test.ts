import { describe, expect, it } from 'vitest';
import type { DeploymentRuntime } from '@/server/services/deployments';
import { pickDueWork } from './due-work';

/** The fields pickDueWork reads of a runtime: its id, its account, when it is due, and whether it is a script. */
function rt(id: string, account: string, nextDueMs: number, script = false): DeploymentRuntime {
  return { id, account: { id: account }, nextDueMs, script } as unknown as DeploymentRuntime;
}
const batchable = (r: DeploymentRuntime) => !(r as unknown as { script: boolean }).script;
const state = (over: Partial<Parameters<typeof pickDueWork>[1]> = {}) => ({
  inFlight: new Set<string>(),
  accountsInFlight: new Set<string>(),
  maxBatch: 50,
  lanes: 4,
  batchable,
  ...over,
});
const ids = (work: DeploymentRuntime[]) => work.map((r) => r.id);

describe('pickDueWork', () => {
  it('takes nothing before anything is due, and the due ones most overdue first', () => {
    const runtimes = [rt('late', 'a1', 300), rt('early', 'a2', 100), rt('future', 'a3', 2_000)];
    expect(pickDueWork(runtimes, state(), 50)).toEqual([]);
    expect(ids(pickDueWork(runtimes, state({ lanes: 1 }), 1_000))).toEqual(['early', 'late']);
  });

  it('batches an even share of what is due per lane, at most maxBatch', () => {
    const runtimes = Array.from({ length: 10 }, (_, i) => rt(`d${i}`, `a${i}`, i));
    expect(pickDueWork(runtimes, state({ lanes: 4 }), 100)).toHaveLength(3); // ⌈10 ÷ 4⌉
    expect(pickDueWork(runtimes, state({ lanes: 1, maxBatch: 6 }), 100)).toHaveLength(6);
  });

  it('never puts two deployments of one account in a batch, nor one whose account is in flight', () => {
    const runtimes = [rt('x1', 'shared', 1), rt('x2', 'shared', 2), rt('y', 'busy', 3), rt('z', 'free', 4)];
    expect(ids(pickDueWork(runtimes, state({ lanes: 1, accountsInFlight: new Set(['busy']) }), 100))).toEqual(['x1', 'z']);
  });

  it('skips deployments in flight, and sends a script alone when it is the most overdue', () => {
    const runtimes = [rt('script', 's', 1, true), rt('p1', 'a1', 2), rt('p2', 'a2', 3)];
    expect(ids(pickDueWork(runtimes, state({ lanes: 1 }), 100))).toEqual(['script']);
    expect(ids(pickDueWork(runtimes, state({ lanes: 1, inFlight: new Set(['script']) }), 100)), 'scripts never join a batch').toEqual(['p1', 'p2']);
  });
});
