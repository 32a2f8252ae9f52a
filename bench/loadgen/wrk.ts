// wrk (HTTP/1.1, closed loop) as a saturation load generator: runs it pinned, reads the JSON line our
// Lua `done` hook prints (exact request and error counts, latency quantiles), and falls back to
// parsing wrk's own text report when the hook did not run.
import fs from 'node:fs';
import path from 'node:path';
import { startProc } from '../lib/spawn.js';
import { noErrors, type ErrorCounts, type Quantiles } from '../lib/types.js';

export interface ClosedLoopResult {
  readonly requests: number;
  readonly durationS: number;
  readonly rps: number;
  readonly errors: ErrorCounts;
  readonly latencyMs: Partial<Quantiles> | null;
  /** Pid of the generator (for its CPU figures), and its full output. */
  readonly output: string;
}

export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly threads: number;
  readonly durationS: number;
  readonly cpus?: string;
  readonly logDir: string;
  /** Called with the pid once wrk runs (so its CPU can be metered). */
  readonly onStart?: (pid: number) => void;
}

const DONE_HOOK = `-- Prints exact totals as one JSON line (written by bench/loadgen/wrk.ts).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.3f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
`;

function hookFile(dir: string): string {
  const f = path.join(dir, 'wrk-done.lua');
  if (!fs.existsSync(f)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(f, DONE_HOOK);
  }
  return f;
}

export function parseWrk(out: string): ClosedLoopResult {
  const m = /WRK_JSON (\{.*\})/.exec(out);
  if (m !== null) {
    const j = JSON.parse(m[1]) as Record<string, number>;
    const errors = noErrors();
    errors.connect = j.connect;
    errors.read = j.read;
    errors.write = j.write;
    errors.status = j.status;
    errors.timeout = j.timeout;
    errors.total = j.connect + j.read + j.write + j.status + j.timeout;
    const durationS = j.duration_us / 1e6;
    return {
      requests: j.requests,
      durationS,
      rps: durationS > 0 ? j.requests / durationS : 0,
      errors,
      latencyMs: { p50: j.p50 / 1000, p90: j.p90 / 1000, p99: j.p99 / 1000, p999: j.p999 / 1000, max: j.max / 1000, mean: j.mean / 1000 },
      output: out,
    };
  }
  // wrk's text report: "123 requests in 3.00s, ...", "Socket errors: connect 0, read 1, write 0, timeout 0",
  // "Non-2xx or 3xx responses: 5".
  const req = /(\d+) requests in ([\d.]+)(m?s)/.exec(out);
  if (req === null) throw new Error(`wrk: no result in output:\n${out.slice(-2000)}`);
  const durationS = Number(req[2]) / (req[3] === 'ms' ? 1000 : 1);
  const errors = noErrors();
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (se !== null) [errors.connect, errors.read, errors.write, errors.timeout] = se.slice(1).map(Number);
  const non2 = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2 !== null) errors.status = Number(non2[1]);
  errors.total = errors.connect + errors.read + errors.write + errors.timeout + errors.status;
  return { requests: Number(req[1]), durationS, rps: Number(req[1]) / durationS, errors, latencyMs: null, output: out };
}

export async function runWrk(o: WrkOptions): Promise<ClosedLoopResult> {
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${Math.max(1, Math.round(o.durationS))}s`,
    '--timeout', '5s', '-s', hookFile(o.logDir), o.url];
  const p = startProc('wrk', 'wrk', args, { cpus: o.cpus, logDir: o.logDir });
  o.onStart?.(p.pid);
  const code = await p.exited;
  if (code !== 0) throw new Error(`wrk ${p.exitDescription()}:\n${p.output().slice(-2000)}`);
  return parseWrk(p.output());
}
