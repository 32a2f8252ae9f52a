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

export class HostStats {
  /** Row views (this worker) and whole pages (for summing gauges across workers). */
  private readonly rows: Float64Array[] = [];
  private readonly blocks: StatBlock[] = [];

  constructor(private readonly row: number) {}

  addPage(block: StatBlock): void {
    this.blocks.push(block);
    this.rows.push(block.row(this.row));
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
  /** Requests whose retries are in progress (max_retries circuit breaker), this worker only. */
  retriesActive = 0;

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
}
