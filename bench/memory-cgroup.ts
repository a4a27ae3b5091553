/**
 * A memory cgroup for one benchmark process (cgroup v2, or v1's memory controller), so a load can
 * be run under a hard memory limit the kernel enforces. Needs root; `create` returns undefined
 * (and says why) where cgroups are not writable.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  path: string;
  add(pid: number): void;
  /** Highest memory use the kernel recorded (anonymous + page cache charged to the group). */
  peakBytes(): number;
  /** Times the group hit its limit and the kernel had to reclaim or kill. */
  limitHits(): number;
  remove(): void;
}

export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup | string {
  const v2 = '/sys/fs/cgroup';
  const v1 = '/sys/fs/cgroup/memory';
  try {
    if (existsSync(join(v2, 'cgroup.controllers'))) {
      const path = join(v2, name);
      mkdirSync(path);
      writeFileSync(join(path, 'memory.max'), String(limitBytes));
      return {
        path,
        add: (pid) => writeFileSync(join(path, 'cgroup.procs'), String(pid)),
        peakBytes: () => Number(readFileSync(join(path, 'memory.peak'), 'utf8')),
        limitHits: () => Number(/^max (\d+)/m.exec(readFileSync(join(path, 'memory.events'), 'utf8'))?.[1] ?? 0),
        remove: () => rmdirSync(path),
      };
    }
    if (existsSync(join(v1, 'memory.limit_in_bytes'))) {
      const path = join(v1, name);
      mkdirSync(path);
      writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
      return {
        path,
        add: (pid) => writeFileSync(join(path, 'cgroup.procs'), String(pid)),
        peakBytes: () => Number(readFileSync(join(path, 'memory.max_usage_in_bytes'), 'utf8')),
        limitHits: () => Number(readFileSync(join(path, 'memory.failcnt'), 'utf8')),
        remove: () => rmdirSync(path),
      };
    }
    return 'no memory cgroup controller found under /sys/fs/cgroup';
  } catch (error) {
    return `cannot create a memory cgroup: ${(error as Error).message}`;
  }
}
