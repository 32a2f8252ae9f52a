// The two measurements every scenario is built from. saturation(): wrk or h2load, closed loop, as
// fast as the chain goes, repeated; the figure is the proxy's CPU time per completed request and the
// median rate, with the spread over repeats. latency(): our open-loop generator at a fixed rate,
// quantiles from each request's due time. Both meter every process involved.
import { runH2load } from '../loadgen/h2load.js';
import { runOpenLoop } from '../loadgen/open-loop.js';
import { runWrk, type ClosedLoopResult } from '../loadgen/wrk.js';
import { Meter, type Role, type Window } from '../lib/meter.js';
import type { Plan } from '../lib/plan.js';
import { addErrors, noErrors, type Latency, type Proto, type Saturation } from '../lib/types.js';

export const GENERATOR_ROLE = 'load generator';

export interface Ctx {
  readonly plan: Plan;
  log(line: string): void;
}

export interface SaturationOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly proto: Proto;
  readonly connections: number;
  readonly roles: readonly Role[];
  /** The role whose CPU per request is the headline figure. */
  readonly proxyRole: string;
  readonly cpus?: string;
  readonly logDir: string;
  readonly wrkThreads?: number;
  readonly wantThreads?: boolean;
}

export interface SaturationRun {
  readonly sat: Saturation;
  readonly windows: readonly Window[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function spread(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = median(xs);
  return m > 0 ? ((Math.max(...xs) - Math.min(...xs)) / m) * 100 : null;
}

function closedLoop(o: SaturationOptions, durationS: number): Promise<ClosedLoopResult> {
  const url = `http://${o.host}:${o.port}${o.path}`;
  return o.proto === 'h2'
    ? runH2load({ url, connections: o.connections, streams: 1, durationS, cpus: o.cpus, logDir: o.logDir })
    : runWrk({ url, connections: o.connections, threads: o.wrkThreads ?? 1, durationS, cpus: o.cpus, logDir: o.logDir });
}

export async function saturation(ctx: Ctx, o: SaturationOptions): Promise<SaturationRun> {
  const p = ctx.plan;
  if (p.satWarmupS > 0) await closedLoop(o, p.satWarmupS);
  const rpsRuns: number[] = [];
  const cpuRuns: number[] = [];
  const pctRuns: number[] = [];
  const foreign: number[] = [];
  const windows: Window[] = [];
  let errors = noErrors();
  let requests = 0;
  let last: ClosedLoopResult | null = null;
  const cpuByRole = new Map<string, number>();
  for (let r = 0; r < p.satRepeats; r++) {
    const meter = new Meter(o.roles, o.wantThreads ?? false, GENERATOR_ROLE);
    meter.begin();
    const res = await closedLoop(o, p.satS);
    const w = meter.end();
    windows.push(w);
    const proxy = w.procs.find((x) => x.role === o.proxyRole);
    if (proxy === undefined) throw new Error(`no CPU figures for ${o.proxyRole}`);
    rpsRuns.push(res.rps);
    cpuRuns.push(res.requests > 0 ? (proxy.cpuMs * 1000) / res.requests : NaN);
    pctRuns.push(proxy.cpuPct);
    foreign.push(w.foreignCpuPct);
    for (const x of w.procs) cpuByRole.set(x.role, (cpuByRole.get(x.role) ?? 0) + x.cpuMs);
    errors = addErrors(errors, res.errors);
    requests += res.requests;
    last = res;
  }
  const sat: Saturation = {
    tool: o.proto === 'h2' ? 'h2load' : 'wrk',
    connections: o.connections,
    durationS: p.satS,
    repeats: p.satRepeats,
    rps: median(rpsRuns),
    rpsRuns,
    cpuUsPerReq: median(cpuRuns),
    cpuUsPerReqRuns: cpuRuns,
    spreadPct: { rps: spread(rpsRuns), cpu: spread(cpuRuns) },
    proxyCpuPct: median(pctRuns),
    requests,
    errors,
    closedLoopLatencyMs: last?.latencyMs ?? null,
    processes: windows[windows.length - 1].procs,
    cpuUsPerReqByRole: Object.fromEntries([...cpuByRole].map(([k, v]) => [k, requests > 0 ? (v * 1000) / requests : NaN])),
    foreignCpuPct: median(foreign),
  };
  return { sat, windows };
}

export interface LatencyOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly proto: Proto;
  readonly rate: number;
  readonly connections: number;
  readonly roles: readonly Role[];
  readonly proxyRole: string;
  readonly cpus?: string;
  readonly logDir: string;
}

/** Above this, the generator's own CPU may have been what delayed requests. */
const LOAD_CPU_LIMIT = 90;
/** Above this share of one core during a fixed-rate run, the proxy itself was near saturation. */
const PROXY_CPU_LIMIT = 75;

export async function latency(ctx: Ctx, o: LatencyOptions): Promise<Latency> {
  const p = ctx.plan;
  const meter = new Meter(o.roles, false, GENERATOR_ROLE);
  meter.begin();
  const r = await runOpenLoop({
    host: o.host,
    port: o.port,
    path: o.path,
    proto: o.proto,
    rate: o.rate,
    warmupS: p.latWarmupS,
    durationS: p.latS,
    connections: o.connections,
    threads: 1,
    drainMs: p.drainMs,
    cpus: o.cpus,
    logDir: o.logDir,
  });
  const w = meter.end();
  const proxy = w.procs.find((x) => x.role === o.proxyRole);
  const loadCpu = o.cpus !== undefined && /^\d+$/.test(o.cpus) ? w.cpuBusyPct[Number(o.cpus)] ?? null : null;
  const why: string[] = [];
  if (loadCpu !== null && loadCpu > LOAD_CPU_LIMIT) why.push(`load generator's CPU was ${loadCpu.toFixed(0)} % busy`);
  if (r.achievedRps < o.rate * 0.95) why.push(`only ${Math.round(r.achievedRps)} of ${o.rate} req/s completed`);
  if (r.unsent > 0) why.push(`${r.unsent} due requests never sent: all connections were waiting`);
  const cpuUsPerReq = proxy !== undefined && r.completed > 0 ? (proxy.cpuMs * 1000) / r.completed : null;
  // The rate was chosen below every proxy's knee from saturation figures, but a proxy that batches less at
  // a lower rate can cost more per request there: then it ran near its knee, and queueing shows in the tail.
  const proxyShare = cpuUsPerReq !== null ? (cpuUsPerReq * r.achievedRps) / 1e4 : 0;
  if (proxyShare > PROXY_CPU_LIMIT) {
    why.push(`proxy at ${proxyShare.toFixed(0)} % of a core at this rate (${cpuUsPerReq!.toFixed(0)} µs per request here): near its knee`);
  }
  return {
    rate: o.rate,
    achievedRps: r.achievedRps,
    durationS: p.latS,
    connections: o.connections,
    requests: r.completed,
    errors: r.errors,
    unsent: r.unsent,
    corrected: r.corrected,
    uncorrected: r.uncorrected,
    cpuUsPerReq,
    processes: w.procs,
    foreignCpuPct: w.foreignCpuPct,
    loadCpuBusyPct: loadCpu,
    ...(why.length > 0 ? { suspect: why.join('; ') } : {}),
  };
}

/** Two significant digits, so fixed rates read as chosen numbers (12,000 rather than 12,347). */
export function roundRate(x: number): number {
  if (!(x > 0)) return 0;
  const e = Math.pow(10, Math.floor(Math.log10(x)) - 1);
  return Math.max(1, Math.floor(x / e) * e);
}

export function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
