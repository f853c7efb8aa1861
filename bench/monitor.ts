/**
 * What the benchmark watches while a side runs, all read from Linux's /proc:
 * - the worker's peak RSS: the kernel's own high-water mark (VmHWM in /proc/<pid>/status), reset
 *   at the start of each side by writing 5 to /proc/<pid>/clear_refs, so each side gets its own
 *   peak; and, as a cross-check, the largest RSS sampled every 200 ms (a sampler can miss a short
 *   spike; VmHWM cannot). The worker is this process (in-process worker, baselines) or, for the
 *   memory-budget sides, a separate worker process;
 * - the dev server's peak RSS the same way (it is a separate process, child of this one);
 * - CPU time used by this process, by the dev server, and by everything else on the machine
 *   (/proc/stat), so a side measured while other work ran on the machine says so;
 * - the load average at start and end, and any test runner (vitest) seen running meanwhile.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const CLOCK_TICKS = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM), undefined when unreadable. */
export function statusBytes(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readText(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Resets the kernel's peak-RSS mark of a process to its current RSS; false when not allowed. */
export function resetPeak(pid: number | 'self'): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) a process has used so far, its threads included. */
function processCpuSeconds(pid: number | 'self'): number {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "(comm) ": state is field 3, utime 14 and stime 15 (1-based), i.e. index 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Busy and total CPU seconds of the whole machine so far. */
function machineCpuSeconds(): { busy: number; total: number } {
  const line = (readText('/proc/stat') ?? '').split('\n')[0] ?? '';
  const [, user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / CLOCK_TICKS, total: (busy + idle + iowait) / CLOCK_TICKS };
}

/** Pids of this process's children (all threads' child lists). */
function childPids(): number[] {
  const pids = new Set<number>();
  const tasks = existsSync('/proc/self/task') ? readdirSync('/proc/self/task') : [];
  for (const task of tasks) {
    for (const pid of (readText(`/proc/self/task/${task}/children`) ?? '').trim().split(/\s+/))
      if (pid) pids.add(Number(pid));
  }
  return [...pids];
}

/** The dev server started by this process (the Temporal CLI), if it is running. */
export function devServerPid(): number | undefined {
  return childPids().find((pid) => /temporal/.test(readText(`/proc/${pid}/cmdline`) ?? ''));
}

/** Test runners and type checks running on the machine that this process did not start, e.g. "vitest in /tmp/x". */
function foreignWork(): string[] {
  const mine = new Set([process.pid, process.ppid, ...childPids()]);
  const seen = new Set<string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || mine.has(Number(entry))) continue;
    const cmd = (readText(`/proc/${entry}/cmdline`) ?? '').split('\0').join(' ');
    const kind = /vitest/.test(cmd) ? 'vitest' : /\btsc\b/.test(cmd) ? 'tsc' : undefined;
    if (!kind) continue;
    let cwd = '?';
    try {
      cwd = readlinkSync(`/proc/${entry}/cwd`);
    } catch {
      // gone meanwhile
    }
    seen.add(`${kind} in ${cwd}`);
  }
  return [...seen];
}

export interface SideMeasurements {
  /** Whose memory the RSS figures are: this process, or a worker process of its own. */
  worker: 'this process' | 'separate worker process';
  /** Peak RSS of the worker during the side: VmHWM after a reset at its start. */
  peakRssBytes: number | undefined;
  /** How peakRssBytes was obtained. */
  peakRssMethod: 'VmHWM (reset via clear_refs)' | 'sampled only (clear_refs not writable)';
  /** Largest RSS seen by the 200 ms sampler. */
  sampledPeakRssBytes: number;
  /** RSS when the side started (memory the process already held). */
  rssAtStartBytes: number;
  /** Peak RSS of the Temporal dev server during the side (Tributary sides only). */
  devServerPeakRssBytes?: number;
  cpu: {
    /** CPU seconds used by this process and the worker process if separate (polars threads included). */
    thisProcessSeconds: number;
    devServerSeconds: number;
    /** CPU seconds used by every other process on the machine. */
    otherProcessesSeconds: number;
    /** otherProcessesSeconds / (wall seconds x cores): the share of the machine others took. */
    otherProcessesShare: number;
  };
  loadAverage: { start: number[]; end: number[] };
  /** Test runners / type checks seen on the machine during the side. */
  otherWorkSeen: string[];
}

const rssOf = (pid: number | 'self') => (pid === 'self' ? process.memoryUsage().rss : (statusBytes(pid, 'VmRSS') ?? 0));

export class SideMonitor {
  private readonly started = performance.now();
  private readonly target: number | 'self';
  private readonly rssAtStart: number;
  private sampledPeak: number;
  private devSampledPeak = 0;
  private readonly reset: boolean;
  private readonly devPid: number | undefined;
  private readonly cpu0: { self: number; worker: number; dev: number; machine: { busy: number; total: number } };
  private readonly load0 = loadavg();
  private readonly seen = new Set<string>();
  private readonly sampler: NodeJS.Timeout;
  private readonly watcher: NodeJS.Timeout;

  /** `workerPid`: the worker runs in that process rather than in this one. */
  constructor(options: { devServer: boolean; workerPid?: number }) {
    this.target = options.workerPid ?? 'self';
    this.reset = resetPeak(this.target);
    this.rssAtStart = rssOf(this.target);
    this.sampledPeak = this.rssAtStart;
    this.devPid = options.devServer ? devServerPid() : undefined;
    if (this.devPid !== undefined) resetPeak(this.devPid);
    this.cpu0 = {
      self: processCpuSeconds('self'),
      worker: this.target === 'self' ? 0 : processCpuSeconds(this.target),
      dev: this.devPid ? processCpuSeconds(this.devPid) : 0,
      machine: machineCpuSeconds(),
    };
    this.sampler = setInterval(() => this.sample(), 200);
    this.watcher = setInterval(() => this.watch(), 5_000);
    this.watch();
  }

  private sample(): void {
    this.sampledPeak = Math.max(this.sampledPeak, rssOf(this.target));
    if (this.devPid !== undefined)
      this.devSampledPeak = Math.max(this.devSampledPeak, statusBytes(this.devPid, 'VmRSS') ?? 0);
  }

  private watch(): void {
    for (const cmd of foreignWork()) this.seen.add(cmd);
  }

  stop(): SideMeasurements {
    clearInterval(this.sampler);
    clearInterval(this.watcher);
    this.watch();
    this.sample();
    const seconds = (performance.now() - this.started) / 1000;
    const self =
      processCpuSeconds('self') -
      this.cpu0.self +
      (this.target === 'self' ? 0 : processCpuSeconds(this.target) - this.cpu0.worker);
    const dev = this.devPid ? processCpuSeconds(this.devPid) - this.cpu0.dev : 0;
    const machine = machineCpuSeconds();
    const busy = machine.busy - this.cpu0.machine.busy;
    const others = Math.max(0, busy - self - dev);
    const hwm = statusBytes(this.target, 'VmHWM');
    const devHwm = this.devPid !== undefined ? statusBytes(this.devPid, 'VmHWM') : undefined;
    return {
      worker: this.target === 'self' ? 'this process' : 'separate worker process',
      peakRssBytes: this.reset && hwm !== undefined ? Math.max(hwm, this.sampledPeak) : this.sampledPeak,
      peakRssMethod:
        this.reset && hwm !== undefined ? 'VmHWM (reset via clear_refs)' : 'sampled only (clear_refs not writable)',
      sampledPeakRssBytes: this.sampledPeak,
      rssAtStartBytes: this.rssAtStart,
      ...(this.devPid !== undefined ? { devServerPeakRssBytes: Math.max(devHwm ?? 0, this.devSampledPeak) } : {}),
      cpu: {
        thisProcessSeconds: round(self),
        devServerSeconds: round(dev),
        otherProcessesSeconds: round(others),
        otherProcessesShare: round(others / (seconds * cpus().length), 3),
      },
      loadAverage: { start: this.load0.map((l) => round(l)), end: loadavg().map((l) => round(l)) },
      otherWorkSeen: [...this.seen],
    };
  }
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
