import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  /** os.availableParallelism(): the threads a sweep uses by default */
  readonly cores: number;
  readonly logicalCpus: number;
  readonly totalMemoryBytes: number;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly hostname: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    logicalCpus: cpus.length,
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    hostname: os.hostname(),
  };
}

/** `git rev-parse HEAD`, "unknown" outside a repository; `dirty` when the work tree has uncommitted changes. */
export function gitCommit(cwd = process.cwd()): { commit: string; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    let dirty: boolean | null = null;
    try {
      dirty =
        execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
          .toString()
          .trim() !== '';
    } catch {
      dirty = null;
    }
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: null };
  }
}

/** 1-, 5- and 15-minute load averages: the machine is shared, so every result records how busy it was. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = os.loadavg();
  return [Number(a!.toFixed(2)), Number(b!.toFixed(2)), Number(c!.toFixed(2))];
}
