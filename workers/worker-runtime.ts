// Everything one worker thread runs: its clusters (host sets, load balancers, pools), its HTTP
// connection managers, its listeners on both engines, its timers and stats rows. A config push builds
// new clusters and HCMs beside the old ones; in-flight requests keep theirs, new requests get the new.
import { localIpv4 } from './runtime/local-ip.js';
import tls from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { ClusterConfig, FilterChain, ListenerConfig, Snapshot, TlsParams } from '../core/config/types.js';
import { ClusterRuntime, HostStats } from '../core/cluster/runtime.js';
import type { Host, HostSpec } from '../core/cluster/host.js';
import { HcmRuntime, type AccessLogger, type WorkerServices } from '../core/http/hcm.js';
import { StatBlock, type BlockDescriptor } from '../core/stats/block.js';
import { HistogramWriter, type HistogramBlockDescriptor } from '../core/stats/histograms.js';
import { KEYS } from '../core/stats/registry.js';
import { compileFormat } from '../core/access-log/format.js';
import type { AccessLogRecord } from '../core/access-log/record.js';
import type { UpstreamPool } from '../core/http/contracts.js';
import { TimerWheel } from './runtime/timers.js';
import { SystemClock } from './runtime/clock.js';
import { H1Pool } from './upstream/h1-pool.js';
import { H2Pool } from './upstream/h2-pool.js';
import { H2cPool } from './upstream/h2c-pool.js';
import { FetchPool } from './upstream/fetch-pool.js';
import type { UpstreamTlsOptions } from './upstream/connect.js';
import { UwsListener } from './engines/uws.js';
import { BunListener } from './engines/bun.js';
import { bunTlsOptions } from './engines/bun-support.js';
import { ADMIT, NodeListener, OVER_GLOBAL_LIMIT, OVER_LISTENER_LIMIT, type ChainRuntime, type ConnectionGate, type PeerPolicy } from './engines/node-listener.js';
import { AccessLogSink } from './access-log/file-sink.js';
import { countServerConnections } from './runtime/proc-net.js';
import type { ChainTls, ClusterTls, ConfigPush, FromWorker, ListenerPlan } from './protocol.js';
import { SanMatchers } from './tls/san.js';
import { CODEC } from '../core/stats/defs.js';
import { IS_BUN } from './runtime/bun.js';

type Listener = { kind: 'uws'; l: UwsListener; port: number } | { kind: 'node'; l: NodeListener } | { kind: 'bun'; l: BunListener };

export class WorkerRuntime {
  readonly clock = new SystemClock();
  readonly timers = new TimerWheel(() => this.clock.now());
  /** ConfigPush.serverFlags once the first config is in. */
  private serverFlags: Int32Array | null = null;
  readonly state: { draining: boolean; readonly healthCheckFailed: boolean } = (() => {
    const rt = this;
    return {
      draining: false,
      get healthCheckFailed(): boolean {
        const f = rt.serverFlags;
        return f !== null && f[0] !== 0;
      },
    };
  })();
  private clusters = new Map<string, ClusterRuntime>();
  private clusterTls: Readonly<Record<string, ClusterTls>> = {};
  private readonly blocks = new Map<string, StatBlock>();
  private readonly histWriters = new Map<string, HistogramWriter>();
  readonly hostStats: HostStats;
  private readonly listeners = new Map<string, Listener>();
  /** Listeners a reload removed or replaced that may still have connections. */
  private retired: Listener[] = [];
  private readonly sinks = new Map<string, AccessLogSink>();
  private codecStats: Float64Array = new Float64Array(64);
  readonly services: WorkerServices;
  private version = 0;
  /** The admin thread asked for a drain (/drain_listeners or shutdown). */
  private drainRequested = false;
  /** The listeners were stopped (/drain_listeners or shutdown). */
  private listenersStopped = false;

  constructor(
    readonly worker: number,
    readonly rows: number,
    private readonly hostname: string,
    private readonly log: (level: string, text: string) => void,
    private readonly notify: (m: FromWorker) => void = () => {},
  ) {
    this.hostStats = new HostStats(worker);
    const self = this;
    this.services = {
      workerIndex: worker,
      timers: this.timers,
      clock: this.clock,
      random: Math.random,
      get codecStats() {
        return self.codecStats;
      },
      hostStats: this.hostStats,
      cluster: (name) => this.clusters.get(name),
      state: this.state,
      localIp: localIpv4(),
      uuid: randomUUID,
      onError: (e) => {
        this.log('error', `request failed unexpectedly: ${(e as Error)?.stack ?? String(e)}`);
      },
      outlierHit: (cluster, host, which) => {
        this.notify({ type: 'outlier', cluster, address: host.address, port: host.port, which });
      },
    };
  }

  // ---------------------------------------------------------------- stats mapping
  private mapBlocks(blocks: readonly BlockDescriptor[], hist: readonly HistogramBlockDescriptor[], pages: readonly BlockDescriptor[]): void {
    for (const d of blocks) if (!this.blocks.has(d.key)) this.blocks.set(d.key, StatBlock.from(d));
    for (const h of hist) if (!this.histWriters.has(h.key)) this.histWriters.set(h.key, new HistogramWriter(h, this.worker));
    this.mapPages(pages);
    this.codecStats = this.blocks.get('codec')!.row(this.worker);
  }

  mapPages(pages: readonly BlockDescriptor[]): void {
    for (let i = this.hostStats.pages; i < pages.length; i++) this.hostStats.addPage(StatBlock.from(pages[i]));
  }

  private row(key: string): Float64Array {
    const b = this.blocks.get(key);
    if (!b) throw new Error(`stat block ${key} was not provided`);
    return b.row(this.worker);
  }

  // ---------------------------------------------------------------- config
  /** Applies a config push; returns errors (listeners that failed to open). */
  async apply(push: ConfigPush): Promise<string[]> {
    const s = push.snapshot;
    this.serverFlags ??= new Int32Array(push.serverFlags);
    this.mapBlocks(push.stats.blocks, push.stats.histograms, push.stats.hostPages);
    this.version = push.version;
    const errors: string[] = [];

    // Clusters: unchanged configs keep their runtime (pools, LB state); others are rebuilt. A file-sourced
    // certificate or CA whose content changed counts as a change.
    const prevTls = this.clusterTls;
    this.clusterTls = push.clusterTls;
    const next = new Map<string, ClusterRuntime>();
    for (const c of s.clusters) {
      const old = this.clusters.get(c.name);
      if (old && JSON.stringify(old.cfg) === JSON.stringify(c) && JSON.stringify(prevTls[c.name]) === JSON.stringify(push.clusterTls[c.name])) {
        next.set(c.name, old);
        continue;
      }
      const rt = this.buildCluster(c);
      rt.updateHosts(push.membership[c.name] ?? []);
      next.set(c.name, rt);
    }
    for (const [name, old] of this.clusters) {
      if (next.get(name) !== old) for (const h of old.hostSet.hosts) (h.pool as UpstreamPool | null)?.drain();
    }
    this.clusters = next;

    // Listeners.
    const seen = new Set<string>();
    for (let i = 0; i < s.listeners.length; i++) {
      const lc = s.listeners[i];
      const plan = push.listeners.find((p) => p.name === lc.name);
      if (!plan) continue;
      seen.add(lc.name);
      try {
        await this.applyListener(lc, plan, s, push);
      } catch (e) {
        errors.push(`listener ${lc.name} (${lc.address.address}:${lc.address.port}): ${(e as Error).message}`);
      }
    }
    for (const [name, l] of this.listeners) {
      if (!seen.has(name)) {
        this.retire(l);
        this.listeners.delete(name);
      }
    }
    return errors;
  }

  private buildCluster(c: ClusterConfig): ClusterRuntime {
    const key = KEYS.cluster(c.altStatName || c.name);
    const block = this.blocks.get(key)!;
    const tlsOpts = c.tls ? upstreamTls(c, this.clusterTls[c.name]) : null;
    // HTTP/2 clusters: our codec (h2c-pool, default: ~3x less CPU per request than node:http2 in
    // bench/ablation.ts) or node:http2 (h2-pool) with NUNCIO_H2_CLIENT=node, for comparison.
    const H2 = process.env.NUNCIO_H2_CLIENT === 'node' ? H2Pool : H2cPool;
    // NUNCIO_UPSTREAM_CLIENT=fetch: the runtime's fetch() for every cluster, to compare with on Bun.
    const Pool = process.env.NUNCIO_UPSTREAM_CLIENT === 'fetch' ? FetchPool : c.protocol === 'http2' ? H2 : H1Pool;
    const factory = (cl: ClusterRuntime, host: Host): UpstreamPool => new Pool(cl, host, this.clock, this.timers, tlsOpts);
    return new ClusterRuntime(c, block.row(this.worker), block, this.histWriters.get(key)!, this.hostStats, factory);
  }

  private buildHcm(fc: FilterChain, l: ListenerConfig, s: Snapshot): HcmRuntime {
    const key = KEYS.hcm(fc.hcm.statPrefix);
    const loggers: AccessLogger[] = fc.hcm.accessLogs.map((al) => {
      const fmt = compileFormat(al, { hostname: this.hostname, getEnv: (n) => process.env[n] });
      const sink = this.sink(al.path);
      return { log: (r: AccessLogRecord) => sink.write(fmt.format(r)) };
    });
    void s;
    return new HcmRuntime(fc.hcm, l, fc.tls !== null, this.row(key), this.histWriters.get(key)!, this.services, loggers, fc.hcm.suppressEnvoyHeaders);
  }

  private sink(path: string): AccessLogSink {
    let s = this.sinks.get(path);
    if (!s) {
      s = new AccessLogSink(path, { onError: (e) => this.log('warning', `access log ${path}: ${e.message}`) });
      this.sinks.set(path, s);
    }
    return s;
  }

  private async applyListener(lc: ListenerConfig, plan: ListenerPlan, s: Snapshot, push: ConfigPush): Promise<void> {
    const lrow = this.row(KEYS.listener(lc.statPrefix));
    const chains = lc.filterChains.map((fc) => this.buildHcm(fc, lc, s));
    const existing = this.listeners.get(lc.name);
    // Once /drain_listeners stopped them nothing listens again (Envoy refuses listener changes then):
    // a stopped listener only takes the new routes for the connections it still has.
    if (this.listenersStopped && existing?.kind !== plan.engine) return;
    if (plan.engine === 'bun') {
      this.applyBunListener(lc, plan, chains[0], existing);
      return;
    }
    if (plan.engine === 'uws') {
      if (existing?.kind === 'uws') {
        existing.l.setHcm(chains[0]);
        return;
      }
      if (existing) {
        this.retire(existing);
        this.listeners.delete(lc.name);
      }
      const t = plan.tls[0];
      const ul = new UwsListener(chains[0], t ? { keyFile: t.keyFile, certFile: t.certFile, passphrase: t.passphrase || undefined } : null);
      const ok = await ul.listen(lc.address.address, lc.address.port);
      if (!ok) throw new Error(`cannot bind ${lc.address.address}:${lc.address.port} (address in use or not available)`);
      void lrow;
      this.listeners.set(lc.name, { kind: 'uws', l: ul, port: lc.address.port });
      return;
    }
    const rts: ChainRuntime[] = lc.filterChains.map((fc, i) => ({
      hcm: chains[i],
      serverNames: fc.serverNames,
      secureContext: plan.tls[i] ? tls.createSecureContext(secureOptions(plan.tls[i]!, fc)) : null,
      tlsOptions: plan.tls[i] ? secureOptions(plan.tls[i]!, fc) : null,
      alpn: fc.tls?.common.alpnProtocols ?? [],
      peer: fc.tls ? peerPolicy(fc) : null,
    }));
    if (existing?.kind === 'node') {
      existing.l.setChains(rts);
      return;
    }
    if (existing) {
      this.retire(existing);
      this.listeners.delete(lc.name);
    }
    const nl = new NodeListener(
      rts,
      lrow,
      gate(plan, push, lc.ignoreGlobalConnLimit === true, this.worker),
      `${lc.address.address}:${lc.address.port}`,
      this.histWriters.get(KEYS.listener(lc.statPrefix)) ?? null,
      this.services.clock,
    );
    await nl.listenFd(plan.fd);
    this.listeners.set(lc.name, { kind: 'node', l: nl });
  }

  /** Bun.serve: a reload keeps the server when only routes/HCM changed; new TLS or protocols replace it. */
  private applyBunListener(lc: ListenerConfig, plan: ListenerPlan, hcm: HcmRuntime, existing: Listener | undefined): void {
    const mode = plan.bun!;
    const t = plan.tls[0];
    const tlsOpts = t ? bunTlsOptions(t, lc.filterChains[0]) : null;
    const key = JSON.stringify([mode, tlsOpts, lc.address]);
    // Same settings, or stopped by /drain_listeners (nothing listens again): only the routes change.
    if (existing?.kind === 'bun' && (existing.l.key === key || this.listenersStopped)) {
      existing.l.setHcm(hcm);
      return;
    }
    const bl = new BunListener(hcm, mode, tlsOpts, key);
    // SO_REUSEPORT: the replacement binds beside the old server, which then drains.
    try {
      bl.listen(lc.address.address, lc.address.port);
    } catch (e) {
      throw new Error(`cannot bind ${lc.address.address}:${lc.address.port}: ${(e as Error).message}`);
    }
    if (existing) this.retire(existing);
    this.listeners.set(lc.name, { kind: 'bun', l: bl });
  }

  /**
   * Stops a listener a reload removed or replaced. Its connections finish (node engine: drained), and
   * shutdown still waits for and closes them: uWS sockets left open at thread exit abort the process.
   */
  private retire(l: Listener): void {
    if (l.kind === 'node') l.l.close(true);
    else l.l.close();
    this.retired = this.retired.filter((r) => connectionsOf(r) > 0);
    this.retired.push(l);
  }

  // ---------------------------------------------------------------- membership, health, drain
  updateMembership(cluster: string, hosts: readonly HostSpec[], pages: readonly BlockDescriptor[]): void {
    this.mapPages(pages);
    const c = this.clusters.get(cluster);
    if (!c) return;
    const removed = c.updateHosts(hosts);
    // Hosts that left: their pools finish in-flight requests, then close.
    for (const h of removed) {
      const p = h.pool as UpstreamPool | null;
      if (p && !c.hostSet.get(h.key)) p.drain();
    }
  }

  setHealthFailed(failed: boolean): void {
    // The flag itself is shared (serverFlags); the message ends keep-alive (Envoy drains on failure).
    // /healthcheck/ok does not end a drain the admin asked for.
    this.state.draining = failed || this.drainRequested;
  }

  /** Graceful drain (/drain_listeners?graceful): responses end keep-alive, the listeners still accept. */
  discourage(): void {
    this.drainRequested = true;
    this.state.draining = true;
  }

  drainListeners(): void {
    this.drainRequested = true;
    this.listenersStopped = true;
    this.state.draining = true;
    for (const l of this.listeners.values()) {
      if (l.kind === 'node') l.l.close(true);
      else l.l.close();
    }
  }

  /** Stops everything; resolves when no socket is left (uWS aborts the process otherwise). */
  async stop(deadlineMs: number): Promise<void> {
    this.drainListeners();
    const until = Date.now() + deadlineMs;
    while (Date.now() < until && this.openConnections() > 0) await new Promise((r) => setTimeout(r, 50));
    // Connections left when the drain time is over are closed (Envoy), before the upstream pools go:
    // clients see their connection end, not a 503 made from the pools' teardown.
    for (const l of this.listeners.values()) l.l.destroyAll();
    for (const l of this.retired) l.l.destroyAll();
    for (const c of this.clusters.values()) for (const h of c.hostSet.hosts) (h.pool as UpstreamPool | null)?.destroy();
    await Promise.all([...this.sinks.values()].map((s) => s.close()));
  }

  private openConnections(): number {
    let n = 0;
    for (const l of this.listeners.values()) n += connectionsOf(l);
    for (const l of this.retired) n += connectionsOf(l);
    return n;
  }

  get currentVersion(): number {
    return this.version;
  }

  codecCounter(name: keyof typeof CODEC): void {
    this.codecStats[CODEC[name]]++;
  }
}

function connectionsOf(l: Listener): number {
  // uWS has no connection hooks: count the port's sockets in the kernel's table instead.
  return l.kind === 'uws' ? countServerConnections(l.port) : l.l.connections;
}

/**
 * `exempt` (ignore_global_conn_limit): the listener's connections still count towards the global total, as
 * Envoy's accepted-socket count does, but the global limit never refuses them.
 */
function gate(plan: ListenerPlan, push: ConfigPush, exempt: boolean, worker: number): ConnectionGate {
  const mine = new Int32Array(plan.counter);
  const global = new Int32Array(push.globalConnections);
  const limit = plan.connectionLimit;
  const glimit = exempt ? 0 : push.globalConnectionLimit;
  // This worker's share, which the admin thread gives back if the worker dies holding connections.
  const own = 1 + worker;
  return {
    admit(): number {
      const n = Atomics.add(mine, 0, 1) + 1;
      const g = Atomics.add(global, 0, 1) + 1;
      const verdict = limit > 0 && n > limit ? OVER_LISTENER_LIMIT : glimit > 0 && g > glimit ? OVER_GLOBAL_LIMIT : ADMIT;
      if (verdict !== ADMIT) {
        Atomics.sub(mine, 0, 1);
        Atomics.sub(global, 0, 1);
      } else {
        Atomics.add(mine, own, 1);
        Atomics.add(global, own, 1);
      }
      return verdict;
    },
    release(): void {
      Atomics.sub(mine, 0, 1);
      Atomics.sub(global, 0, 1);
      Atomics.sub(mine, own, 1);
      Atomics.sub(global, own, 1);
    },
  };
}

const TLS_VERSION: Record<string, tls.SecureVersion> = { TLSv1_0: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2', TLSv1_3: 'TLSv1.3' };

/** tls_params as node options; AUTO takes Envoy's default for the side (both: min 1.2; max 1.3 server, 1.2 client). */
function paramOptions(p: TlsParams, defaultMax: tls.SecureVersion): tls.SecureContextOptions {
  return {
    minVersion: TLS_VERSION[p.minVersion] ?? 'TLSv1.2',
    maxVersion: TLS_VERSION[p.maxVersion] ?? defaultMax,
    ...(p.cipherSuites.length > 0 ? { ciphers: p.cipherSuites.join(':') } : {}),
    ...(p.ecdhCurves.length > 0 ? { ecdhCurve: p.ecdhCurves.join(':') } : {}),
  };
}

function secureOptions(t: ChainTls, fc: FilterChain): tls.SecureContextOptions {
  // Several certificates (e.g. RSA and ECDSA): OpenSSL picks by the client's signature algorithms.
  const certs = [t.certChainPem, ...t.extra.map((x) => x.certChainPem)];
  const keys = [
    { pem: t.privateKeyPem, passphrase: t.passphrase || undefined },
    ...t.extra.map((x) => ({ pem: x.privateKeyPem, passphrase: x.passphrase || undefined })),
  ];
  return {
    cert: certs,
    key: keys,
    ...(t.passphrase ? { passphrase: t.passphrase } : {}),
    ...(t.caPem ? { ca: t.caPem } : {}),
    ...paramOptions(fc.tls!.common.params, 'TLSv1.3'),
  };
}

/**
 * What Envoy's validator asks of a client certificate on this chain: a trusted_ca makes the listener
 * request one and verify it when presented; SAN matchers (or require_client_certificate) make it mandatory.
 */
function peerPolicy(fc: FilterChain): PeerPolicy | null {
  const t = fc.tls!;
  const vc = t.common.validationContext;
  const verifyChain = !!vc?.trustedCa;
  const san = vc && vc.matchSubjectAltNames.length > 0 ? new SanMatchers(vc.matchSubjectAltNames) : null;
  const require = t.requireClientCertificate || san !== null;
  if (!verifyChain && !require) return t.requireSni ? { request: false, require: false, verifyChain: false, san: null, requireSni: true } : null;
  return { request: true, require, verifyChain, san, requireSni: t.requireSni };
}

function sanMismatch(cert: tls.PeerCertificate): Error {
  const e = new Error(`verify cert failed: SAN matcher, certificate SANs are [${cert.subjectaltname ?? ''}]`) as NodeJS.ErrnoException;
  e.code = 'ERR_TLS_CERT_ALTNAME_INVALID';
  return e;
}

function upstreamTls(c: ClusterConfig, m: ClusterTls | undefined): UpstreamTlsOptions {
  const t = c.tls!;
  const vc = t.common.validationContext;
  const ca = m?.caPem ?? '';
  const san = vc && vc.matchSubjectAltNames.length > 0 ? new SanMatchers(vc.matchSubjectAltNames) : null;
  // Envoy checks the chain against trusted_ca (no CA: no verification, never the system store) and then
  // the SAN matchers; it never compares the certificate with the host name or the SNI.
  const checkServerIdentity = (_host: string, cert: tls.PeerCertificate): Error | undefined =>
    san === null || san.matches(cert.subjectaltname) ? undefined : sanMismatch(cert);
  const material: tls.SecureContextOptions = {
    ...(ca ? { ca } : {}),
    ...(m && m.certChainPem ? { cert: m.certChainPem, key: m.privateKeyPem, ...(m.passphrase ? { passphrase: m.passphrase } : {}) } : {}),
    ...paramOptions(t.common.params, 'TLSv1.2'),
  };
  const base: tls.ConnectionOptions = {
    // The material stays readable (the fetch pool passes ca to fetch); on Node one secure context per
    // cluster parses it once, and tls.connect then ignores the loose fields.
    ...material,
    ...(IS_BUN ? {} : { secureContext: tls.createSecureContext(material) }),
    // Envoy sends SNI only when `sni` is set (auto_sni is refused by the config checks).
    ...(t.sni && !/^[0-9.:]+$/.test(t.sni) ? { servername: t.sni } : {}),
    rejectUnauthorized: ca !== '',
    checkServerIdentity,
    ...(t.common.alpnProtocols.length > 0 ? { ALPNProtocols: [...t.common.alpnProtocols] } : {}),
  };
  return {
    forHost(_host: Host) {
      return base;
    },
  };
}
