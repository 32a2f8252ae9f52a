// CPU and memory of the processes in one measurement window: each role (proxy, upstream, load
// generator, ...) is a process tree whose utime+stime is read before and after, plus the machine's
// busy time, so "foreign" CPU (other programs on the box) is known for every figure.
import { perCpu, processTree, readMemory, readStat, systemCpu, threadCpu, ticksToMs, CLK_TCK, type SystemCpu, type ThreadCpu } from './proc.js';

export interface Role {
  readonly role: string;
  /** Root pid of the role's process tree. */
  readonly pid: number;
}

export interface ProcFigures {
  readonly role: string;
  readonly pids: readonly number[];
  /** CPU time of the whole tree (all threads) in the window, ms. */
  readonly cpuMs: number;
  /** cpuMs as a share of one core over the window's wall time, %. */
  readonly cpuPct: number;
  /** RSS at the end of the window, MiB (sum over the tree). */
  readonly rssMb: number;
  /** Peak RSS (VmHWM) since each process started, MiB (sum over the tree). */
  readonly peakRssMb: number;
}

export interface Window {
  readonly wallMs: number;
  readonly procs: readonly ProcFigures[];
  /** CPU taken by everything not in `procs`, in % of one core (the machine's noise during the window). */
  readonly foreignCpuPct: number;
  /** How busy each CPU was during the window, % (index = CPU number). */
  readonly cpuBusyPct: readonly number[];
  /** Per-thread CPU delta of each role's root process (ms), busiest first. */
  readonly threads: Readonly<Record<string, readonly { tid: number; cpuMs: number }[]>>;
}

interface Start {
  readonly t: number;
  readonly sys: SystemCpu;
  readonly cpus: SystemCpu[];
  readonly ticks: Map<number, number>;
  readonly threads: Map<string, ThreadCpu[]>;
  readonly trees: Map<string, number[]>;
  readonly reaped: number;
}

export class Meter {
  private start: Start | null = null;

  /**
   * @param reapedRole if set, the CPU of child processes of this bench process that exited (and were
   *   reaped) during the window is reported under this role: a load generator that ran start to
   *   finish inside the window, whose /proc entry is gone by the time the window ends.
   */
  constructor(
    private readonly roles: readonly Role[],
    private readonly wantThreads = false,
    private readonly reapedRole: string | null = null,
  ) {}

  begin(): void {
    const trees = new Map<string, number[]>();
    const ticks = new Map<number, number>();
    const threads = new Map<string, ThreadCpu[]>();
    for (const r of this.roles) {
      const pids = processTree(r.pid);
      trees.set(r.role, pids);
      for (const p of pids) ticks.set(p, readStat(p)?.cpuTicks ?? 0);
      if (this.wantThreads) threads.set(r.role, threadCpu(r.pid));
    }
    this.start = { t: performance.now(), sys: systemCpu(), cpus: perCpu(), ticks, threads, trees, reaped: readStat(process.pid)?.reapedTicks ?? 0 };
  }

  end(): Window {
    const s = this.start;
    if (s === null) throw new Error('Meter.end() without begin()');
    const wallMs = performance.now() - s.t;
    const sys = systemCpu();
    const procs: ProcFigures[] = [];
    const threads: Record<string, { tid: number; cpuMs: number }[]> = {};
    let ours = 0;
    for (const r of this.roles) {
      // Processes that appeared during the window (nginx respawning a worker) count from zero.
      const pids = [...new Set([...(s.trees.get(r.role) ?? []), ...processTree(r.pid)])];
      let ticks = 0;
      let rss = 0;
      let hwm = 0;
      for (const p of pids) {
        const now = readStat(p);
        if (now !== null) ticks += now.cpuTicks - (s.ticks.get(p) ?? 0);
        const m = readMemory(p);
        if (m !== null) {
          rss += m.rssKb;
          hwm += m.hwmKb;
        }
      }
      ours += ticks;
      const cpuMs = ticksToMs(ticks);
      procs.push({ role: r.role, pids, cpuMs, cpuPct: (cpuMs / wallMs) * 100, rssMb: rss / 1024, peakRssMb: hwm / 1024 });
      if (this.wantThreads) {
        const before = new Map((s.threads.get(r.role) ?? []).map((t) => [t.tid, t.ticks]));
        threads[r.role] = threadCpu(r.pid)
          .map((t) => ({ tid: t.tid, cpuMs: ticksToMs(t.ticks - (before.get(t.tid) ?? 0)) }))
          .sort((a, b) => b.cpuMs - a.cpuMs);
      }
    }
    if (this.reapedRole !== null) {
      const ticks = (readStat(process.pid)?.reapedTicks ?? 0) - s.reaped;
      ours += ticks;
      const cpuMs = ticksToMs(ticks);
      procs.push({ role: this.reapedRole, pids: [], cpuMs, cpuPct: (cpuMs / wallMs) * 100, rssMb: 0, peakRssMb: 0 });
    }
    const foreignTicks = Math.max(0, sys.busy - s.sys.busy - ours);
    const cpuBusyPct = perCpu().map((c, i) => {
      const b = s.cpus[i];
      const total = b === undefined ? 0 : c.total - b.total;
      return total > 0 ? ((c.busy - b.busy) / total) * 100 : 0;
    });
    return { wallMs, procs, foreignCpuPct: (((foreignTicks * 1000) / CLK_TCK) / wallMs) * 100, cpuBusyPct, threads };
  }
}

export function figuresOf(w: Window, role: string): ProcFigures | undefined {
  return w.procs.find((p) => p.role === role);
}
