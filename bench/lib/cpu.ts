import { readFileSync } from 'node:fs';

const MS_PER_TICK = 10; // USER_HZ is 100 on every Linux we run on

/** CPU time of a process (user + system) from /proc/PID/stat, in ms; null off Linux. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * MS_PER_TICK : null;
  } catch {
    return null;
  }
}

/** Busy CPU time of the whole machine (all cores, all processes) from /proc/stat, in ms. */
export function machineBusyMs(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const busy = (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
    return busy * MS_PER_TICK;
  } catch {
    return null;
  }
}

/**
 * Waits until the rest of the machine is quiet: other processes (everything but this process
 * and its idle server) below `maxPct` % of one core for 3 seconds in a row, or `timeoutS` has
 * passed. Returns the seconds waited and whether it got quiet.
 */
export async function waitForQuiet(
  timeoutS: number,
  maxPct = 20,
): Promise<{ waitedS: number; quiet: boolean }> {
  const t0 = performance.now();
  let calm = 0;
  while ((performance.now() - t0) / 1000 < timeoutS) {
    const busy0 = machineBusyMs();
    const self0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 1000));
    const busy1 = machineBusyMs();
    const self = process.cpuUsage(self0);
    if (busy0 === null || busy1 === null) return { waitedS: 0, quiet: true };
    const otherPct = ((busy1 - busy0 - (self.user + self.system) / 1000) / 1000) * 100;
    calm = otherPct < maxPct ? calm + 1 : 0;
    if (calm >= 3) return { waitedS: (performance.now() - t0) / 1000, quiet: true };
  }
  return { waitedS: (performance.now() - t0) / 1000, quiet: timeoutS === 0 };
}
