// Child processes of a bench run: optional CPU pinning through taskset, output kept in a log file and
// a bounded in-memory tail, and one registry so every process this run started is stopped on exit,
// on Ctrl-C and on failure.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { processTree } from './proc.js';

const TAIL = 64 * 1024;
const running = new Set<Proc>();
/** Stoppers for processes started by code other than Proc (the seed topology). */
const cleanups = new Set<() => Promise<void>>();

/** Registers `stop` to run if the bench is interrupted; call the returned function once stopped. */
export function onInterrupt(stop: () => Promise<void>): () => void {
  cleanups.add(stop);
  return () => cleanups.delete(stop);
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** The hard limit on open files for processes started from here (nginx and HAProxy size to it). */
export function nofileHardLimit(): number {
  const r = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' });
  const n = Number((r.stdout ?? '').trim());
  return Number.isFinite(n) && n > 0 ? n : 65536;
}

/** `taskset` is used only when present and the machine has at least two CPUs. */
export const CAN_PIN: boolean = hasCommand('taskset');

export interface SpawnOptions {
  /** CPU list for taskset (e.g. "0"), or undefined to leave the scheduler free. */
  readonly cpus?: string;
  readonly logDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Keep stdin open as a pipe (for programs driven by commands). */
  readonly stdin?: boolean;
}

export class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private out = '';
  private code: number | null | undefined;
  private signal: NodeJS.Signals | null = null;

  constructor(readonly name: string, cmd: string, args: readonly string[], o: SpawnOptions) {
    const pinned = o.cpus !== undefined && CAN_PIN;
    const file = pinned ? 'taskset' : cmd;
    const argv = pinned ? ['-c', o.cpus!, cmd, ...args] : [...args];
    fs.mkdirSync(o.logDir, { recursive: true });
    const log = fs.createWriteStream(path.join(o.logDir, `${name.replace(/[^\w.-]+/g, '_')}.log`), { flags: 'a' });
    log.write(`$ ${file} ${argv.join(' ')}\n`);
    this.child = spawn(file, argv, { env: o.env ?? process.env, cwd: o.cwd, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer) => {
      this.out += d.toString('utf8');
      if (this.out.length > 2 * TAIL) this.out = this.out.slice(-TAIL);
      log.write(d);
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.code = code;
        this.signal = signal;
        running.delete(this);
        log.end();
        resolve(code);
      });
      this.child.once('error', (e) => {
        this.out += `\nspawn error: ${e.message}\n`;
        this.code = -1;
        running.delete(this);
        log.end();
        resolve(-1);
      });
    });
    running.add(this);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  alive(): boolean {
    return this.code === undefined;
  }

  output(): string {
    return this.out;
  }

  exitDescription(): string {
    return this.code === undefined ? 'running' : this.signal ? `killed by ${this.signal}` : `exit code ${this.code}`;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive()) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  /** Resolves with the output once `re` matches it; rejects if the process exits or time runs out. */
  waitFor(re: RegExp, ms: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = re.exec(this.out);
        if (m !== null) {
          cleanup();
          resolve(m);
          return true;
        }
        return false;
      };
      const onData = () => void check();
      const onExit = () => {
        if (check()) return;
        cleanup();
        reject(new Error(`${this.name} ${this.exitDescription()} before printing ${re}\n${this.out.slice(-4000)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: no ${re} within ${ms} ms\n${this.out.slice(-4000)}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout!.off('data', onData);
        this.child.stderr!.off('data', onData);
        this.child.off('exit', onExit);
      };
      if (check()) return;
      if (!this.alive()) {
        onExit();
        return;
      }
      // Listen after the constructor's handler so `out` already holds the chunk.
      this.child.stdout!.on('data', onData);
      this.child.stderr!.on('data', onData);
      this.child.once('exit', onExit);
    });
  }
}

export function startProc(name: string, cmd: string, args: readonly string[], o: SpawnOptions): Proc {
  return new Proc(name, cmd, args, o);
}

/** Runs a command to completion and returns its output (for version probes and the like). */
export function runQuiet(cmd: string, args: readonly string[], timeoutMs = 10_000): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export async function stopAll(): Promise<void> {
  await Promise.all([...[...cleanups].map((f) => f().catch(() => {})), ...[...running].map((p) => p.stop(3000))]);
  cleanups.clear();
}

/** Last resort on process exit: nothing this run started, directly or not, may outlive it. */
export function killAllSync(): void {
  const pids = new Set<number>([...running].map((p) => p.pid));
  for (const pid of processTree(process.pid)) if (pid !== process.pid) pids.add(pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
