// The shape of bench/results/<date>.json: one object per run, a section per scenario, a row per
// measured configuration. A row is either measured ('ok'), 'missing' (a peer or tool could not be
// installed or found) or 'failed' (it was there but the run broke); the reason is always given.
import type { ProcFigures } from './meter.js';

export type Proto = 'h1' | 'h2';
export type RowStatus = 'ok' | 'missing' | 'failed';

export interface ErrorCounts {
  connect: number;
  read: number;
  write: number;
  timeout: number;
  /** Responses that arrived with a status other than 2xx/3xx. */
  status: number;
  /** Responses that could not be framed, and other protocol failures. */
  other: number;
  total: number;
}

export function noErrors(): ErrorCounts {
  return { connect: 0, read: 0, write: 0, timeout: 0, status: 0, other: 0, total: 0 };
}

export function addErrors(a: ErrorCounts, b: ErrorCounts): ErrorCounts {
  const r = noErrors();
  for (const k of Object.keys(r) as (keyof ErrorCounts)[]) r[k] = a[k] + b[k];
  return r;
}

/** Latency quantiles in milliseconds. */
export interface Quantiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** A closed-loop run at saturation (wrk or h2load), repeated; medians plus spread. */
export interface Saturation {
  readonly tool: 'wrk' | 'h2load';
  readonly connections: number;
  readonly durationS: number;
  readonly repeats: number;
  /** Median requests/s over the repeats. */
  readonly rps: number;
  readonly rpsRuns: readonly number[];
  /** Median CPU µs the proxy's process tree spent per completed request. */
  readonly cpuUsPerReq: number;
  readonly cpuUsPerReqRuns: readonly number[];
  /** (max - min) / median over the repeats, %; null with a single repeat. */
  readonly spreadPct: { readonly rps: number | null; readonly cpu: number | null };
  /** The proxy's CPU use during the runs, % of one core (100 = saturated on its core). */
  readonly proxyCpuPct: number;
  readonly requests: number;
  readonly errors: ErrorCounts;
  /** The tool's own latency view (closed loop, so not comparable across proxies). */
  readonly closedLoopLatencyMs: Partial<Quantiles> | null;
  /** Every measured process in the last repeat. */
  readonly processes: readonly ProcFigures[];
  /** CPU µs per completed request of every measured role, over all repeats. */
  readonly cpuUsPerReqByRole: Readonly<Record<string, number>>;
  readonly foreignCpuPct: number;
}

/** An open-loop run at a fixed rate (our generator); latency from each request's intended send time. */
export interface Latency {
  readonly rate: number;
  readonly achievedRps: number;
  readonly durationS: number;
  readonly connections: number;
  readonly requests: number;
  readonly errors: ErrorCounts;
  /**
   * Requests that were due but never sent because every connection was still waiting for an answer:
   * the proxy fell behind the rate. Not failures of the proxy; they make the figure suspect.
   */
  readonly unsent: number;
  /** Measured from the intended send time (coordinated omission corrected). */
  readonly corrected: Quantiles;
  /** Measured from the actual send time (what a closed-loop tool would report). */
  readonly uncorrected: Quantiles;
  /** CPU µs the proxy spent per request at this rate. */
  readonly cpuUsPerReq: number | null;
  readonly processes: readonly ProcFigures[];
  readonly foreignCpuPct: number;
  /** How busy the load generator's CPU was, %; above ~90 % the generator may have delayed requests itself. */
  readonly loadCpuBusyPct: number | null;
  /** Set when the figures may describe the generator's limits rather than the proxy's. */
  readonly suspect?: string;
}

export interface Skipped {
  readonly skipped: string;
}

export interface RowBase {
  readonly id: string;
  readonly label: string;
  status: RowStatus;
  /** Why the row is missing or failed. */
  reason?: string;
}

export interface FrontRow extends RowBase {
  readonly proxy: string;
  readonly engine: string;
  readonly downstream: Proto;
  readonly upstream: Proto;
  /** How the peer was configured, in one line. */
  readonly setup: string;
  saturation?: Saturation;
  latency?: Latency | Skipped;
  latencyHalfNginx?: Latency | Skipped;
  /** cpuUsPerReq / the reference row's (see README); null when either is missing. */
  vsNginx?: number | null;
  vsHaproxy?: number | null;
}

export interface FrontSection {
  readonly pinning: string;
  readonly connections: number;
  /** Fixed rates used for the latency columns, per downstream protocol. */
  readonly rates: Record<Proto, { common: number | null; halfNginx: number | null }>;
  readonly rows: FrontRow[];
}

export interface SeedRow extends RowBase {
  readonly path: string;
  saturation?: Saturation;
  latency?: Latency | Skipped;
}

export interface SeedSection {
  readonly setup: string;
  readonly rows: SeedRow[];
}

export interface ConnectionsRow extends RowBase {
  readonly proxy: string;
  readonly engine: string;
  target?: number;
  opened?: number;
  stillOpen?: number;
  rssBeforeMb?: number;
  rssAfterMb?: number;
  /** (RSS after - RSS before) / opened, KiB: the median round's. */
  kbPerConnection?: number;
  /** Every round's figure, ascending. */
  kbRuns?: number[];
  vsNginx?: number | null;
  /** Connects and requests that failed while opening or re-using the connections. */
  failedRequests?: number;
  /** Seconds from the first connect to every connection having been served once. */
  openSeconds?: number;
}

export interface ConnectionsSection {
  readonly rows: ConnectionsRow[];
}

export interface WorkersRow extends RowBase {
  readonly engine: string;
  readonly workers: number;
  saturation?: Saturation;
  /** rps / the 1-worker row's rps for the same engine. */
  scaling?: number | null;
  /** Per-worker share of the counted quantity, % (sums to 100). */
  split?: number[] | null;
  /** What `split` counts: requests if nuncio has a per-worker request stat, else connections. */
  splitOf?: 'requests' | 'connections' | null;
  splitNote?: string;
  /** Per-worker share of accepted connections, % (listener.<address>.worker_<n>.downstream_cx_total). */
  connectionSplit?: number[] | null;
  /** CPU share of the busiest threads of the proxy process, % of the process's CPU. */
  threadShares?: number[];
}

export interface WorkersSection {
  readonly setup: string;
  readonly rows: WorkersRow[];
}

export interface MicroTask {
  readonly name: string;
  readonly opsPerSec: number;
  readonly meanNs: number;
  readonly rmePct: number;
  readonly samples: number;
}

export interface MicroRow extends RowBase {
  readonly file: string;
  tasks?: MicroTask[];
}

export interface MicroSection {
  readonly rows: MicroRow[];
}

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly kernel: string;
  readonly memTotalMb: number;
  readonly loadavgStart: readonly number[];
  loadavgEnd?: readonly number[];
}

export interface SoakEvent {
  readonly atS: number;
  readonly what: string;
}

/** Scenario "soak": lost requests and the memory trend over a run with restarts, DNS changes, reloads. */
export interface SoakSection {
  readonly durationS: number;
  readonly connectionsPerListener: number;
  readonly counts: { sent: number; answered: number; '2xx': number; '3xx': number; '4xx': number; '5xx': number; lost: number };
  readonly lostReasons: Record<string, number>;
  /** 4xx/5xx answers the upstream does not give on purpose (by status, path, start of body). */
  readonly unexpectedReplies: Record<string, number>;
  readonly events: readonly SoakEvent[];
  readonly reloadsApplied: number;
  readonly configsSeen: readonly string[];
  /** [seconds since start, RSS MiB] every second. */
  readonly rssMb: readonly (readonly [number, number])[];
  /** Least-squares slope of RSS over the second half of the run. */
  readonly rssSlopeMbPerMin: number;
  readonly rssGrowthLimitMbPerMin: number;
  readonly verdict: 'pass' | 'FAIL';
}

export interface Results {
  readonly schema: 1;
  readonly date: string;
  readonly quick: boolean;
  readonly options: Record<string, unknown>;
  readonly machine: Machine;
  readonly versions: Record<string, string>;
  readonly scenarios: {
    seed?: SeedSection;
    front?: FrontSection;
    connections?: ConnectionsSection;
    workers?: WorkersSection;
    micro?: MicroSection;
    soak?: SoakSection;
  };
  /** Failed requests over the whole run, by row id. */
  errors: { total: number; byRow: Record<string, number> };
  /** Rows that did not run, by id, with the reason. */
  problems: { id: string; status: RowStatus; reason: string }[];
  elapsedS?: number;
}

export function isSkipped(x: Latency | Skipped | undefined): x is Skipped {
  return x !== undefined && 'skipped' in x;
}
