// h2load (HTTP/2 over cleartext, prior knowledge; closed loop) as a saturation load generator, one
// stream in flight per connection so that its concurrency matches wrk's; parses its text report.
import { startProc } from '../lib/spawn.js';
import { noErrors } from '../lib/types.js';
import type { ClosedLoopResult } from './wrk.js';

export interface H2loadOptions {
  readonly url: string;
  readonly connections: number;
  readonly streams: number;
  readonly durationS: number;
  readonly cpus?: string;
  readonly logDir: string;
  readonly onStart?: (pid: number) => void;
}

function toMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

export function parseH2load(out: string): ClosedLoopResult {
  const fin = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(out);
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  if (fin === null || req === null) throw new Error(`h2load: no result in output:\n${out.slice(-2000)}`);
  const durationS = Number(fin[1]) / (fin[2] === 'ms' ? 1000 : 1);
  const [, , , done, , failed, errored, timeout] = req.map(Number);
  const errors = noErrors();
  // h2load: "failed" = "errored" + non-2xx/3xx responses; "errored" includes "timeout". Requests still in
  // flight when the duration ends (started - done) are not failures.
  errors.timeout = timeout;
  errors.read = Math.max(0, errored - timeout);
  errors.status = Math.max(0, failed - errored);
  errors.total = errors.status + errors.timeout + errors.read;
  const t = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(out);
  const latencyMs = t === null ? null : { max: toMs(t[3], t[4]), mean: toMs(t[5], t[6]) };
  return { requests: done, durationS, rps: Number(fin[3]), errors, latencyMs, output: out };
}

export async function runH2load(o: H2loadOptions): Promise<ClosedLoopResult> {
  const d = Math.max(1, Math.round(o.durationS));
  const args = ['-c', String(o.connections), '-m', String(o.streams), '-t', '1', '-D', String(d), o.url];
  const p = startProc('h2load', 'h2load', args, { cpus: o.cpus, logDir: o.logDir });
  o.onStart?.(p.pid);
  const code = await p.exited;
  if (code !== 0 && !/finished in/.test(p.output())) throw new Error(`h2load ${p.exitDescription()}:\n${p.output().slice(-2000)}`);
  return parseH2load(p.output());
}
