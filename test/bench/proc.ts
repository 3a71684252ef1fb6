import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';

const TICK = 100; // /proc clock ticks per second on Linux

/** CPU seconds used, user and system. */
export interface CpuSeconds {
  readonly user: number;
  readonly sys: number;
}

/** What /proc says of a process: its command line, CPU used so far (all threads) and peak RSS. */
export interface ProcStats extends CpuSeconds {
  readonly pid: number;
  readonly title: string;
  /** user + sys, in seconds. */
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
}

/** The process's figures, or undefined once it is gone. */
export function procStats(pid: number): ProcStats | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(fields[11]) / TICK;
    const sys = Number(fields[12]) / TICK;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    return { pid, title, user, sys, cpuSeconds: user + sys, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch {
    return undefined;
  }
}

/** CPU seconds of the whole machine so far, all cores, from /proc/stat's first line. */
export interface MachineCpu {
  /** user, nice, system, irq, softirq and steal: every core's busy time, kernel threads included. */
  readonly busy: number;
  /** Idle time spent waiting for I/O. */
  readonly iowait: number;
}

export function machineCpu(): MachineCpu {
  const [user, nice, system, , iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user! + nice! + system! + irq! + softirq! + steal!) / TICK, iowait: iowait! / TICK };
}

/** The sha256 of the files' contents, one after the other. */
export async function sha256Files(paths: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const p of paths) {
    await new Promise<void>((resolve, reject) =>
      createReadStream(p)
        .on('data', (d) => hash.update(d))
        .on('end', resolve)
        .on('error', reject),
    );
  }
  return hash.digest('hex');
}
