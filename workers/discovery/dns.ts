// Cluster membership on the admin thread: STATIC hosts as configured, STRICT_DNS re-resolved every
// dns_refresh_rate (every address of every endpoint becomes a host), LOGICAL_DNS using the first address.
// Changes go to every worker; stats follow Envoy's (update_attempt/success/failure/no_rebuild,
// membership_change/total/healthy). On resolver failure the last known hosts stay.
import dns from 'node:dns';
import type { ClusterConfig, Endpoint, Snapshot } from '../../core/config/types.js';
import { UNHEALTHY_MASK, type HostSpec } from '../../core/cluster/host.js';
import type { StatsRegistry } from '../../core/stats/registry.js';
import { KEYS } from '../../core/stats/registry.js';
import type { BlockDescriptor } from '../../core/stats/block.js';
import { CLUSTER } from '../../core/stats/defs.js';
import { isIp } from '../../core/config/build.js';

export type MembershipListener = (cluster: string, hosts: HostSpec[], newPages: BlockDescriptor[]) => void;

/** Resolution result for one name: addresses, or a failure that keeps the old hosts. */
type Lookup = { ok: true; addresses: string[] } | { ok: false; error: string };

/** How names are resolved: the system resolver (getaddrinfo, /etc/hosts) or configured DNS servers. */
export interface NameResolver {
  resolve(name: string, family: ClusterConfig['dnsLookupFamily']): Promise<Lookup>;
}

const NO_ADDRESS = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

export class SystemResolver implements NameResolver {
  async resolve(name: string, family: ClusterConfig['dnsLookupFamily']): Promise<Lookup> {
    try {
      const all = await dns.promises.lookup(name, { all: true, family: family === 'V4_ONLY' ? 4 : family === 'V6_ONLY' ? 6 : 0 });
      return { ok: true, addresses: pickFamily(all.map((a) => ({ address: a.address, family: a.family })), family) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (NO_ADDRESS.has(code)) return { ok: true, addresses: [] };
      return { ok: false, error: code || (e as Error).message };
    }
  }
}

export class ServerResolver implements NameResolver {
  private readonly r: dns.promises.Resolver;
  constructor(servers: readonly { address: string; port: number }[]) {
    this.r = new dns.promises.Resolver({ timeout: 2000, tries: 2 });
    this.r.setServers(servers.map((s) => (s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`)));
  }

  async resolve(name: string, family: ClusterConfig['dnsLookupFamily']): Promise<Lookup> {
    const q = async (fn: 'resolve4' | 'resolve6'): Promise<Lookup> => {
      try {
        return { ok: true, addresses: await this.r[fn](name) };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (NO_ADDRESS.has(code)) return { ok: true, addresses: [] };
        return { ok: false, error: code || (e as Error).message };
      }
    };
    switch (family) {
      case 'V4_ONLY':
        return q('resolve4');
      case 'V6_ONLY':
        return q('resolve6');
      case 'V4_PREFERRED': {
        const a = await q('resolve4');
        return a.ok && a.addresses.length > 0 ? a : q('resolve6');
      }
      case 'ALL': {
        const [a, b] = await Promise.all([q('resolve4'), q('resolve6')]);
        if (!a.ok && !b.ok) return a;
        return { ok: true, addresses: [...(a.ok ? a.addresses : []), ...(b.ok ? b.addresses : [])] };
      }
      default: {
        // AUTO: AAAA first, A only when there is no IPv6 answer.
        const b = await q('resolve6');
        if (b.ok && b.addresses.length > 0) return b;
        const a = await q('resolve4');
        if (!a.ok && !b.ok) return a;
        return a;
      }
    }
  }
}

function pickFamily(all: { address: string; family: number }[], family: ClusterConfig['dnsLookupFamily']): string[] {
  const v4 = all.filter((a) => a.family === 4).map((a) => a.address);
  const v6 = all.filter((a) => a.family === 6).map((a) => a.address);
  switch (family) {
    case 'V4_ONLY':
      return v4;
    case 'V6_ONLY':
      return v6;
    case 'V4_PREFERRED':
      return v4.length > 0 ? v4 : v6;
    case 'ALL':
      return [...v4, ...v6];
    default:
      return v6.length > 0 ? v6 : v4;
  }
}

class ClusterState {
  hosts: HostSpec[] = [];
  timer: ReturnType<typeof setTimeout> | null = null;
  initialized = false;
  /** Last addresses per endpoint, kept when that endpoint's resolution fails. */
  readonly last = new Map<number, string[]>();
  constructor(
    readonly cfg: ClusterConfig,
    readonly resolver: NameResolver,
  ) {}
}

export class Discovery {
  private readonly clusters = new Map<string, ClusterState>();
  private stopped = false;
  /** Health flags set by health checking / outlier detection, by cluster and host key. */
  readonly healthFlags = new Map<string, Map<string, number>>();

  constructor(
    private readonly registry: StatsRegistry,
    private readonly onChange: MembershipListener,
    private readonly resolverFor: (cfg: ClusterConfig) => NameResolver = (cfg) =>
      cfg.dnsResolvers.length > 0 ? new ServerResolver(cfg.dnsResolvers) : new SystemResolver(),
    /** Health flags a host starts with (actively health-checked clusters: failed until checked). */
    private readonly initialFlags: (cluster: string) => number = () => 0,
  ) {}

  /** Current hosts of every cluster (for a config push). */
  membership(): Record<string, HostSpec[]> {
    const out: Record<string, HostSpec[]> = {};
    for (const [name, st] of this.clusters) out[name] = st.hosts;
    return out;
  }

  hosts(cluster: string): readonly HostSpec[] {
    return this.clusters.get(cluster)?.hosts ?? [];
  }

  /** Applies a config: new and changed clusters start resolving; removed ones stop. Resolves after the first round. */
  async apply(s: Snapshot): Promise<void> {
    const names = new Set(s.clusters.map((c) => c.name));
    for (const [name, st] of this.clusters) {
      if (!names.has(name)) {
        if (st.timer) clearTimeout(st.timer);
        for (const h of st.hosts) this.registry.releaseHost(`${name}|${h.address}:${h.port}`);
        this.clusters.delete(name);
      }
    }
    const first: Promise<void>[] = [];
    for (const c of s.clusters) {
      const old = this.clusters.get(c.name);
      if (old && JSON.stringify(old.cfg) === JSON.stringify(c)) continue;
      if (old?.timer) clearTimeout(old.timer);
      const st = new ClusterState(c, this.resolverFor(c));
      if (old) st.hosts = old.hosts;
      this.clusters.set(c.name, st);
      first.push(this.refresh(st));
    }
    await Promise.all(first);
  }

  stop(): void {
    this.stopped = true;
    for (const st of this.clusters.values()) if (st.timer) clearTimeout(st.timer);
  }

  private stats(cfg: ClusterConfig): Float64Array {
    return this.registry.get(KEYS.cluster(cfg.altStatName || cfg.name))!.row(this.registry.adminRow);
  }

  private async refresh(st: ClusterState): Promise<void> {
    const cfg = st.cfg;
    const stats = this.stats(cfg);
    if (cfg.type === 'STATIC') {
      this.commit(st, cfg.endpoints.map((e) => ({ e, address: e.address })), stats);
      return;
    }
    stats[CLUSTER.update_attempt]++;
    const found: { e: Endpoint; address: string }[] = [];
    let failed = false;
    const results = await Promise.all(
      cfg.endpoints.map(async (e, i) => {
        if (isIp(e.address)) return { i, e, r: { ok: true, addresses: [e.address] } as Lookup };
        return { i, e, r: await st.resolver.resolve(e.address, cfg.dnsLookupFamily) };
      }),
    );
    if (this.stopped || this.clusters.get(cfg.name) !== st) return;
    for (const { i, e, r } of results) {
      let addrs: string[];
      if (r.ok) {
        addrs = cfg.type === 'LOGICAL_DNS' ? r.addresses.slice(0, 1) : r.addresses;
        st.last.set(i, addrs);
      } else {
        failed = true;
        addrs = st.last.get(i) ?? [];
      }
      for (const a of addrs) found.push({ e, address: a });
    }
    if (failed) stats[CLUSTER.update_failure]++;
    else stats[CLUSTER.update_success]++;
    this.commit(st, found, stats, failed);
    st.timer = setTimeout(() => void this.refresh(st), failed ? cfg.dnsFailureRefreshRateMs : cfg.dnsRefreshRateMs);
    st.timer.unref();
  }

  private commit(st: ClusterState, found: { e: Endpoint; address: string }[], stats: Float64Array, failed = false): void {
    const cfg = st.cfg;
    const seen = new Set<string>();
    const next: HostSpec[] = [];
    const pages: BlockDescriptor[] = [];
    let flags = this.healthFlags.get(cfg.name);
    const initial = this.initialFlags(cfg.name);
    if (!flags && initial !== 0) {
      flags = new Map();
      this.healthFlags.set(cfg.name, flags);
    }
    for (const { e, address } of found) {
      const key = `${address}:${e.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const slot = this.registry.hostSlot(`${cfg.name}|${key}`);
      if (flags && !flags.has(key) && initial !== 0) flags.set(key, initial);
      if (slot.newPage) pages.push(slot.newPage);
      next.push({
        address,
        port: e.port,
        hostname: e.hostname || (isIp(e.address) ? '' : e.address),
        weight: e.weight,
        statIndex: slot.index,
        healthFlags: flags?.get(key) ?? 0,
      });
    }
    const before = new Set(st.hosts.map((h) => `${h.address}:${h.port}`));
    const changed = !st.initialized || before.size !== seen.size || [...seen].some((k) => !before.has(k)) || next.some((h, i) => st.hosts[i]?.weight !== h.weight);
    if (!changed) {
      if (!failed && cfg.type !== 'STATIC') stats[CLUSTER.update_no_rebuild]++;
      return;
    }
    for (const h of st.hosts) if (!seen.has(`${h.address}:${h.port}`)) this.registry.releaseHost(`${cfg.name}|${h.address}:${h.port}`);
    st.initialized = true;
    st.hosts = next;
    stats[CLUSTER.membership_change]++;
    this.publish(st, pages);
  }

  /** Re-sends a cluster's hosts (after health flag changes). */
  republish(cluster: string): void {
    const st = this.clusters.get(cluster);
    if (!st) return;
    const flags = this.healthFlags.get(cluster);
    st.hosts = st.hosts.map((h) => ({ ...h, healthFlags: flags?.get(`${h.address}:${h.port}`) ?? 0 }));
    this.publish(st, []);
  }

  private publish(st: ClusterState, pages: BlockDescriptor[]): void {
    const stats = this.stats(st.cfg);
    stats[CLUSTER.membership_total] = st.hosts.length;
    stats[CLUSTER.membership_healthy] = st.hosts.filter((h) => (h.healthFlags & UNHEALTHY_MASK) === 0).length;
    stats[CLUSTER.membership_degraded] = 0;
    stats[CLUSTER.membership_excluded] = 0;
    stats[CLUSTER.max_host_weight] = st.hosts.reduce((m, h) => Math.max(m, h.weight), 0);
    this.onChange(st.cfg.name, st.hosts, pages);
  }
}
