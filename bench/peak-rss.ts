/** Peak resident set size of a process (VmHWM from /proc), in bytes; Linux only. */
import { readFileSync } from 'node:fs';

export function peakRssBytes(pid: number | 'self' = 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}
