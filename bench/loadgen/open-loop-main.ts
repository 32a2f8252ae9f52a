// The open-loop generator as its own process (so it can be pinned with taskset like wrk): splits
// the rate and connections over a piscina pool of worker threads, merges their HdrHistograms and
// prints one OPENLOOP_JSON line. Usage: node open-loop-main.js '<json OpenLoopConfig>'
import { Piscina } from 'piscina';
import * as hdr from 'hdr-histogram-js';
import type { OpenLoopPart, OpenLoopTask } from './open-loop-worker.js';

export interface OpenLoopConfig {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly proto: 'h1' | 'h2';
  readonly rate: number;
  readonly warmupS: number;
  readonly durationS: number;
  readonly connections: number;
  readonly threads: number;
  readonly idle?: 'sleep' | 'spin';
  readonly drainMs?: number;
}

export interface OpenLoopSummary {
  readonly sent: number;
  readonly completed: number;
  readonly recorded: number;
  readonly unsent: number;
  readonly errors: OpenLoopPart['errors'];
  readonly durationS: number;
  /** Quantiles in µs. */
  readonly corrected: Record<'p50' | 'p90' | 'p99' | 'p999' | 'max' | 'mean', number>;
  readonly uncorrected: Record<'p50' | 'p90' | 'p99' | 'p999' | 'max' | 'mean', number>;
}

function quantiles(h: hdr.Histogram): OpenLoopSummary['corrected'] {
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: h.mean,
  };
}

async function main(): Promise<void> {
  const c = JSON.parse(process.argv[2]) as OpenLoopConfig;
  const threads = Math.max(1, Math.min(c.threads, c.connections));
  const pool = new Piscina({
    filename: new URL('./open-loop-worker.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    idleTimeout: 60_000,
  });
  const tasks: Promise<OpenLoopPart>[] = [];
  for (let i = 0; i < threads; i++) {
    const conns = Math.floor(c.connections / threads) + (i < c.connections % threads ? 1 : 0);
    const task: OpenLoopTask = {
      host: c.host,
      port: c.port,
      path: c.path,
      proto: c.proto,
      rate: c.rate / threads,
      warmupMs: c.warmupS * 1000,
      durationMs: c.durationS * 1000,
      connections: conns,
      drainMs: c.drainMs ?? 3000,
      idle: c.idle ?? 'sleep',
    };
    tasks.push(pool.run(task) as Promise<OpenLoopPart>);
  }
  const parts = await Promise.all(tasks);
  const corrected = hdr.build({ numberOfSignificantValueDigits: 3 });
  const uncorrected = hdr.build({ numberOfSignificantValueDigits: 3 });
  const errors = { connect: 0, read: 0, write: 0, timeout: 0, status: 0, other: 0 };
  let sent = 0;
  let completed = 0;
  let recorded = 0;
  let unsent = 0;
  for (const p of parts) {
    corrected.add(hdr.decodeFromCompressedBase64(p.corrected));
    uncorrected.add(hdr.decodeFromCompressedBase64(p.uncorrected));
    for (const k of Object.keys(errors) as (keyof typeof errors)[]) errors[k] += p.errors[k];
    sent += p.sent;
    completed += p.completed;
    recorded += p.recorded;
    unsent += p.unsent;
  }
  const summary: OpenLoopSummary = {
    sent, completed, recorded, unsent, errors, durationS: c.durationS,
    corrected: quantiles(corrected),
    uncorrected: quantiles(uncorrected),
  };
  process.stdout.write(`OPENLOOP_JSON ${JSON.stringify(summary)}\n`);
  await pool.destroy();
}

main().catch((e: unknown) => {
  process.stderr.write(`open-loop: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
