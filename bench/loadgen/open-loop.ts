// Runs the open-loop generator (open-loop-main.js) as a pinned child process and converts its
// summary into the bench's Latency figures (milliseconds, error counts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProc } from '../lib/spawn.js';
import { noErrors, type ErrorCounts, type Quantiles } from '../lib/types.js';
import type { OpenLoopConfig, OpenLoopSummary } from './open-loop-main.js';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'open-loop-main.js');

export interface OpenLoopOptions extends OpenLoopConfig {
  readonly cpus?: string;
  readonly logDir: string;
  readonly onStart?: (pid: number) => void;
}

export interface OpenLoopResult {
  readonly sent: number;
  readonly completed: number;
  readonly recorded: number;
  /** Requests due that were never sent: every connection was still waiting (the proxy fell behind). */
  readonly unsent: number;
  readonly achievedRps: number;
  readonly errors: ErrorCounts;
  readonly corrected: Quantiles;
  readonly uncorrected: Quantiles;
}

function ms(q: OpenLoopSummary['corrected']): Quantiles {
  return { p50: q.p50 / 1000, p90: q.p90 / 1000, p99: q.p99 / 1000, p999: q.p999 / 1000, max: q.max / 1000, mean: q.mean / 1000 };
}

export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const { cpus, logDir, onStart, ...config } = o;
  const p = startProc('open-loop', process.execPath, [MAIN, JSON.stringify(config)], { cpus, logDir });
  onStart?.(p.pid);
  const code = await p.exited;
  const m = /OPENLOOP_JSON (\{.*\})/.exec(p.output());
  if (code !== 0 || m === null) throw new Error(`open-loop generator ${p.exitDescription()}:\n${p.output().slice(-3000)}`);
  const s = JSON.parse(m[1]) as OpenLoopSummary;
  const errors = noErrors();
  errors.connect = s.errors.connect;
  errors.read = s.errors.read;
  errors.write = s.errors.write;
  errors.timeout = s.errors.timeout;
  errors.status = s.errors.status;
  errors.other = s.errors.other;
  errors.total = errors.connect + errors.read + errors.write + errors.timeout + errors.status + errors.other;
  return {
    sent: s.sent,
    completed: s.completed,
    recorded: s.recorded,
    unsent: s.unsent,
    achievedRps: s.recorded / s.durationS,
    errors,
    corrected: ms(s.corrected),
    uncorrected: ms(s.uncorrected),
  };
}
