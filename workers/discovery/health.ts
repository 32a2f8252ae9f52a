// Host health on the admin thread: active HTTP health checks (Envoy's HttpHealthCheckerImpl: interval,
// timeout, thresholds, expected statuses, x-envoy-immediate-health-check-fail) and outlier detection
// (consecutive 5xx / gateway failures reported by workers through shared counters, ejection time that
// grows with each ejection, max_ejection_percent). Both set health flags that Discovery publishes.
import http from 'node:http';
import http2 from 'node:http2';
import type { ClusterConfig, HealthCheckConfig, Snapshot } from '../../core/config/types.js';
import { HealthFlag, type HostSpec } from '../../core/cluster/host.js';
import type { StatsRegistry } from '../../core/stats/registry.js';
import { KEYS } from '../../core/stats/registry.js';
import { CLUSTER, HC_BASE, HEALTH_CHECK, OD_BASE, OUTLIER } from '../../core/stats/defs.js';
import { OD_5XX, OD_GATEWAY, OD_LOCAL } from '../../core/cluster/runtime.js';
import type { Discovery } from './dns.js';

type Log = (level: string, msg: string) => void;
type CheckResult = 'ok' | 'fail' | 'immediate' | 'network' | 'timeout';

function hostKey(h: { address: string; port: number }): string {
  return `${h.address}:${h.port}`;
}

class HostCheck {
  timer: ReturnType<typeof setTimeout> | null = null;
  pending = true;
  healthy = false;
  successes = 0;
  failures = 0;
  agent: http.Agent | null = null;
  session: http2.ClientHttp2Session | null = null;
  stopped = false;
  constructor(
    readonly host: HostSpec,
    readonly cfg: HealthCheckConfig,
  ) {}
}

export class HealthChecker {
  private readonly checks = new Map<string, Map<string, HostCheck>>();
  private readonly configs = new Map<string, ClusterConfig>();
  private readonly firstResults = new Map<string, Promise<void>>();

  constructor(
    private readonly registry: StatsRegistry,
    private readonly discovery: Discovery,
    private readonly log: Log,
  ) {}

  /** Clusters with health checks: their new hosts start as failed until the first check passes. */
  initialFlags(cluster: string): number {
    const c = this.configs.get(cluster);
    return c && c.healthChecks.length > 0 ? HealthFlag.FAILED_ACTIVE_HC | HealthFlag.PENDING_ACTIVE_HC : 0;
  }

  apply(s: Snapshot): void {
    const names = new Set(s.clusters.map((c) => c.name));
    for (const [name, m] of this.checks) {
      const next = s.clusters.find((c) => c.name === name);
      if (!names.has(name) || JSON.stringify(next?.healthChecks) !== JSON.stringify(this.configs.get(name)?.healthChecks)) {
        for (const hc of m.values()) this.stopCheck(hc);
        this.checks.delete(name);
      }
    }
    this.configs.clear();
    for (const c of s.clusters) if (c.healthChecks.length > 0) this.configs.set(c.name, c);
  }

  /** Follows a cluster's host list: checks start for new hosts and stop for hosts that left. */
  sync(cluster: string, hosts: readonly HostSpec[]): void {
    const cfg = this.configs.get(cluster);
    if (!cfg) return;
    let m = this.checks.get(cluster);
    if (!m) {
      m = new Map();
      this.checks.set(cluster, m);
    }
    const keep = new Set(hosts.map(hostKey));
    for (const [k, hc] of m) {
      if (!keep.has(k)) {
        this.stopCheck(hc);
        m.delete(k);
        this.discovery.healthFlags.get(cluster)?.delete(k);
      }
    }
    const started: Promise<void>[] = [];
    for (const h of hosts) {
      const k = hostKey(h);
      if (m.has(k)) continue;
      const hc = new HostCheck(h, cfg.healthChecks[0]);
      m.set(k, hc);
      this.flags(cluster).set(k, HealthFlag.FAILED_ACTIVE_HC | HealthFlag.PENDING_ACTIVE_HC);
      started.push(this.run(cluster, hc));
    }
    if (started.length > 0) this.firstResults.set(cluster, Promise.all(started).then(() => undefined));
    this.updateGauge(cluster);
  }

  /** Resolves once every current host has had its first check (cluster warming). */
  async firstRound(): Promise<void> {
    await Promise.all(this.firstResults.values());
  }

  stop(): void {
    for (const m of this.checks.values()) for (const hc of m.values()) this.stopCheck(hc);
    this.checks.clear();
  }

  private flags(cluster: string): Map<string, number> {
    let f = this.discovery.healthFlags.get(cluster);
    if (!f) {
      f = new Map();
      this.discovery.healthFlags.set(cluster, f);
    }
    return f;
  }

  private stats(cluster: string): Float64Array | null {
    const cfg = this.configs.get(cluster);
    const b = cfg ? this.registry.get(KEYS.cluster(cfg.altStatName || cfg.name)) : undefined;
    return b ? b.row(this.registry.adminRow) : null;
  }

  private stopCheck(hc: HostCheck): void {
    hc.stopped = true;
    if (hc.timer) clearTimeout(hc.timer);
    hc.agent?.destroy();
    hc.session?.destroy();
  }

  private async run(cluster: string, hc: HostCheck): Promise<void> {
    if (hc.stopped) return;
    const st = this.stats(cluster);
    if (st) st[HC_BASE + HEALTH_CHECK['health_check.attempt']]++;
    const r = await this.probe(cluster, hc);
    if (hc.stopped) return;
    this.record(cluster, hc, r);
    hc.timer = setTimeout(() => void this.run(cluster, hc), this.nextInterval(cluster, hc));
    hc.timer.unref();
  }

  private nextInterval(cluster: string, hc: HostCheck): number {
    const c = hc.cfg;
    const st = this.stats(cluster);
    const noTraffic = st !== null && this.registry.get(KEYS.cluster(cluster))!.sum(CLUSTER.upstream_rq_total) === 0;
    let ms = hc.healthy ? c.intervalMs : c.unhealthyIntervalMs;
    if (noTraffic && hc.healthy) ms = c.noTrafficIntervalMs;
    return ms + (c.intervalJitterMs > 0 ? Math.floor(Math.random() * c.intervalJitterMs) : 0);
  }

  /** One check: 'ok', 'fail' (answered, not healthy), 'network' (connection failed) or 'timeout' (no answer in time). */
  private probe(cluster: string, hc: HostCheck): Promise<CheckResult> {
    const c = hc.cfg;
    const headers: Record<string, string> = { 'user-agent': 'Envoy/HC' };
    for (const o of c.http.requestHeadersToAdd) headers[o.key] = o.value;
    for (const n of c.http.requestHeadersToRemove) delete headers[n];
    const authority = c.http.host || cluster;
    // Envoy heeds x-envoy-immediate-health-check-fail only with a status outside expected_statuses.
    const judge = (status: number, h: Record<string, unknown>): CheckResult => {
      if (c.http.expectedStatuses.some(([a, b]) => status >= a && status < b)) return 'ok';
      return h['x-envoy-immediate-health-check-fail'] !== undefined ? 'immediate' : 'fail';
    };
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: CheckResult) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        resolve(r);
      };
      const t = setTimeout(() => {
        finish('timeout');
        hc.agent?.destroy();
        hc.agent = null;
        hc.session?.destroy();
        hc.session = null;
      }, c.timeoutMs);
      if (c.http.codecClientType === 'HTTP2') {
        if (!hc.session || hc.session.destroyed || !c.reuseConnection) {
          hc.session = http2.connect(`http://${hc.host.address.includes(':') ? `[${hc.host.address}]` : hc.host.address}:${hc.host.port}`);
          hc.session.on('error', () => finish('network'));
        }
        const req = hc.session.request({ ':path': c.http.path, ':authority': authority, ...headers });
        req.on('response', (h) => {
          req.resume();
          finish(judge(Number(h[':status']), h as Record<string, unknown>));
        });
        req.on('error', () => finish('network'));
        req.end();
        return;
      }
      if (!hc.agent) hc.agent = new http.Agent({ keepAlive: c.reuseConnection, maxSockets: 1 });
      const req = http.request(
        { host: hc.host.address, port: hc.host.port, path: c.http.path, method: 'GET', headers: { host: authority, ...headers }, agent: hc.agent },
        (res) => {
          res.resume();
          finish(judge(res.statusCode ?? 0, res.headers));
        },
      );
      req.on('error', () => finish('network'));
      req.end();
    });
  }

  private record(cluster: string, hc: HostCheck, r: CheckResult): void {
    const st = this.stats(cluster);
    const k = hostKey(hc.host);
    const flags = this.flags(cluster);
    const before = flags.get(k) ?? 0;
    let healthy = hc.healthy;
    if (r === 'ok') {
      if (st) st[HC_BASE + HEALTH_CHECK['health_check.success']]++;
      hc.failures = 0;
      hc.successes++;
      // One success at start-up makes a host healthy; later it takes healthy_threshold in a row.
      if (hc.pending || hc.successes >= hc.cfg.healthyThreshold) healthy = true;
    } else {
      if (st) st[HC_BASE + HEALTH_CHECK['health_check.failure']]++;
      const network = r === 'network' || r === 'timeout';
      if (network && st) st[HC_BASE + HEALTH_CHECK['health_check.network_failure']]++;
      hc.successes = 0;
      hc.failures++;
      // A wrong status (or the immediate-fail header) is unhealthy at once; silence needs the threshold.
      if (!network || hc.failures >= hc.cfg.unhealthyThreshold || hc.pending) healthy = false;
    }
    hc.pending = false;
    hc.healthy = healthy;
    let next = before & ~(HealthFlag.PENDING_ACTIVE_HC | HealthFlag.FAILED_ACTIVE_HC);
    if (!healthy) next |= HealthFlag.FAILED_ACTIVE_HC;
    // Envoy: active_hc_timeout marks a failed host whose last failure was a timeout; any other failure,
    // or becoming healthy, clears it (a success below healthy_threshold leaves it).
    if (r === 'timeout' && !healthy) next |= HealthFlag.ACTIVE_HC_TIMEOUT;
    else if (r !== 'ok' || healthy) next &= ~HealthFlag.ACTIVE_HC_TIMEOUT;
    if (next !== before) {
      flags.set(k, next);
      if ((before & HealthFlag.FAILED_ACTIVE_HC) !== (next & HealthFlag.FAILED_ACTIVE_HC)) {
        this.log('info', `health check: ${cluster} host ${k} is now ${healthy ? 'healthy' : 'unhealthy'}`);
      }
      this.discovery.republish(cluster);
    }
    this.updateGauge(cluster);
  }

  private updateGauge(cluster: string): void {
    const st = this.stats(cluster);
    const m = this.checks.get(cluster);
    if (st && m) st[HC_BASE + HEALTH_CHECK['health_check.healthy']] = [...m.values()].filter((h) => h.healthy).length;
  }
}

interface Ejection {
  count: number;
  until: number;
}

export class OutlierDetector {
  private readonly configs = new Map<string, ClusterConfig>();
  private readonly ejections = new Map<string, Map<string, Ejection>>();
  private readonly timers = new Map<string, ReturnType<typeof setInterval>>();

  constructor(
    private readonly registry: StatsRegistry,
    private readonly discovery: Discovery,
    private readonly log: Log,
    private readonly random: () => number = Math.random,
  ) {}

  apply(s: Snapshot): void {
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    this.configs.clear();
    for (const c of s.clusters) {
      if (c.outlierDetection === null) continue;
      this.configs.set(c.name, c);
      const t = setInterval(() => this.sweep(c.name), c.outlierDetection.intervalMs);
      t.unref();
      this.timers.set(c.name, t);
    }
  }

  stop(): void {
    for (const t of this.timers.values()) clearInterval(t);
  }

  private stats(c: ClusterConfig): Float64Array {
    return this.registry.get(KEYS.cluster(c.altStatName || c.name))!.row(this.registry.adminRow);
  }

  /** A worker saw a host reach a consecutive-failure threshold (bit 1: 5xx, bit 2: gateway). */
  onHit(cluster: string, address: string, port: number, which: number): void {
    const c = this.configs.get(cluster);
    if (!c || !c.outlierDetection) return;
    const key = `${address}:${port}`;
    const host = this.discovery.hosts(cluster).find((h) => hostKey(h) === key);
    if (!host) return;
    // Envoy handles the gateway detection first; the 5xx one is then ignored if it ejected the host.
    if (which & 2) this.detected(c, host, true);
    if (which & 1) this.detected(c, host, false);
  }

  /** Envoy's onConsecutiveErrorWorker: count the detection, try to eject, restart that streak. */
  private detected(c: ClusterConfig, host: HostSpec, gateway: boolean): void {
    const key = hostKey(host);
    if ((this.discovery.healthFlags.get(c.name)?.get(key) ?? 0) & HealthFlag.FAILED_OUTLIER_CHECK) return;
    const st = this.stats(c);
    st[OD_BASE + OUTLIER[gateway ? 'outlier_detection.ejections_detected_consecutive_gateway_failure' : 'outlier_detection.ejections_detected_consecutive_5xx']]++;
    this.eject(c, host, gateway);
    if (!gateway) st[OD_BASE + OUTLIER['outlier_detection.ejections_consecutive_5xx']]++; // deprecated: every 5xx detection
    // Ejected or not, the streak starts over, so a host that keeps failing is detected again.
    const counters = this.registry.outlierCounters(host.statIndex);
    if (counters) Atomics.store(counters.array, counters.offset + (gateway ? OD_GATEWAY : OD_5XX), 0);
  }

  private eject(c: ClusterConfig, host: HostSpec, gateway: boolean): void {
    const od = c.outlierDetection!;
    const st = this.stats(c);
    const hosts = this.discovery.hosts(c.name);
    let m = this.ejections.get(c.name);
    if (!m) {
      m = new Map();
      this.ejections.set(c.name, m);
    }
    const key = hostKey(host);
    const now = Date.now();
    const active = [...m.values()].filter((e) => e.until > now).length;
    // Envoy (without always_eject_one_host): eject only if 100 * (ejected + 1) / hosts stays within
    // max_ejection_percent, checked before enforcement; otherwise count an overflow.
    if (((active + 1) * 100) / hosts.length > od.maxEjectionPercent) {
      st[OD_BASE + OUTLIER['outlier_detection.ejections_overflow']]++;
      return;
    }
    if (!gateway) st[OD_BASE + OUTLIER['outlier_detection.ejections_total']]++; // deprecated: 5xx ejections allowed, enforced or not
    if (this.random() * 100 >= (gateway ? od.enforcingConsecutiveGatewayFailure : od.enforcingConsecutive5xx)) return;
    const stat = gateway ? 'outlier_detection.ejections_enforced_consecutive_gateway_failure' : 'outlier_detection.ejections_enforced_consecutive_5xx';
    const prev = m.get(key);
    const count = (prev?.count ?? 0) + 1;
    const duration = Math.min(od.baseEjectionTimeMs * count, Math.max(od.maxEjectionTimeMs, od.baseEjectionTimeMs));
    m.set(key, { count, until: now + duration });
    st[OD_BASE + OUTLIER[stat]]++;
    st[OD_BASE + OUTLIER['outlier_detection.ejections_enforced_total']]++;
    this.setFlag(c, key, true);
    this.log('info', `outlier detection: ejected ${c.name} host ${key} for ${duration} ms (${stat.slice('outlier_detection.'.length)})`);
    // Uneject exactly on time too, not only at the next interval.
    setTimeout(() => this.sweep(c.name), duration + 5).unref();
    this.updateGauge(c);
  }

  private sweep(cluster: string): void {
    const c = this.configs.get(cluster);
    const m = this.ejections.get(cluster);
    if (!c || !m) return;
    const now = Date.now();
    for (const [key, e] of m) {
      if (e.until > 0 && e.until <= now) {
        e.until = 0;
        // Envoy resets every streak at uneject, so a few errors right after do not eject again.
        const host = this.discovery.hosts(cluster).find((h) => hostKey(h) === key);
        const counters = host ? this.registry.outlierCounters(host.statIndex) : null;
        if (counters) for (const slot of [OD_5XX, OD_GATEWAY, OD_LOCAL]) Atomics.store(counters.array, counters.offset + slot, 0);
        this.setFlag(c, key, false);
        this.log('info', `outlier detection: ${cluster} host ${key} is back`);
      }
    }
    this.updateGauge(c);
  }

  private setFlag(c: ClusterConfig, key: string, on: boolean): void {
    let f = this.discovery.healthFlags.get(c.name);
    if (!f) {
      f = new Map();
      this.discovery.healthFlags.set(c.name, f);
    }
    const before = f.get(key) ?? 0;
    const next = on ? before | HealthFlag.FAILED_OUTLIER_CHECK : before & ~HealthFlag.FAILED_OUTLIER_CHECK;
    if (next !== before) {
      f.set(key, next);
      this.discovery.republish(c.name);
    }
  }

  private updateGauge(c: ClusterConfig): void {
    const m = this.ejections.get(c.name);
    const now = Date.now();
    this.stats(c)[OD_BASE + OUTLIER['outlier_detection.ejections_active']] = m ? [...m.values()].filter((e) => e.until > now).length : 0;
  }
}
