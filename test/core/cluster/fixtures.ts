// Shared test fixtures for clusters: a seeded random source, hosts, a complete ClusterConfig and a
// ClusterRuntime wired to real stat blocks (row 0 = this worker, row 1 = "another worker").
import type { ClusterConfig } from '../../../core/config/types.js';
import { Host, type HostSpec } from '../../../core/cluster/host.js';
import { ClusterRuntime, HostStats, HOSTS_PER_PAGE, type PoolFactory } from '../../../core/cluster/runtime.js';
import { StatBlock } from '../../../core/stats/block.js';
import { CLUSTER_FULL_SIZE, CLUSTER_HISTOGRAMS, HOST_BLOCK_SIZE } from '../../../core/stats/defs.js';
import { HistogramWriter, newHistogramBlock, type HistogramBlockDescriptor } from '../../../core/stats/histograms.js';

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random source that replays `values` (then repeats the last one). */
export function sequence(values: readonly number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
}

export function mkHost(i: number, weight = 1, healthFlags = 0): Host {
  return new Host(`10.0.0.${i}`, 8000 + i, `h${i}`, weight, i, healthFlags);
}

export function mkSpec(i: number, over: Partial<HostSpec> = {}): HostSpec {
  return { address: `10.0.0.${i}`, port: 8000 + i, hostname: `h${i}`, weight: 1, statIndex: i, healthFlags: 0, ...over };
}

/** Picks `n` hosts and counts them by key. */
export function countPicks(choose: () => Host | null, n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const h = choose();
    const k = h === null ? 'null' : h.key;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

export function clusterConfig(over: Partial<ClusterConfig> = {}): ClusterConfig {
  const thresholds = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, retryBudget: null };
  const base: ClusterConfig = {
    name: 'c1',
    altStatName: '',
    type: 'STATIC',
    connectTimeoutMs: 5000,
    lbPolicy: 'ROUND_ROBIN',
    leastRequestChoiceCount: 2,
    endpoints: [],
    dnsRefreshRateMs: 5000,
    dnsFailureRefreshRateMs: 5000,
    respectDnsTtl: false,
    dnsLookupFamily: 'AUTO',
    dnsResolvers: [],
    protocol: 'http1',
    http2: {
      maxConcurrentStreams: 100,
      initialStreamWindowSize: 65535,
      initialConnectionWindowSize: 65535,
      maxOutboundFrames: 10000,
      maxOutboundControlFrames: 1000,
      maxConsecutiveInboundFramesWithEmptyPayload: 1,
      maxInboundPriorityFramesPerStream: 100,
      maxInboundWindowUpdateFramesPerDataFrameSent: 10,
    },
    upstreamIdleTimeoutMs: 3600000,
    maxRequestsPerConnection: 0,
    perConnectionBufferLimitBytes: 1048576,
    circuitBreakers: { default: thresholds, high: thresholds },
    healthChecks: [],
    outlierDetection: null,
    healthyPanicThresholdPercent: 50,
    tls: null,
  };
  return { ...base, ...over };
}

export interface RuntimeFixture {
  readonly rt: ClusterRuntime;
  /** This worker's row of the cluster block. */
  readonly stats: Float64Array;
  /** Another worker's row (to simulate load elsewhere for the circuit breakers). */
  readonly other: Float64Array;
  readonly block: StatBlock;
  readonly hostBlock: StatBlock;
  readonly hostStats: HostStats;
  /** The cluster's histograms (this worker writes row 0). */
  readonly hist: HistogramBlockDescriptor;
}

export function makeRuntime(cfg: ClusterConfig, poolFactory: PoolFactory, random: () => number = seeded(1)): RuntimeFixture {
  const block = new StatBlock(`cluster.${cfg.name}`, 'cluster', CLUSTER_FULL_SIZE, 2);
  const histBlock = newHistogramBlock(`cluster.${cfg.name}`, CLUSTER_HISTOGRAMS, 2);
  const hist = new HistogramWriter(histBlock, 0);
  const hostBlock = new StatBlock(`hosts.${cfg.name}.0`, 'hosts', HOSTS_PER_PAGE * HOST_BLOCK_SIZE, 2);
  const hostStats = new HostStats(0);
  hostStats.addPage(hostBlock);
  const stats = block.row(0);
  const rt = new ClusterRuntime(cfg, stats, block, hist, hostStats, poolFactory, random);
  return { rt, stats, other: block.row(1), block, hostBlock, hostStats, hist: histBlock };
}
