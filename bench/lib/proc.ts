// Reads what the kernel knows about a process tree: CPU time (utime+stime of every thread, from
// /proc/<pid>/stat), resident and peak memory (/proc/<pid>/status), per-thread CPU, and the machine's
// total busy time (/proc/stat) so a row can say how much CPU other programs took meanwhile.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Kernel clock ticks per second (USER_HZ); utime/stime are counted in these. */
export const CLK_TCK: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

export interface PidStat {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime in ticks: all threads of the process, including threads that already exited. */
  readonly cpuTicks: number;
  readonly threads: number;
  /** cutime + cstime: CPU of children this process has reaped (waited for). */
  readonly reapedTicks: number;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return null;
  }
}

/** Parses /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat (comm may hold spaces and parentheses). */
export function parseStat(text: string): PidStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, num_threads 20.
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const threads = Number(rest[17]);
  const reaped = Number(rest[13]) + Number(rest[14]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { pid, ppid, comm: text.slice(open + 1, close), cpuTicks: utime + stime, threads, reapedTicks: Number.isFinite(reaped) ? reaped : 0 };
}

export function readStat(pid: number): PidStat | null {
  const t = readText(`/proc/${pid}/stat`);
  return t === null ? null : parseStat(t);
}

export interface Memory {
  /** VmRSS in KiB. */
  readonly rssKb: number;
  /** VmHWM (peak RSS) in KiB. */
  readonly hwmKb: number;
}

export function parseStatus(text: string): Memory {
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(text);
  return { rssKb: rss ? Number(rss[1]) : 0, hwmKb: hwm ? Number(hwm[1]) : 0 };
}

export function readMemory(pid: number): Memory | null {
  const t = readText(`/proc/${pid}/status`);
  return t === null ? null : parseStatus(t);
}

function allStats(): PidStat[] {
  const out: PidStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const s = readStat(Number(name));
    if (s !== null) out.push(s);
  }
  return out;
}

/** The root and every process below it (nginx's workers, a shell's child, ...). */
export function processTree(root: number): number[] {
  const all = allStats();
  const alive = new Set(all.map((s) => s.pid));
  const children = new Map<number, number[]>();
  for (const s of all) {
    let l = children.get(s.ppid);
    if (l === undefined) children.set(s.ppid, (l = []));
    l.push(s.pid);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0 && out.length < 10_000) {
    const p = stack.pop()!;
    if (!alive.has(p)) continue;
    out.push(p);
    for (const c of children.get(p) ?? []) stack.push(c);
  }
  return out;
}

/** Child processes of `parent` with their command lines (to find what a library spawned). */
export function childrenOf(parent: number): { pid: number; cmdline: string[] }[] {
  const out: { pid: number; cmdline: string[] }[] = [];
  for (const s of allStats()) {
    if (s.ppid !== parent) continue;
    const c = readText(`/proc/${s.pid}/cmdline`);
    out.push({ pid: s.pid, cmdline: c === null ? [] : c.split('\0').filter((x) => x !== '') });
  }
  return out;
}

export interface ThreadCpu {
  readonly tid: number;
  readonly comm: string;
  readonly ticks: number;
}

export function threadCpu(pid: number): ThreadCpu[] {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: ThreadCpu[] = [];
  for (const t of tids) {
    const text = readText(`/proc/${pid}/task/${t}/stat`);
    const s = text === null ? null : parseStat(text);
    if (s !== null) out.push({ tid: s.pid, comm: s.comm, ticks: s.cpuTicks });
  }
  return out;
}

export interface SystemCpu {
  /** Ticks spent not idle (user, nice, system, irq, softirq, steal), all CPUs. */
  readonly busy: number;
  readonly total: number;
}

function cpuLine(line: string): SystemCpu {
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

export function systemCpu(): SystemCpu {
  return cpuLine((readText('/proc/stat') ?? '').split('\n', 1)[0]);
}

/** Busy and total ticks of each CPU, by index. */
export function perCpu(): SystemCpu[] {
  const out: SystemCpu[] = [];
  for (const line of (readText('/proc/stat') ?? '').split('\n')) {
    const m = /^cpu(\d+) /.exec(line);
    if (m !== null) out[Number(m[1])] = cpuLine(line);
  }
  return out;
}

export function ticksToMs(ticks: number): number {
  return (ticks * 1000) / CLK_TCK;
}
