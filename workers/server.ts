// The admin (main) thread: owns the config, the stats registry, discovery, TLS material, the listening
// sockets of the node engine, the admin HTTP server and the worker threads (through piscina). It pushes
// configs and membership to workers and runs reloads and shutdown.
import http from 'node:http';
import os from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { DownstreamTlsContext, ListenerConfig, Snapshot } from '../core/config/types.js';
import { StatsRegistry } from '../core/stats/registry.js';
import { globalConnectionLimit, listenerConnectionLimit, type RuntimeEntry, type RuntimeValue } from '../core/config/runtime.js';
import { SERVER, HCM, LISTENER, HOST, HOST_BLOCK_SIZE } from '../core/stats/defs.js';
import type { HostSpec } from '../core/cluster/host.js';
import type { BlockDescriptor } from '../core/stats/block.js';
import { Discovery } from './discovery/dns.js';
import { HealthChecker, OutlierDetector } from './discovery/health.js';
import { resolveTls, TlsFiles, type ResolvedTls } from './tls/material.js';
import type { ConfigPush, FromWorker, ListenerPlan, ToWorker, WorkerTask } from './protocol.js';
import type { AdminContext, CommandLineOptions, ServerState } from './admin/context.js';
import { createAdminHandler, refreshServerGauges } from './admin/handlers.js';
import { flushHistograms, isCounterSlot } from '../core/stats/collect.js';
import { HOSTS_PER_PAGE } from '../core/cluster/runtime.js';
import { readConfig } from './config-source.js';
import { bindShared, freePort, type BoundSocket } from './runtime/bind.js';
import { FdDuplicator, type RawHandle } from './runtime/fd-dup.js';
import { Logger } from './log.js';
import { VERSION } from './version.js';
import { runtimeEntriesFor } from './runtime/layers.js';
import { checkBunConfig, bunRefusal } from './runtime/bun-check.js';
import { AccessLogSink } from './access-log/file-sink.js';
import { compileFormat } from '../core/access-log/format.js';
import { createAccessLogRecord } from '../core/access-log/record.js';
import { BUN, IS_BUN, bunFreePort, bunProbePort } from './runtime/bun.js';
import type { BunListenerMode } from './engines/bun-support.js';

export class StartError extends Error {}

interface WorkerSlot {
  port: MessagePort;
  applied: Map<number, (errors: readonly string[]) => void>;
  stopped: (() => void) | null;
  task: Promise<unknown>;
}

/** uWebSockets.js 20.30 closes idle keep-alive connections after this, whatever idle_timeout says. */
const UWS_IDLE_TIMEOUT_MS = 10_000;

export class Server {
  readonly startedAtMs = Date.now();
  private snap!: Snapshot;
  private registry!: StatsRegistry;
  private discovery!: Discovery;
  private health!: HealthChecker;
  private outlier!: OutlierDetector;
  private pool: Piscina | null = null;
  private readonly workers: WorkerSlot[] = [];
  private readonly bound = new Map<string, BoundSocket>();
  /** Per bound socket, one duplicate descriptor per worker (index = worker). */
  private readonly workerFds = new Map<string, number[]>();
  /** Duplicates handed to workers: never closed here (the worker owns that fd now). */
  private readonly dups: RawHandle[] = [];
  private readonly fdDup = new FdDuplicator();
  private readonly counters = new Map<string, SharedArrayBuffer>();
  /** ConfigPush.globalConnections: [0] total, [1 + w] worker w's share. */
  private readonly globalConnections: SharedArrayBuffer;
  /** [0]: health check failed (ConfigPush.serverFlags). */
  private readonly serverFlags = new Int32Array(new SharedArrayBuffer(4));
  private readonly tlsFiles = new TlsFiles();
  private tls!: ResolvedTls;
  private admin: http.Server | null = null;
  private adminLogs: { sink: AccessLogSink; fmt: ReturnType<typeof compileFormat> }[] = [];
  private version = 0;
  private state: ServerState = 3;
  private hcFailed = false;
  private runtimeEntries = new Map<string, RuntimeEntry>();
  private adminLayer: Record<string, RuntimeValue> = {};
  private flushTimer: ReturnType<typeof setInterval> | null = null;
  private shuttingDown: Promise<void> | null = null;
  /** /drain_listeners stopped the listeners (they stay stopped, also in a replaced worker). */
  private listenersStopped = false;
  /** /drain_listeners?graceful is in force: responses discourage keep-alive. */
  private discouraging = false;
  /** /drain_listeners?graceful: stops the listeners when --drain-time-s is over. */
  private drainTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listenerAddrs = new Map<string, string>();
  private reuseKeys = new Set<string>();
  /** On Bun: how each listener runs on Bun.serve (decided by checkBun). */
  private bunModes = new Map<string, BunListenerMode>();
  readonly rows: number;

  constructor(
    readonly options: CommandLineOptions,
    readonly log: Logger,
  ) {
    this.rows = options.concurrency + 1;
    this.globalConnections = new SharedArrayBuffer(4 * this.rows);
  }

  // ================================================================= start-up

  async start(first: Snapshot): Promise<void> {
    this.snap = first;
    this.registry = new StatsRegistry(this.rows);
    const srv = this.serverStats();
    srv[SERVER['server.concurrency']] = this.options.concurrency;
    srv[SERVER['server.state']] = 3;
    srv[SERVER['server.live']] = 0;
    this.discovery = new Discovery(this.registry, (c, h, p) => this.onMembership(c, h, p), undefined, (c) => this.health.initialFlags(c));
    const logAt = (level: string, msg: string) => this.log.log(level, 'upstream', msg);
    this.health = new HealthChecker(this.registry, this.discovery, logAt);
    this.outlier = new OutlierDetector(this.registry, this.discovery, logAt);
    this.health.apply(first);
    this.outlier.apply(first);
    this.tls = this.resolveTlsOrThrow(first);
    this.refreshRuntime(first);
    if (IS_BUN) this.bunModes = await this.checkBun(first);
    const layout = this.registry.prepare(first);
    void layout;
    this.bindListeners(first);
    await this.dupFds(this.workerIndexes());
    await this.discovery.apply(first);
    // Envoy's cluster warming: actively checked clusters get their first round before listeners serve.
    await Promise.race([this.health.firstRound(), new Promise((r) => setTimeout(r, 15_000).unref())]);
    this.startWorkers();
    const errors = await this.push(first);
    if (errors.length > 0) throw new StartError(errors.join('\n'));
    this.reuseKeys = this.reusedKeys(first);
    this.countListenerChanges(null, first);
    await this.startAdmin(first);
    this.state = 0;
    srv[SERVER['server.state']] = 0;
    srv[SERVER['server.live']] = 1;
    srv[SERVER['listener_manager.workers_started']] = 1;
    this.flushTimer = setInterval(() => flushHistograms(this.registry), first.statsFlushIntervalMs);
    this.flushTimer.unref();
    const on = IS_BUN ? `Bun ${BUN!.version}` : `Node.js ${process.versions.node}`;
    this.log.info('main', `starting workers: ${this.options.concurrency}; all listeners started; nuncio ${VERSION} is live (${on})`);
  }

  private serverStats(): Float64Array {
    return this.registry.get('server')!.row(this.registry.adminRow);
  }

  private resolveTlsOrThrow(s: Snapshot): ResolvedTls {
    const r = resolveTls(s, this.tlsFiles);
    if (r.issues.length > 0) {
      throw new StartError(
        r.issues.map((i) => `${i.where}: ${i.message}`).join('\n') +
          '\nnuncio refuses to serve with this TLS material: fix the certificate/key (they must parse and match, and the certificate must be valid now).',
      );
    }
    return r;
  }

  private refreshRuntime(s: Snapshot): void {
    this.runtimeEntries = runtimeEntriesFor(s, this.adminLayer);
    const srv = this.serverStats();
    srv[SERVER['runtime.num_keys']] = this.runtimeEntries.size;
    srv[SERVER['runtime.num_layers']] = s.runtime.layers.length;
    srv[SERVER['runtime.load_success']]++;
    srv[SERVER['runtime.admin_overrides_active']] = Object.keys(this.adminLayer).length > 0 ? 1 : 0;
  }

  private connectionLimit(l: ListenerConfig): number {
    return listenerConnectionLimit(this.runtimeEntries, l.name);
  }

  private globalLimit(): number {
    return globalConnectionLimit(this.runtimeEntries);
  }

  /** uWebSockets.js serves plain HTTP1 listeners; everything else needs the node engine. On Bun: Bun.serve. */
  private engineFor(l: ListenerConfig): 'uws' | 'node' | 'bun' {
    if (IS_BUN) return 'bun';
    if (l.filterChains.length !== 1) return 'node';
    const fc = l.filterChains[0];
    if (fc.hcm.codec !== 'HTTP1') return 'node';
    // Operators whose clients send what uWS 20.30 cannot take (README, Platform limits) opt out of it.
    if (this.options.http1Engine === 'node') return 'node';
    if (this.connectionLimit(l) > 0 || this.globalLimit() > 0) return 'node';
    // What uWS 20.30 cannot honour (no connection hooks or timers before a request reaches nuncio, a fixed
    // 10 s idle timeout, silence for HTTP/1.0 and for header names with '_'): such listeners get the node
    // engine, which does all of it, rather than a setting silently not applied.
    const h = fc.hcm;
    if (h.requestHeadersTimeoutMs > 0 || h.maxConnectionDurationMs > 0 || h.acceptHttp10) return 'node';
    if (h.idleTimeoutMs > 0 && h.idleTimeoutMs < UWS_IDLE_TIMEOUT_MS) return 'node';
    if (h.headersWithUnderscoresAction !== 'ALLOW') return 'node';
    // uWS takes only a certificate, key and passphrase: any other TLS setting (tls_params, client
    // certificate validation, ALPN, require_sni, several certificates, SNI chains) needs the node engine.
    if (fc.tls && (fc.serverNames.length > 0 || !certificatesOnly(fc.tls))) return 'node';
    return 'uws';
  }

  private bindListeners(s: Snapshot): void {
    for (const l of s.listeners) {
      const key = `${l.name}|${l.address.address}:${l.address.port}`;
      if (this.engineFor(l) === 'node') {
        if (this.bound.has(key)) continue;
        try {
          const b = bindShared(l.address.address, l.address.port);
          this.bound.set(key, b);
          this.listenerAddrs.set(l.name, fmtAddr(l.address.address, b.port));
        } catch (e) {
          throw new StartError(`listener '${l.name}': cannot bind ${l.address.address}:${l.address.port}: ${(e as Error).message}`);
        }
      } else {
        let port = l.address.port;
        if (port === 0) port = IS_BUN ? bunFreePort(l.address.address) : freePort(l.address.address);
        else if (!this.reuseKeys.has(key)) this.probeExclusive(l, port);
        this.listenerAddrs.set(l.name, fmtAddr(l.address.address, port));
      }
    }
  }

  /**
   * uWS and Bun.serve listen with SO_REUSEPORT, which would let a second nuncio (or any process of the
   * same user that also sets it) share a port silently, each taking part of the connections. A plain bind
   * first, closed at once, fails if anything listens there, so a port in use is refused as on the node engine.
   */
  private probeExclusive(l: ListenerConfig, port: number): void {
    try {
      if (IS_BUN) bunProbePort(l.address.address, port);
      else bindShared(l.address.address, port).close();
    } catch (e) {
      throw new StartError(`listener '${l.name}': cannot bind ${l.address.address}:${port}: ${(e as Error).message}`);
    }
  }

  /** Listeners served with SO_REUSEPORT by this nuncio now (not probed again on reload). */
  private reusedKeys(s: Snapshot): Set<string> {
    const keys = new Set<string>();
    for (const l of s.listeners) if (this.engineFor(l) !== 'node') keys.add(`${l.name}|${l.address.address}:${l.address.port}`);
    return keys;
  }

  /** Gives each worker its own descriptor for every shared listening socket it does not have yet. */
  private async dupFds(workers: readonly number[], replace = false): Promise<void> {
    for (const [key, b] of this.bound) {
      let fds = this.workerFds.get(key);
      if (!fds) {
        fds = [];
        this.workerFds.set(key, fds);
      }
      for (const w of workers) {
        if (fds[w] !== undefined && !replace) continue;
        const h = await this.fdDup.dup(b.handle);
        this.dups.push(h);
        fds[w] = h.fd;
      }
    }
  }

  private plans(s: Snapshot, worker: number): ListenerPlan[] {
    return s.listeners.map((l, i) => {
      const engine = this.engineFor(l);
      const key = `${l.name}|${l.address.address}:${l.address.port}`;
      let counter = this.counters.get(l.name);
      if (!counter) {
        counter = new SharedArrayBuffer(4 * this.rows);
        this.counters.set(l.name, counter);
      }
      return {
        name: l.name,
        engine,
        fd: engine === 'node' ? (this.workerFds.get(key)?.[worker] ?? -1) : -1,
        tls: this.tls.chains[i],
        connectionLimit: this.connectionLimit(l),
        counter,
        bun: engine === 'bun' ? (this.bunModes.get(l.name) ?? null) : null,
      };
    });
  }

  // ================================================================= Bun

  /**
   * What Bun.serve can do for each listener: refuses the config (StartError naming the listeners) when
   * one needs what this Bun lacks, logs what will work differently, and returns how each listener runs.
   */
  private async checkBun(s: Snapshot): Promise<Map<string, BunListenerMode>> {
    const c = await checkBunConfig(s, this.runtimeEntries);
    for (const w of c.warnings) this.log.warn('main', w);
    if (c.errors.length > 0) throw new StartError(bunRefusal(c));
    return c.modes;
  }

  /** The snapshot with uWS port-0 listeners pinned to the port chosen here (all workers must agree). */
  private pinned(s: Snapshot): Snapshot {
    if (!s.listeners.some((l) => l.address.port === 0)) return s;
    return {
      ...s,
      listeners: s.listeners.map((l) => {
        if (l.address.port !== 0) return l;
        const a = this.listenerAddrs.get(l.name);
        const port = a ? Number(a.slice(a.lastIndexOf(':') + 1)) : 0;
        return { ...l, address: { address: l.address.address, port } };
      }),
    };
  }

  private startWorkers(): void {
    const n = this.options.concurrency;
    this.pool = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: n,
      maxThreads: n,
      idleTimeout: 2 ** 31 - 1,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      maxQueue: 'auto',
    });
    for (let i = 0; i < n; i++) this.startWorker(i);
  }

  private startWorker(i: number): void {
    const ch = new MessageChannel();
    const slot: WorkerSlot = { port: ch.port1, applied: new Map(), stopped: null, task: Promise.resolve() };
    this.workers[i] = slot;
    ch.port1.on('message', (m: FromWorker) => this.onWorkerMessage(i, m));
    const task: WorkerTask = { worker: i, rows: this.rows, port: ch.port2, logLevel: this.options.logLevel, hostname: os.hostname() };
    slot.task = this.pool!.run(task, { transferList: [ch.port2] as never }).then(
      () => undefined,
      (e: unknown) => this.onWorkerDeath(i, e),
    );
  }

  private onWorkerDeath(i: number, e: unknown): void {
    if (this.shuttingDown) return;
    this.log.critical('main', `worker ${i} died: ${(e as Error)?.stack ?? e}; starting a replacement`);
    this.serverStats()[SERVER['nuncio.worker_restarts']]++;
    this.workers[i]?.port.close();
    // Its connections and requests died with it: zero the gauges its row held (counters stay: they
    // are history, and the replacement keeps adding to the same row).
    for (const b of this.registry.blocks.values()) {
      if (b.type === 'hosts') {
        const gauges: number[] = [];
        for (let h = 0; h < HOSTS_PER_PAGE; h++) gauges.push(h * HOST_BLOCK_SIZE + HOST.cx_active, h * HOST_BLOCK_SIZE + HOST.rq_active);
        b.resetRow(i, gauges);
      } else {
        const gauges: number[] = [];
        for (let s = 0; s < b.size; s++) if (!isCounterSlot(b.type, s)) gauges.push(s);
        b.resetRow(i, gauges);
      }
    }
    // Its connections no longer count against connection limits.
    for (const buf of [...this.counters.values(), this.globalConnections]) {
      const a = new Int32Array(buf);
      Atomics.sub(a, 0, Atomics.exchange(a, 1 + i, 0));
    }
    // The dead worker's descriptors closed with it: the replacement gets fresh ones.
    void this.dupFds([i], true).then(() => {
      this.startWorker(i);
      // A drain in force applies to the replacement before its config (it opens no stopped listener).
      if (this.listenersStopped || this.discouraging) this.send(i, { type: 'drain', graceful: !this.listenersStopped });
      return this.pushTo(i, this.snap);
    });
  }

  private workerIndexes(): number[] {
    return Array.from({ length: this.options.concurrency }, (_, i) => i);
  }

  private onWorkerMessage(i: number, m: FromWorker): void {
    const slot = this.workers[i];
    if (m.type === 'applied') {
      const cb = slot.applied.get(m.version);
      slot.applied.delete(m.version);
      cb?.(m.errors);
    } else if (m.type === 'log') {
      this.log.log(m.level, 'worker', m.text, m.worker + 1);
    } else if (m.type === 'stopped') {
      slot.stopped?.();
    } else if (m.type === 'outlier') {
      this.outlier.onHit(m.cluster, m.address, m.port, m.which);
    }
  }

  /** Sends a config to every worker and waits for all of them to apply it. */
  private async push(s: Snapshot): Promise<string[]> {
    const results = await Promise.all(this.workers.map((_w, i) => this.pushTo(i, s)));
    return [...new Set(results.flat())];
  }

  private pushTo(i: number, s: Snapshot): Promise<readonly string[]> {
    const version = ++this.version;
    const push: ConfigPush = {
      version,
      snapshot: this.pinned(s),
      stats: this.registry.layout(),
      listeners: this.plans(s, i),
      clusterTls: this.tls.clusters,
      membership: this.discovery.membership(),
      globalConnectionLimit: this.globalLimit(),
      globalConnections: this.globalConnections,
      serverFlags: this.serverFlags.buffer as SharedArrayBuffer,
    };
    const slot = this.workers[i];
    return new Promise((resolve) => {
      slot.applied.set(version, resolve);
      this.send(i, { type: 'config', push });
    });
  }

  private send(i: number, m: ToWorker): void {
    this.workers[i]?.port.postMessage(m);
  }

  private broadcast(m: ToWorker): void {
    for (let i = 0; i < this.workers.length; i++) this.send(i, m);
  }

  private onMembership(cluster: string, hosts: HostSpec[], pages: BlockDescriptor[]): void {
    this.health.sync(cluster, hosts);
    // Before workers exist (initial resolution) the push carries membership instead.
    if (this.workers.length === 0) return;
    this.broadcast({ type: 'membership', cluster, hosts, pages: this.registry.layout().hostPages });
    void pages;
  }

  private countListenerChanges(prev: Snapshot | null, next: Snapshot): void {
    const srv = this.serverStats();
    const before = new Map((prev?.listeners ?? []).map((l) => [l.name, JSON.stringify(l)]));
    for (const l of next.listeners) {
      const b = before.get(l.name);
      if (b === undefined) srv[SERVER['listener_manager.listener_added']]++;
      else if (b !== JSON.stringify(l)) srv[SERVER['listener_manager.listener_modified']]++;
      srv[SERVER['listener_manager.listener_create_success']] += b === JSON.stringify(l) ? 0 : 1;
    }
    const names = new Set(next.listeners.map((l) => l.name));
    for (const name of before.keys()) if (!names.has(name)) srv[SERVER['listener_manager.listener_removed']]++;
    srv[SERVER['listener_manager.total_listeners_active']] = next.listeners.length;
    const cb = new Map((prev?.clusters ?? []).map((c) => [c.name, JSON.stringify(c)]));
    for (const c of next.clusters) {
      const b = cb.get(c.name);
      if (b === undefined) srv[SERVER['cluster_manager.cluster_added']]++;
      else if (b !== JSON.stringify(c)) srv[SERVER['cluster_manager.cluster_modified']]++;
    }
    const cn = new Set(next.clusters.map((c) => c.name));
    for (const name of cb.keys()) if (!cn.has(name)) srv[SERVER['cluster_manager.cluster_removed']]++;
    srv[SERVER['cluster_manager.active_clusters']] = next.clusters.length;
  }

  // ================================================================= reload

  /** Re-reads the config file (SIGHUP). A bad config is rejected and the old one keeps serving. */
  async reload(): Promise<boolean> {
    const srv = this.serverStats();
    srv[SERVER['nuncio.config_reload_total']]++;
    const r = readConfig(this.options);
    if (!r.ok) {
      srv[SERVER['nuncio.config_reload_failure']]++;
      this.log.error('main', `config reload rejected, keeping the running config:\n${r.errors.join('\n')}`);
      return false;
    }
    const next = r.snapshot;
    let tls: ResolvedTls;
    try {
      tls = this.resolveTlsOrThrow(next);
    } catch (e) {
      srv[SERVER['nuncio.config_reload_failure']]++;
      this.log.error('main', `config reload rejected, keeping the running config:\n${(e as Error).message}`);
      return false;
    }
    if (next.admin && this.snap.admin && JSON.stringify(next.admin.address) !== JSON.stringify(this.snap.admin.address)) {
      this.log.warn('main', 'config reload: admin address changes take effect on restart only');
    }
    const prev = this.snap;
    const prevModes = this.bunModes;
    const listenerKey = (l: ListenerConfig) => `${l.name}|${l.address.address}:${l.address.port}`;
    const prevEngines = new Map(prev.listeners.map((l) => [listenerKey(l), this.engineFor(l)]));
    try {
      this.tls = tls;
      this.refreshRuntime(next);
      // uWS listens with SO_REUSEPORT and the node engine on a socket bound here without it: one cannot
      // take over the other's port while it serves. Said plainly rather than as "address already in use".
      for (const l of next.listeners) {
        const was = prevEngines.get(listenerKey(l));
        const now = this.engineFor(l);
        if (was !== undefined && was !== now && !this.listenersStopped) {
          throw new Error(
            `listener '${l.name}': the new settings need the ${now === 'uws' ? 'uWebSockets.js' : 'node'} engine, but it is served by the ` +
              `${was === 'uws' ? 'uWebSockets.js' : 'node'} engine; a reload cannot move a listener between engines on the same address (restart nuncio, or change its name or port)`,
          );
        }
      }
      if (IS_BUN) this.bunModes = await this.checkBun(next);
      this.registry.prepare(next);
      // Stopped listeners stay stopped (the workers open none): nothing to bind.
      if (!this.listenersStopped) this.bindListeners(next);
      await this.dupFds(this.workerIndexes());
      this.health.apply(next);
      this.outlier.apply(next);
      await this.discovery.apply(next);
      this.snap = next;
      const errors = await this.push(next);
      if (errors.length > 0) throw new Error(errors.join('\n'));
    } catch (e) {
      srv[SERVER['nuncio.config_reload_failure']]++;
      this.log.error('main', `config reload failed, restoring the previous config: ${(e as Error).message}`);
      this.snap = prev;
      this.bunModes = prevModes;
      this.refreshRuntime(prev);
      this.registry.prepare(prev);
      await this.discovery.apply(prev);
      await this.push(prev);
      return false;
    }
    // Sockets of listeners that are gone.
    const keep = new Set(next.listeners.map((l) => `${l.name}|${l.address.address}:${l.address.port}`));
    for (const [k, b] of this.bound) {
      if (!keep.has(k)) {
        b.close();
        this.bound.delete(k);
        this.workerFds.delete(k);
      }
    }
    this.reuseKeys = this.reusedKeys(next);
    this.countListenerChanges(prev, next);
    srv[SERVER['nuncio.config_reload_success']]++;
    this.log.info('main', `config reloaded (version ${this.version})`);
    return true;
  }

  // ================================================================= admin

  private async startAdmin(s: Snapshot): Promise<void> {
    if (!s.admin) return;
    for (const al of s.admin.accessLogs) {
      if (al.path === '/dev/null') continue;
      this.adminLogs.push({ sink: new AccessLogSink(al.path), fmt: compileFormat(al, { hostname: os.hostname() }) });
    }
    const adminHandler = createAdminHandler(this.adminContext());
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      // Test hook, off unless NUNCIO_TEST_HOOKS=1: make a worker die to exercise its replacement.
      if (process.env.NUNCIO_TEST_HOOKS === '1' && req.method === 'POST' && req.url?.startsWith('/debug/crash_worker')) {
        const n = Number(new URL(req.url, 'http://x').searchParams.get('worker') ?? 0);
        this.send(n, { type: 'crash' });
        res.end('OK\n');
        return;
      }
      adminHandler(req, res);
    };
    const hcm = this.registry.get('http.admin')!.row(this.registry.adminRow);
    const lst = this.registry.get('listener.admin')!.row(this.registry.adminRow);
    this.admin = http.createServer((req, res) => {
      hcm[HCM.downstream_rq_total]++;
      hcm[HCM.downstream_rq_http1_total]++;
      hcm[HCM.downstream_rq_active]++;
      const start = Date.now();
      res.once('finish', () => {
        hcm[HCM.downstream_rq_active]--;
        hcm[HCM.downstream_rq_completed]++;
        const cls = (res.statusCode / 100) | 0;
        if (cls >= 1 && cls <= 5) hcm[HCM.downstream_rq_1xx + cls - 1]++;
        this.logAdmin(req, res, start);
      });
      handler(req, res);
    });
    this.admin.on('connection', (sock) => {
      lst[LISTENER.downstream_cx_total]++;
      lst[LISTENER.downstream_cx_active]++;
      hcm[HCM.downstream_cx_total]++;
      hcm[HCM.downstream_cx_active]++;
      hcm[HCM.downstream_cx_http1_total]++;
      sock.once('close', () => {
        lst[LISTENER.downstream_cx_active]--;
        lst[LISTENER.downstream_cx_destroy]++;
        hcm[HCM.downstream_cx_active]--;
        hcm[HCM.downstream_cx_destroy]++;
      });
    });
    const a = s.admin.address;
    await new Promise<void>((resolve, reject) => {
      this.admin!.once('error', (e) => reject(new StartError(`admin: cannot bind ${a.address}:${a.port}: ${(e as Error).message}`)));
      this.admin!.listen(a.port, a.address, () => resolve());
    });
  }

  private logAdmin(req: http.IncomingMessage, res: http.ServerResponse, start: number): void {
    if (this.adminLogs.length === 0) return;
    for (const l of this.adminLogs) {
      const rec = {
        ...createAccessLogRecord(),
        startTimeMs: start,
        method: req.method ?? '',
        path: req.url ?? '',
        authority: req.headers.host ?? '',
        protocol: 'HTTP/1.1' as const,
        responseCode: res.statusCode,
        durationMs: Date.now() - start,
        downstreamRemoteAddress: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
        requestHeaders: flatten(req.headers),
      };
      l.sink.write(l.fmt.format(rec));
    }
  }

  private adminContext(): AdminContext {
    return {
      version: VERSION,
      startedAtMs: this.startedAtMs,
      options: this.options,
      hostname: os.hostname(),
      snapshot: () => this.snap,
      registry: this.registry,
      concurrency: this.options.concurrency,
      hosts: (c) => this.discovery.hosts(c),
      state: () => this.state,
      runtime: () => ({ layers: this.snap.runtime.layers.map((l) => l.name), entries: this.runtimeEntries }),
      runtimeModify: (values) => {
        if (!this.snap.runtime.layers.some((l) => l.kind === 'admin')) return 'No admin layer specified';
        for (const [k, v] of Object.entries(values)) {
          if (v === '') delete this.adminLayer[k];
          else this.adminLayer[k] = v;
        }
        this.refreshRuntime(this.snap);
        return null;
      },
      healthCheckFailed: () => this.hcFailed,
      setHealthCheckFailed: (failed) => {
        this.hcFailed = failed;
        Atomics.store(this.serverFlags, 0, failed ? 1 : 0);
        this.serverStats()[SERVER['server.live']] = failed ? 0 : 1;
        this.broadcast({ type: 'health', failed });
      },
      drainListeners: (o) => {
        // The server state stays LIVE (Envoy's serverState() is DRAINING only while health checks fail).
        // Envoy: the listeners stop (at once, or after a graceful drain period in which they still
        // accept and responses discourage keep-alive; never with skip_exit); the process keeps running.
        if (!o.graceful) {
          this.stopListeners();
          return;
        }
        this.discouraging = true;
        this.broadcast({ type: 'drain', graceful: true });
        if (!o.skipExit && this.drainTimer === null && !this.listenersStopped) {
          this.drainTimer = setTimeout(() => this.stopListeners(), this.options.drainTimeS * 1000);
          this.drainTimer.unref();
        }
      },
      quit: () => void this.shutdown(0),
      logLevel: () => this.log.levelName,
      setLogLevel: (l) => this.log.setLevel(l),
      resetCounters: () => {},
      memory: () => {
        const m = process.memoryUsage();
        return { allocated: m.heapUsed, heapSize: m.heapTotal, physicalSize: m.rss, pageheapUnmapped: 0, pageheapFree: 0, totalThreadCache: 0 };
      },
      firstCertExpiryMs: () => this.tls.firstExpiry,
      listenerAddresses: () => this.listenerAddrs,
    };
  }

  /**
   * Workers stop accepting and drain their connections. The admin thread's own descriptors of the
   * node engine's sockets are closed too: while one is open the socket stays in LISTEN and the kernel
   * completes handshakes nobody will accept, where a client should be refused.
   */
  private stopListeners(): void {
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    this.listenersStopped = true;
    this.broadcast({ type: 'drain', graceful: false });
    this.closeBound();
  }

  /** Closes this thread's copies of the node engine's listening sockets (a socket stays in LISTEN while one is open). */
  private closeBound(): void {
    for (const b of this.bound.values()) b.close();
    this.bound.clear();
    this.workerFds.clear();
  }

  refreshGauges(): void {
    refreshServerGauges(this.adminContext());
  }

  // ================================================================= shutdown

  /** Drains (stop accepting, finish in-flight within --drain-time-s), stops workers, exits. */
  shutdown(code: number): Promise<void> {
    if (this.shuttingDown) return this.shuttingDown;
    this.shuttingDown = (async () => {
      this.log.info('main', 'shutting down: draining listeners');
      this.state = 1;
      if (this.registry) this.serverStats()[SERVER['server.state']] = 1;
      if (this.flushTimer) clearInterval(this.flushTimer);
      if (this.drainTimer !== null) clearTimeout(this.drainTimer);
      this.discovery?.stop();
      this.health?.stop();
      this.outlier?.stop();
      const deadline = this.options.drainTimeS * 1000;
      const stopped = Promise.all(
        this.workers.map(
          (w, i) =>
            new Promise<void>((resolve) => {
              w.stopped = resolve;
              this.send(i, { type: 'stop', deadlineMs: deadline });
            }),
        ),
      );
      // New connections are refused during the drain (see stopListeners).
      this.closeBound();
      await stopped;
      await Promise.all(this.workers.map((w) => w.task));
      await this.pool?.destroy();
      this.fdDup.close();
      await Promise.all(this.adminLogs.map((l) => l.sink.close()));
      await new Promise<void>((r) => (this.admin ? this.admin.close(() => r()) : r()));
      this.admin?.closeAllConnections?.();
      this.tlsFiles.cleanup();
      this.log.info('main', 'exiting');
      process.exitCode = code;
    })();
    return this.shuttingDown;
  }

  cleanupFiles(): void {
    this.tlsFiles.cleanup();
  }
}

/** A DownstreamTlsContext that sets nothing but its certificate: what uWebSockets.js can serve as configured. */
function certificatesOnly(t: DownstreamTlsContext): boolean {
  const c = t.common;
  const p = c.params;
  return (
    c.tlsCertificates.length === 1 &&
    c.validationContext === null &&
    c.alpnProtocols.length === 0 &&
    !t.requireClientCertificate &&
    !t.requireSni &&
    p.minVersion === 'AUTO' &&
    p.maxVersion === 'AUTO' &&
    p.cipherSuites.length === 0 &&
    p.ecdhCurves.length === 0
  );
}

function fmtAddr(a: string, port: number): string {
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

function flatten(h: http.IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(k, x);
    else out.push(k, v);
  }
  return out;
}


