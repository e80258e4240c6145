import { readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` (Linux: `sysconf(_SC_CLK_TCK)`, 100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, ms) a process has used so far: `process.cpuUsage()` for this one, `/proc/<pid>/stat`
 * for another (Linux; undefined elsewhere or when the process is gone).
 */
export function cpuMsOf(pid: number = process.pid): number | undefined {
  if (pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The machine's CPU time so far, all cores together (`/proc/stat`, Linux; undefined elsewhere): busy and total. */
export function hostCpuTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((sum, value) => sum + value, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** The share (0..1) of the machine's CPU that was busy between two {@link hostCpuTicks} readings. */
export function hostCpuBusyBetween(
  before: ReturnType<typeof hostCpuTicks>,
  after: ReturnType<typeof hostCpuTicks>,
): number {
  if (before === undefined || after === undefined || after.total <= before.total) return Number.NaN;
  return (after.busy - before.busy) / (after.total - before.total);
}
