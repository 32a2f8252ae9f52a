// Turns the registry's shared blocks into the stats Envoy would have: full names, summed values, which
// stats exist (Envoy creates router per-code counters, internal./external. and TLS version counters
// lazily, health-check and outlier sections only when configured), per-worker listener views, and
// histograms with cumulative and last-interval summaries. Also owns the interval snapshots and reset.
import type { ClusterConfig, ListenerConfig, Snapshot } from '../config/types.js';
import type { StatBlock, BlockType } from './block.js';
import type { StatsRegistry } from './registry.js';
import {
  CLUSTER,
  CLUSTER_BLOCK_SIZE,
  CLUSTER_LIST,
  CODE_BASE_EXTERNAL,
  CODE_BASE_INTERNAL,
  CODE_BASE_PLAIN,
  CODE_MAX,
  CODE_MIN,
  CODEC_LIST,
  HC_BASE,
  HCM,
  HCM_LIST,
  HEALTH_CHECK_LIST,
  LISTENER,
  LISTENER_LIST,
  LISTENER_TLS_BASE,
  LISTENER_TLS_LIST,
  OD_BASE,
  OUTLIER_LIST,
  SERVER_LIST,
  type StatList,
} from './defs.js';
import { EMPTY_HISTOGRAM, HIST_SLOTS, mergeRows, summarize, type HistogramBlockDescriptor, type HistogramStats } from './histograms.js';

export type StatKind = 'counter' | 'gauge';

export interface CollectedStat {
  readonly name: string;
  readonly value: number;
  readonly kind: StatKind;
}

export interface CollectedHistogram {
  readonly name: string;
  /** Everything recorded since start (all rows merged now). */
  readonly cumulative: HistogramStats;
  /** What was recorded in the last completed flush interval. */
  readonly interval: HistogramStats;
}

export interface CollectedStats {
  readonly stats: readonly CollectedStat[];
  readonly histograms: readonly CollectedHistogram[];
}

/** Early filter (name regex, type=) so unwanted histograms are never summarised. */
export type StatWanted = (name: string, kind: StatKind | 'histogram') => boolean;

const ALL: StatWanted = () => true;

/** Router-emitted cluster counters that Envoy creates on the first response that charges them. */
const LAZY_CLUSTER = new Set<string>(
  CLUSTER_LIST.map(([n]) => n).filter((n) => n.startsWith('internal.') || n.startsWith('external.') || /^upstream_rq_\dxx$/.test(n)),
);
/** The router filter's stats under `http.<prefix>.`: the admin's own connection manager has no router. */
const ROUTER_HCM = new Set<string>(
  HCM_LIST.map(([n]) => n).filter((n) => /^(no_cluster|no_route|passthrough_internal_redirect_.*|rq_direct_response|rq_redirect|rq_reset_after_downstream_response_started|rq_total)$/.test(n)),
);
/** The health_check filter's stats under `http.<prefix>.`, present only where that filter is configured. */
const HEALTH_CHECK_HCM = new Set<string>(HCM_LIST.map(([n]) => n).filter((n) => n.startsWith('health_check.')));
/** Router-emitted histograms, likewise lazy. */
const LAZY_CLUSTER_HIST = new Set(['upstream_rq_time', 'internal.upstream_rq_time', 'external.upstream_rq_time']);

function kindOf(k: 'c' | 'g'): StatKind {
  return k === 'c' ? 'counter' : 'gauge';
}

class Collector {
  readonly stats: CollectedStat[] = [];

  constructor(private readonly wanted: StatWanted) {}

  add(name: string, value: number, kind: StatKind): void {
    if (this.wanted(name, kind)) this.stats.push({ name, value, kind });
  }

  list(prefix: string, b: StatBlock, list: StatList, base = 0, lazy?: ReadonlySet<string>, absent?: (n: string) => boolean): void {
    for (let i = 0; i < list.length; i++) {
      const [n, k] = list[i];
      if (absent !== undefined && absent(n)) continue;
      const v = b.sum(base + i);
      if (lazy !== undefined && v === 0 && lazy.has(n)) continue;
      this.add(prefix + n, v, kindOf(k));
    }
  }
}

function clusterByStatName(s: Snapshot): Map<string, ClusterConfig> {
  const m = new Map<string, ClusterConfig>();
  for (const c of s.clusters) m.set(c.altStatName || c.name, c);
  return m;
}

function listenerByPrefix(s: Snapshot): Map<string, ListenerConfig> {
  const m = new Map<string, ListenerConfig>();
  for (const l of s.listeners) m.set(l.statPrefix, l);
  return m;
}

/** HCM stat prefixes whose filter chain has the health_check filter. */
function healthCheckPrefixes(s: Snapshot): Set<string> {
  const out = new Set<string>();
  for (const l of s.listeners) for (const fc of l.filterChains) if (fc.hcm.healthCheck !== null) out.add(fc.hcm.statPrefix);
  return out;
}

function collectHcm(c: Collector, b: StatBlock, healthChecked: ReadonlySet<string>, workers: number): void {
  const prefix = b.key.slice('http.'.length);
  const admin = b.key === 'http.admin';
  const hc = healthChecked.has(prefix);
  c.list(`${b.key}.`, b, HCM_LIST, 0, undefined, (n) => (admin && ROUTER_HCM.has(n)) || (!hc && HEALTH_CHECK_HCM.has(n)));
  if (admin) return;
  // nuncio's addition (Envoy has per-worker stats only for listener connections): requests per worker,
  // straight from each worker's row, so an operator can see how evenly SO_REUSEPORT spreads the load —
  // including on uWebSockets.js listeners, which cannot count connections.
  for (let w = 0; w < workers; w++) {
    c.add(`${b.key}.worker_${w}.downstream_rq_total`, b.at(w, HCM.downstream_rq_total), 'counter');
    c.add(`${b.key}.worker_${w}.downstream_rq_active`, b.at(w, HCM.downstream_rq_active), 'gauge');
  }
}

/**
 * Circuit breaker "open" gauges are derived here from the summed gauges and the thresholds (Envoy sets
 * them when a resource is at its limit); no worker could know the total on its own.
 */
function breakerOpen(b: StatBlock, cfg: ClusterConfig | undefined, name: string): number | null {
  const m = /^circuit_breakers\.(default|high)\.(\w+)$/.exec(name);
  if (m === null) return null;
  if (cfg === undefined || m[1] === 'high') return 0;
  const t = cfg.circuitBreakers.default;
  switch (m[2]) {
    case 'cx_open':
      return b.sum(CLUSTER.upstream_cx_active) >= t.maxConnections ? 1 : 0;
    case 'rq_open':
      return b.sum(CLUSTER.upstream_rq_active) >= t.maxRequests ? 1 : 0;
    case 'rq_pending_open':
      return b.sum(CLUSTER.upstream_rq_pending_active) >= t.maxPendingRequests ? 1 : 0;
    case 'rq_retry_open':
      // Against max_retries even with a retry budget: Envoy's budget keeps the max_retries resource
      // underneath, and that resource sets this gauge.
      return b.sum(CLUSTER.upstream_rq_retry_active) >= t.maxRetries ? 1 : 0;
    default:
      return 0;
  }
}

function collectCluster(c: Collector, b: StatBlock, cfg: ClusterConfig | undefined): void {
  const p = `${b.key}.`;
  for (let i = 0; i < CLUSTER_LIST.length; i++) {
    const [n, k] = CLUSTER_LIST[i];
    const open = breakerOpen(b, cfg, n);
    const v = open ?? b.sum(i);
    if (v === 0 && LAZY_CLUSTER.has(n)) continue;
    c.add(p + n, v, kindOf(k));
  }
  for (let code = CODE_MIN; code <= CODE_MAX; code++) {
    const off = code - CODE_MIN;
    const plain = b.sum(CODE_BASE_PLAIN + off);
    if (plain !== 0) c.add(`${p}upstream_rq_${code}`, plain, 'counter');
    const internal = b.sum(CODE_BASE_INTERNAL + off);
    if (internal !== 0) c.add(`${p}internal.upstream_rq_${code}`, internal, 'counter');
    const external = b.sum(CODE_BASE_EXTERNAL + off);
    if (external !== 0) c.add(`${p}external.upstream_rq_${code}`, external, 'counter');
  }
  if (cfg !== undefined && cfg.healthChecks.length > 0) c.list(p, b, HEALTH_CHECK_LIST, HC_BASE);
  if (cfg !== undefined && cfg.outlierDetection !== null) c.list(p, b, OUTLIER_LIST, OD_BASE);
}

function collectListener(c: Collector, b: StatBlock, cfg: ListenerConfig | undefined, workers: number): void {
  const p = `${b.key}.`;
  c.list(p, b, LISTENER_LIST);
  if (cfg !== undefined && cfg.filterChains.some((fc) => fc.tls !== null)) {
    for (let i = 0; i < LISTENER_TLS_LIST.length; i++) {
      const [n, k] = LISTENER_TLS_LIST[i];
      const v = b.sum(LISTENER_TLS_BASE + i);
      // ssl.versions.<v> (like ciphers, curves) is created on the first handshake that negotiates it.
      if (v === 0 && n.startsWith('ssl.versions.')) continue;
      c.add(p + n, v, kindOf(k));
    }
  }
  if (b.key === 'listener.admin') {
    // The admin listener runs on the main thread, which Envoy names rather than numbers.
    const r = b.rows - 1;
    c.add(`${p}main_thread.downstream_cx_active`, b.at(r, LISTENER.downstream_cx_active), 'gauge');
    c.add(`${p}main_thread.downstream_cx_total`, b.at(r, LISTENER.downstream_cx_total), 'counter');
    return;
  }
  for (let w = 0; w < workers; w++) {
    c.add(`${p}worker_${w}.downstream_cx_active`, b.at(w, LISTENER.downstream_cx_active), 'gauge');
    c.add(`${p}worker_${w}.downstream_cx_total`, b.at(w, LISTENER.downstream_cx_total), 'counter');
  }
}

// ---------------------------------------------------------------------------------------------
// Histogram intervals: merged counts at the previous flush, and the summary of the last interval.

interface IntervalState {
  /** Merged counts (plus sum) as of the last flush. */
  readonly prev: Float64Array;
  interval: HistogramStats;
}

const intervalsByRegistry = new WeakMap<StatsRegistry, Map<string, IntervalState[]>>();
const scratch = new Float64Array(HIST_SLOTS);
const diff = new Float64Array(HIST_SLOTS);

function statesFor(registry: StatsRegistry, d: HistogramBlockDescriptor): IntervalState[] {
  let byKey = intervalsByRegistry.get(registry);
  if (byKey === undefined) {
    byKey = new Map();
    intervalsByRegistry.set(registry, byKey);
  }
  let states = byKey.get(d.key);
  if (states === undefined) {
    states = d.names.map(() => ({ prev: new Float64Array(HIST_SLOTS), interval: EMPTY_HISTOGRAM }));
    byKey.set(d.key, states);
  }
  return states;
}

/**
 * Closes the current interval of every histogram: what was recorded since the previous call becomes
 * the "interval" view (the server calls this every stats_flush_interval, as Envoy merges histograms).
 */
export function flushHistograms(registry: StatsRegistry): void {
  for (const d of registry.histograms.values()) {
    const states = statesFor(registry, d);
    for (let i = 0; i < d.names.length; i++) {
      const st = states[i];
      mergeRows(d, i, scratch);
      let any = false;
      for (let s = 0; s < HIST_SLOTS; s++) {
        // A replaced worker's zeroed row can make counts go down; that is not negative traffic.
        const v = scratch[s] - st.prev[s];
        diff[s] = v > 0 ? v : 0;
        if (v > 0 && s < HIST_SLOTS - 1) any = true;
      }
      st.prev.set(scratch);
      st.interval = any ? summarize(diff) : EMPTY_HISTOGRAM;
    }
  }
}

function lastInterval(registry: StatsRegistry, d: HistogramBlockDescriptor, i: number): HistogramStats {
  return intervalsByRegistry.get(registry)?.get(d.key)?.[i]?.interval ?? EMPTY_HISTOGRAM;
}

function collectHistograms(registry: StatsRegistry, wanted: StatWanted, out: CollectedHistogram[]): void {
  for (const d of registry.histograms.values()) {
    if (!registry.live.has(d.key)) continue;
    const isCluster = d.key.startsWith('cluster.');
    for (let i = 0; i < d.names.length; i++) {
      const name = `${d.key}.${d.names[i]}`;
      if (!wanted(name, 'histogram')) continue;
      mergeRows(d, i, scratch);
      const cumulative = summarize(scratch);
      if (isCluster && cumulative.count === 0 && LAZY_CLUSTER_HIST.has(d.names[i])) continue;
      out.push({ name, cumulative, interval: lastInterval(registry, d, i) });
    }
  }
}

/** Every stat Envoy would list for the live scopes (unsorted; renderers sort). */
export function collectStats(registry: StatsRegistry, snapshot: Snapshot, wanted: StatWanted = ALL): CollectedStats {
  const c = new Collector(wanted);
  const clusters = clusterByStatName(snapshot);
  const listeners = listenerByPrefix(snapshot);
  const healthChecked = healthCheckPrefixes(snapshot);
  const workers = registry.rows - 1;
  for (const b of registry.blocks.values()) {
    if (!registry.live.has(b.key)) continue;
    switch (b.type) {
      case 'cluster':
        collectCluster(c, b, clusters.get(b.key.slice('cluster.'.length)));
        break;
      case 'hcm':
        collectHcm(c, b, healthChecked, workers);
        break;
      case 'listener':
        collectListener(c, b, listeners.get(b.key.slice('listener.'.length)), workers);
        break;
      case 'server':
        c.list('', b, SERVER_LIST);
        break;
      case 'codec':
        c.list('', b, CODEC_LIST);
        break;
      case 'hosts':
        break;
    }
  }
  const histograms: CollectedHistogram[] = [];
  collectHistograms(registry, wanted, histograms);
  return { stats: c.stats, histograms };
}

// ---------------------------------------------------------------------------------------------
// Counter reset (/reset_counters): gauges and histograms keep their values, as in Envoy.

function kindMask(list: StatList, size: number, base = 0, mask: Uint8Array = new Uint8Array(size)): Uint8Array {
  list.forEach(([, k], i) => (mask[base + i] = k === 'c' ? 1 : 0));
  return mask;
}

function clusterMask(): Uint8Array {
  const m = new Uint8Array(OD_BASE + OUTLIER_LIST.length);
  kindMask(CLUSTER_LIST, m.length, 0, m);
  m.fill(1, CLUSTER_LIST.length, CLUSTER_BLOCK_SIZE);
  kindMask(HEALTH_CHECK_LIST, m.length, HC_BASE, m);
  kindMask(OUTLIER_LIST, m.length, OD_BASE, m);
  return m;
}

const COUNTER_MASKS: Readonly<Record<Exclude<BlockType, 'hosts'>, Uint8Array>> = {
  cluster: clusterMask(),
  hcm: kindMask(HCM_LIST, HCM_LIST.length),
  listener: kindMask(LISTENER_TLS_LIST, LISTENER_TLS_BASE + LISTENER_TLS_LIST.length, LISTENER_TLS_BASE, kindMask(LISTENER_LIST, LISTENER_TLS_BASE + LISTENER_TLS_LIST.length)),
  server: kindMask(SERVER_LIST, SERVER_LIST.length),
  codec: kindMask(CODEC_LIST, CODEC_LIST.length),
};

/** Whether `slot` of a block of this type is a counter (per-host pages are not in Envoy's store). */
export function isCounterSlot(type: BlockType, slot: number): boolean {
  if (type === 'hosts') return false;
  return COUNTER_MASKS[type][slot] === 1;
}

/** Zeroes every counter of every block in all rows; gauges, per-host stats and histograms stay. */
export function resetCounters(registry: StatsRegistry): void {
  for (const b of registry.blocks.values()) {
    if (b.type === 'hosts') continue;
    const mask = COUNTER_MASKS[b.type];
    b.reset(0, b.size, (s) => mask[s] === 1);
  }
}
