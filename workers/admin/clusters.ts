// /clusters in Envoy's text form (`<cluster>::<host>::<stat>::<value>` lines, circuit breakers, outlier
// summary) and JSON form (admin.v3.Clusters). Host stats come from the shared per-host slots; locality
// and priority from the endpoint the host was resolved from.
import type { CircuitBreakerThresholds, ClusterConfig, Endpoint } from '../../core/config/types.js';
import { HealthFlag, healthFlagsText, type HostSpec } from '../../core/cluster/host.js';
import { retryLimit } from '../../core/cluster/runtime.js';
import { CLUSTER, HOST, HOST_LIST } from '../../core/stats/defs.js';
import { KEYS, type StatsRegistry } from '../../core/stats/registry.js';
import { addressJson, hostPort, prettyJson, u64 } from './proto-json.js';

export interface ClusterSource {
  readonly registry: StatsRegistry;
  hosts(cluster: string): readonly HostSpec[];
}

/** Host stats in the order Envoy's host->counters() then host->gauges() give them. */
const HOST_COUNTERS = ['cx_connect_fail', 'cx_total', 'rq_error', 'rq_success', 'rq_timeout', 'rq_total'] as const;
const HOST_GAUGES = ['cx_active', 'rq_active'] as const;
/** The text form sorts all of them by name. */
const HOST_SORTED = HOST_LIST.map(([n]) => n).sort();

function sortedClusters(clusters: readonly ClusterConfig[]): ClusterConfig[] {
  return [...clusters].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The endpoint a host came from: same IP, or the DNS name it was resolved from. */
function endpointOf(c: ClusterConfig, h: HostSpec): Endpoint | undefined {
  return (
    c.endpoints.find((e) => e.port === h.port && e.address === h.address) ??
    c.endpoints.find((e) => e.port === h.port && (e.address === h.hostname || (e.hostname !== '' && e.hostname === h.hostname)))
  );
}

/**
 * Active plus pending requests of a cluster's default priority, over all workers: a retry budget's
 * limit follows them. nuncio sends every request at the default priority, so the high one has none.
 */
function defaultLoad(src: ClusterSource, c: ClusterConfig): number {
  const b = src.registry.get(KEYS.cluster(c.altStatName || c.name));
  return b === undefined ? 0 : b.sum(CLUSTER.upstream_rq_active) + b.sum(CLUSTER.upstream_rq_pending_active);
}

/** Envoy prints retries().max(): with a retry budget, the limit the budget gives at this moment. */
function cbText(name: string, prio: string, t: CircuitBreakerThresholds, load: number): string {
  return (
    `${name}::${prio}_priority::max_connections::${t.maxConnections}\n` +
    `${name}::${prio}_priority::max_pending_requests::${t.maxPendingRequests}\n` +
    `${name}::${prio}_priority::max_requests::${t.maxRequests}\n` +
    `${name}::${prio}_priority::max_retries::${retryLimit(t, load)}\n`
  );
}

/** The /clusters text body. */
export function renderClustersText(src: ClusterSource, clusters: readonly ClusterConfig[]): string {
  let out = '';
  for (const c of sortedClusters(clusters)) {
    const n = c.name;
    out += `${n}::observability_name::${c.altStatName || c.name}\n`;
    if (c.outlierDetection !== null) {
      // nuncio computes no success-rate statistics; Envoy prints -1 until it has enough of them.
      out += `${n}::outlier::success_rate_average::-1\n`;
      out += `${n}::outlier::success_rate_ejection_threshold::-1\n`;
      out += `${n}::outlier::local_origin_success_rate_average::-1\n`;
      out += `${n}::outlier::local_origin_success_rate_ejection_threshold::-1\n`;
    }
    out += cbText(n, 'default', c.circuitBreakers.default, defaultLoad(src, c));
    out += cbText(n, 'high', c.circuitBreakers.high, 0);
    out += `${n}::added_via_api::false\n`;
    for (const h of src.hosts(c.name)) {
      const p = `${n}::${hostPort(h.address, h.port)}::`;
      for (const stat of HOST_SORTED) out += `${p}${stat}::${src.registry.hostValue(h.statIndex, HOST[stat as keyof typeof HOST])}\n`;
      const ep = endpointOf(c, h);
      out += `${p}hostname::${h.hostname}\n`;
      out += `${p}health_flags::${healthFlagsText(h.healthFlags)}\n`;
      out += `${p}weight::${h.weight}\n`;
      out += `${p}region::${ep?.locality.region ?? ''}\n`;
      out += `${p}zone::${ep?.locality.zone ?? ''}\n`;
      out += `${p}sub_zone::${ep?.locality.subZone ?? ''}\n`;
      out += `${p}canary::false\n`;
      out += `${p}priority::${ep?.priority ?? 0}\n`;
      out += `${p}success_rate::-1\n`;
      out += `${p}local_origin_success_rate::-1\n`;
    }
  }
  return out;
}

function thresholdsJson(t: CircuitBreakerThresholds, high: boolean, load: number): Record<string, unknown> {
  return {
    ...(high ? { priority: 'HIGH' } : {}),
    max_connections: t.maxConnections,
    max_pending_requests: t.maxPendingRequests,
    max_requests: t.maxRequests,
    max_retries: retryLimit(t, load),
  };
}

function healthJson(flags: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (bit: number, key: string): void => {
    if (flags & bit) out[key] = true;
  };
  set(HealthFlag.FAILED_ACTIVE_HC, 'failed_active_health_check');
  set(HealthFlag.FAILED_OUTLIER_CHECK, 'failed_outlier_check');
  set(HealthFlag.DEGRADED_ACTIVE_HC, 'failed_active_degraded_check');
  set(HealthFlag.PENDING_DYNAMIC_REMOVAL, 'pending_dynamic_removal');
  set(HealthFlag.PENDING_ACTIVE_HC, 'pending_active_hc');
  set(HealthFlag.ACTIVE_HC_TIMEOUT, 'active_hc_timeout');
  out.eds_health_status = flags & HealthFlag.FAILED_EDS_HEALTH ? 'UNHEALTHY' : 'HEALTHY';
  return out;
}

function metric(name: string, value: number, gauge: boolean): Record<string, unknown> {
  // SimpleMetric {type, value, name}: COUNTER (0) and a zero value are proto defaults, so omitted.
  const m: Record<string, unknown> = {};
  if (gauge) m.type = 'GAUGE';
  if (value !== 0) m.value = u64(value);
  m.name = name;
  return m;
}

/** The /clusters?format=json body. */
export function renderClustersJson(src: ClusterSource, clusters: readonly ClusterConfig[]): string {
  const statuses = sortedClusters(clusters).map((c) => {
    const hosts = src.hosts(c.name).map((h) => {
      const ep = endpointOf(c, h);
      const v = (s: string): number => src.registry.hostValue(h.statIndex, HOST[s as keyof typeof HOST]);
      const hs: Record<string, unknown> = {
        address: addressJson(h.address, h.port),
        stats: [...HOST_COUNTERS.map((s) => metric(s, v(s), false)), ...HOST_GAUGES.map((s) => metric(s, v(s), true))],
        health_status: healthJson(h.healthFlags),
      };
      if (h.weight !== 0) hs.weight = h.weight;
      if (h.hostname !== '') hs.hostname = h.hostname;
      if ((ep?.priority ?? 0) !== 0) hs.priority = ep!.priority;
      const loc: Record<string, string> = {};
      if (ep?.locality.region) loc.region = ep.locality.region;
      if (ep?.locality.zone) loc.zone = ep.locality.zone;
      if (ep?.locality.subZone) loc.sub_zone = ep.locality.subZone;
      hs.locality = loc;
      return hs;
    });
    const cs: Record<string, unknown> = { name: c.name };
    if (hosts.length > 0) cs.host_statuses = hosts;
    cs.circuit_breakers = { thresholds: [thresholdsJson(c.circuitBreakers.default, false, defaultLoad(src, c)), thresholdsJson(c.circuitBreakers.high, true, 0)] };
    cs.observability_name = c.altStatName || c.name;
    return cs;
  });
  return prettyJson(statuses.length > 0 ? { cluster_statuses: statuses } : {});
}
