// A cluster as one worker runs it: config, this worker's stat row, the shared block (to read other
// workers' gauges for circuit breakers and LEAST_REQUEST), the host set with its load balancer, and
// the factory that gives each host its connection pool.
import type { ClusterConfig, CircuitBreakerThresholds } from '../config/types.js';
import type { StatBlock } from '../stats/block.js';
import { CLUSTER, HOST, HOST_BLOCK_SIZE } from '../stats/defs.js';
import type { HistogramWriter } from '../stats/histograms.js';
import type { UpstreamPool } from '../http/contracts.js';
import { Host, type HostSpec } from './host.js';
import { HostSet, createLb } from './host-set.js';

/** Per-host stats live in pages of 256 hosts; the admin thread hands out indices. */
export const HOSTS_PER_PAGE = 256;
/** Shared Int32 outlier counters per host: consecutive 5xx, consecutive gateway failures, local origin. */
export const OUTLIER_SLOTS = 4;
export const OD_5XX = 0;
export const OD_GATEWAY = 1;
export const OD_LOCAL = 2;

export class HostStats {
  /** Row views (this worker) and whole pages (for summing gauges across workers). */
  private readonly rows: Float64Array[] = [];
  private readonly blocks: StatBlock[] = [];
  private readonly aux: (Int32Array | null)[] = [];

  constructor(private readonly row: number) {}

  addPage(block: StatBlock): void {
    this.blocks.push(block);
    this.rows.push(block.row(this.row));
    this.aux.push(block.aux ? new Int32Array(block.aux) : null);
  }

  /**
   * Records one outcome for outlier detection in the counters all workers share (Envoy's
   * DetectorHostMonitor): `kind` 0 success, 1 a 5xx that is not a gateway error, 2 a gateway error
   * (502/503/504, connect failure, timeout). Returns a bit mask of the thresholds this call reached
   * (1: consecutive 5xx, 2: consecutive gateway failures), so exactly one worker reports each.
   */
  outlier(index: number, kind: number, threshold5xx: number, thresholdGateway: number): number {
    const a = this.aux[(index / HOSTS_PER_PAGE) | 0];
    if (!a) return 0;
    const o = (index % HOSTS_PER_PAGE) * OUTLIER_SLOTS;
    if (kind === 0) {
      if (a[o + OD_5XX] !== 0) Atomics.store(a, o + OD_5XX, 0);
      if (a[o + OD_GATEWAY] !== 0) Atomics.store(a, o + OD_GATEWAY, 0);
      return 0;
    }
    let hit = 0;
    if (kind === 2) {
      if (Atomics.add(a, o + OD_GATEWAY, 1) + 1 === thresholdGateway) hit |= 2;
    } else if (a[o + OD_GATEWAY] !== 0) Atomics.store(a, o + OD_GATEWAY, 0);
    if (Atomics.add(a, o + OD_5XX, 1) + 1 === threshold5xx) hit |= 1;
    return hit;
  }

  get pages(): number {
    return this.blocks.length;
  }

  inc(index: number, slot: number, by = 1): void {
    const page = this.rows[(index / HOSTS_PER_PAGE) | 0];
    if (page) page[(index % HOSTS_PER_PAGE) * HOST_BLOCK_SIZE + slot] += by;
  }

  /** A host gauge summed over all workers (rq_active for LEAST_REQUEST). */
  sum(index: number, slot: number): number {
    const b = this.blocks[(index / HOSTS_PER_PAGE) | 0];
    return b ? b.sum((index % HOSTS_PER_PAGE) * HOST_BLOCK_SIZE + slot) : 0;
  }
}

export type PoolFactory = (cluster: ClusterRuntime, host: Host) => UpstreamPool;

export class ClusterRuntime {
  readonly hostSet: HostSet;
  readonly name: string;
  readonly thresholds: CircuitBreakerThresholds;

  constructor(
    readonly cfg: ClusterConfig,
    /** This worker's row of the cluster block. */
    readonly stats: Float64Array,
    readonly block: StatBlock,
    readonly hist: HistogramWriter,
    readonly hostStats: HostStats,
    private readonly poolFactory: PoolFactory,
    random: () => number = Math.random,
  ) {
    this.name = cfg.name;
    this.thresholds = cfg.circuitBreakers.default;
    const lb = createLb(cfg, (h) => hostStats.sum(h.statIndex, HOST.rq_active), random);
    this.hostSet = new HostSet(lb, cfg.healthyPanicThresholdPercent);
  }

  /** Applies a membership update; returns hosts that left (their pools should drain). */
  updateHosts(specs: readonly HostSpec[]): Host[] {
    return this.hostSet.update(specs);
  }

  /** Feeds outlier detection (no-op unless configured); `onHit` tells the admin thread. */
  reportOutcome(host: Host, kind: number, onHit: (cluster: string, host: Host, which: number) => void): void {
    const od = this.cfg.outlierDetection;
    if (od === null) return;
    const hit = this.hostStats.outlier(host.statIndex, kind, od.consecutive5xx, od.consecutiveGatewayFailure);
    if (hit !== 0) onHit(this.name, host, hit);
  }

  /** Picks a host for one request, counting panic mode as Envoy does. */
  chooseHost(): Host | null {
    const hs = this.hostSet;
    if (hs.panic) this.stats[CLUSTER.lb_healthy_panic]++;
    return hs.lb.choose();
  }

  pool(host: Host): UpstreamPool {
    let p = host.pool as UpstreamPool | null;
    if (!p) {
      p = this.poolFactory(this, host);
      host.pool = p;
    }
    return p;
  }

  /** Active requests across all workers (circuit breaker max_requests). */
  activeRequests(): number {
    return this.block.sum(CLUSTER.upstream_rq_active);
  }

  pendingRequests(): number {
    return this.block.sum(CLUSTER.upstream_rq_pending_active);
  }

  activeConnections(): number {
    return this.block.sum(CLUSTER.upstream_cx_active);
  }

  /** Retries in progress across all workers (upstream_rq_retry_active: each worker counts in its own row). */
  activeRetries(): number {
    return this.block.sum(CLUSTER.upstream_rq_retry_active);
  }

  /** The retry circuit breaker's limit now (max_retries, or the retry budget over this cluster's load). */
  retryLimit(): number {
    const t = this.thresholds;
    if (t.retryBudget === null) return t.maxRetries;
    return retryLimit(t, this.block.sum(CLUSTER.upstream_rq_active) + this.block.sum(CLUSTER.upstream_rq_pending_active));
  }

  /** Envoy's retries().canCreate(): may one more retry start? */
  canRetry(): boolean {
    return this.activeRetries() < this.retryLimit();
  }

  /** A retry took a slot of the breaker; `retryEnded` gives it back (same worker). */
  retryStarted(): void {
    this.stats[CLUSTER.upstream_rq_retry_active]++;
  }

  retryEnded(): void {
    this.stats[CLUSTER.upstream_rq_retry_active]--;
  }
}

/**
 * Envoy's RetryBudgetImpl::max(): with a retry budget, max(budget_percent% of the cluster's active plus
 * pending requests — truncated to an integer, as the C++ conversion does — and min_retry_concurrency);
 * without one, max_retries. `activeAndPending` is the cluster-wide sum.
 */
export function retryLimit(t: CircuitBreakerThresholds, activeAndPending: number): number {
  const b = t.retryBudget;
  if (b === null) return t.maxRetries;
  return Math.max(Math.floor((b.budgetPercent / 100) * activeAndPending), b.minRetryConcurrency);
}
