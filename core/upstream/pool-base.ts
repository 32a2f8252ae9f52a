// The protocol-independent half of an upstream connection pool (Envoy's ConnPoolImplBase): pending
// request queue, circuit breakers, which connection serves which request, when to open another, and
// the cluster and host stats that go with it. Subclasses in workers/ own the sockets and the codec.
import type { ClusterRuntime } from '../cluster/runtime.js';
import type { Host } from '../cluster/host.js';
import { CLUSTER, CLUSTER_H, HOST } from '../stats/defs.js';
import { ResetReason, type Clock, type UpstreamCallbacks, type UpstreamPool } from '../http/contracts.js';

export interface PoolConnection {
  /** Streams this connection can carry at once (1 for HTTP/1.1). */
  capacity: number;
  /** Streams in flight on it. */
  active: number;
  /** Connected and usable. */
  ready: boolean;
  /** Not to be given new streams (GOAWAY, max requests, closing). */
  draining: boolean;
  /** Requests served so far (max_requests_per_connection). */
  served: number;
  /** When the connect started / finished (monotonic ms), for the histograms. */
  connectStart: number;
  connectedAt: number;
}

export abstract class PoolBase<C extends PoolConnection> implements UpstreamPool {
  protected readonly conns: C[] = [];
  private pending: (UpstreamCallbacks | null)[] = [];
  private pendingHead = 0;
  private pendingCount = 0;
  private draining = false;
  private drainDone: (() => void) | null = null;
  protected readonly stats: Float64Array;

  constructor(
    readonly cluster: ClusterRuntime,
    readonly host: Host,
    protected readonly clock: Clock,
  ) {
    this.stats = cluster.stats;
  }

  get busy(): number {
    let n = this.pendingCount;
    for (const c of this.conns) n += c.active;
    return n;
  }

  // -------------------------------------------------------------------------------- UpstreamPool

  newStream(cb: UpstreamCallbacks): void {
    const cl = this.cluster;
    if (this.draining) {
      cb.onUpstreamError(ResetReason.ConnectionTermination, 'pool draining');
      return;
    }
    // As Envoy: max_requests is checked when a stream is attached to a connection; a request with no
    // ready connection queues (bounded by max_pending_requests) and meets max_requests later.
    const c = this.idleConnection();
    if (c !== null) {
      this.attach(c, cb);
      return;
    }
    if (cl.pendingRequests() >= cl.thresholds.maxPendingRequests) {
      this.stats[CLUSTER.upstream_rq_pending_overflow]++;
      cb.onUpstreamError(ResetReason.Overflow, '');
      return;
    }
    this.pending.push(cb);
    this.pendingCount++;
    this.stats[CLUSTER.upstream_rq_pending_total]++;
    this.stats[CLUSTER.upstream_rq_pending_active]++;
    this.maybeConnect();
  }

  cancelPending(cb: UpstreamCallbacks): boolean {
    for (let i = this.pendingHead; i < this.pending.length; i++) {
      if (this.pending[i] === cb) {
        this.pending[i] = null;
        this.pendingCount--;
        this.stats[CLUSTER.upstream_rq_pending_active]--;
        this.stats[CLUSTER.upstream_rq_cancelled]++;
        this.closeIdleIfDraining();
        this.checkDrained();
        return true;
      }
    }
    return false;
  }

  /**
   * Envoy's drain-and-delete: no new requests; idle connections close now, busy ones when their
   * streams end; requests already queued are still served (connections being set up for them stay).
   */
  drain(done?: () => void): void {
    this.draining = true;
    if (done) this.drainDone = done;
    this.closeIdleIfDraining();
    this.checkDrained();
  }

  destroy(): void {
    this.draining = true;
    this.failPending(ResetReason.LocalReset, 'pool destroyed', Infinity);
    for (const c of [...this.conns]) this.closeConnection(c);
  }

  // -------------------------------------------------------------------------------- for subclasses

  /** Opens a new connection (connecting; call connected()/connectFailed() later). */
  protected abstract openConnection(): C;
  /** Starts a stream for `cb` on a ready connection. */
  protected abstract startStream(c: C, cb: UpstreamCallbacks): void;
  /** Closes a connection locally (idle, drained, or destroyed). Must call closed() when done. */
  protected abstract closeConnection(c: C): void;

  protected connected(c: C): void {
    const now = this.clock.now();
    c.ready = true;
    c.connectedAt = now;
    this.cluster.hist.record(CLUSTER_H.upstream_cx_connect_ms, now - c.connectStart);
    this.servePending();
    this.closeIdleIfDraining();
  }

  /**
   * A connect attempt failed. As Envoy (ConnPoolImplBase::onConnectionEvent), every pending request
   * fails, so the caller can decide (retry elsewhere, 503) instead of waiting on a bad upstream.
   */
  protected connectFailed(c: C, timeout: boolean, transport: string): void {
    const st = this.stats;
    if (timeout) st[CLUSTER.upstream_cx_connect_timeout]++;
    st[CLUSTER.upstream_cx_connect_fail]++;
    this.cluster.hostStats.inc(this.host.statIndex, HOST.cx_connect_fail);
    // A refused connect is a remote close to Envoy, a connect timeout a local one.
    this.countDestroy(c, !timeout);
    this.remove(c, false);
    // Only those queued now: a retry submitted from a failure callback is not failed inline.
    this.failPending(timeout ? ResetReason.ConnectionTimeout : ResetReason.ConnectionFailure, transport, this.pendingCount);
    this.maybeConnect();
    this.checkDrained();
  }

  /** A connection went away (either side). `remote` for the upstream closing it. */
  protected closed(c: C, remote: boolean): void {
    if (!this.conns.includes(c)) return;
    this.countDestroy(c, remote);
    this.remove(c, c.ready);
    this.maybeConnect();
    this.checkDrained();
  }

  /** A stream on `c` finished (either way); frees its capacity. */
  protected streamDone(c: C): void {
    if (!this.conns.includes(c)) return; // its connection already went away and was accounted for
    c.active--;
    this.stats[CLUSTER.upstream_rq_active]--;
    this.cluster.hostStats.inc(this.host.statIndex, HOST.rq_active, -1);
    if (c.draining) {
      if (c.active === 0) this.closeConnection(c);
      this.checkDrained();
      return;
    }
    if (c.ready) this.servePending();
    this.closeIdleIfDraining();
  }

  /** The connection will take no new streams (HTTP/2 GOAWAY); open others for pending requests. */
  protected connectionDraining(c: C): void {
    c.draining = true;
    if (c.active === 0) this.closeConnection(c);
    this.maybeConnect();
  }

  // -------------------------------------------------------------------------------- internals

  /**
   * Envoy counts every closed connection, connected or not (reportUpstreamCxDestroy), and its length
   * from creation (the connect time included).
   */
  private countDestroy(c: C, remote: boolean): void {
    const st = this.stats;
    st[CLUSTER.upstream_cx_destroy]++;
    st[remote ? CLUSTER.upstream_cx_destroy_remote : CLUSTER.upstream_cx_destroy_local]++;
    if (c.active > 0) {
      st[CLUSTER.upstream_cx_destroy_with_active_rq]++;
      st[remote ? CLUSTER.upstream_cx_destroy_remote_with_active_rq : CLUSTER.upstream_cx_destroy_local_with_active_rq]++;
    }
    this.cluster.hist.record(CLUSTER_H.upstream_cx_length_ms, this.clock.now() - c.connectStart);
  }

  private idleConnection(): C | null {
    // Most recently used first: keeps few connections warm (HTTP/1.1), fills one session (HTTP/2).
    for (let i = this.conns.length - 1; i >= 0; i--) {
      const c = this.conns[i];
      if (c.ready && !c.draining && c.active < c.capacity) return c;
    }
    return null;
  }

  private attach(c: C, cb: UpstreamCallbacks): void {
    const cl = this.cluster;
    if (cl.activeRequests() >= cl.thresholds.maxRequests) {
      // Envoy counts this under upstream_rq_pending_overflow too.
      this.stats[CLUSTER.upstream_rq_pending_overflow]++;
      cb.onUpstreamError(ResetReason.Overflow, '');
      return;
    }
    c.active++;
    c.served++;
    const maxReq = cl.cfg.maxRequestsPerConnection;
    if (maxReq > 0 && c.served >= maxReq && !c.draining) {
      // The last stream this connection may carry: no more are attached to it (HTTP/2 included).
      c.draining = true;
      this.stats[CLUSTER.upstream_cx_max_requests]++;
    }
    const st = this.stats;
    st[CLUSTER.upstream_rq_total]++;
    st[CLUSTER.upstream_rq_active]++;
    const hs = this.cluster.hostStats;
    hs.inc(this.host.statIndex, HOST.rq_total);
    hs.inc(this.host.statIndex, HOST.rq_active);
    this.startStream(c, cb);
  }

  private servePending(): void {
    while (this.pendingCount > 0) {
      const c = this.idleConnection();
      if (c === null) break;
      const cb = this.shiftPending();
      if (cb === null) break;
      this.attach(c, cb);
    }
    this.maybeConnect();
  }

  private shiftPending(): UpstreamCallbacks | null {
    while (this.pendingHead < this.pending.length) {
      const cb = this.pending[this.pendingHead++];
      if (cb !== null) {
        this.pendingCount--;
        this.stats[CLUSTER.upstream_rq_pending_active]--;
        this.compact();
        return cb;
      }
    }
    this.compact();
    return null;
  }

  private compact(): void {
    if (this.pendingHead > 64 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    } else if (this.pendingHead === this.pending.length) {
      this.pending.length = 0;
      this.pendingHead = 0;
    }
  }

  private failPending(reason: ResetReason, transport: string, n: number): void {
    while (n > 0 && this.pendingCount > 0) {
      const cb = this.shiftPending();
      if (cb === null) break;
      this.stats[CLUSTER.upstream_rq_pending_failure_eject]++;
      cb.onUpstreamError(reason, transport);
      n--;
    }
  }

  private connectingCapacity(): number {
    let n = 0;
    for (const c of this.conns) if (!c.ready) n += c.capacity;
    return n;
  }

  private maybeConnect(): void {
    while (this.pendingCount > this.connectingCapacity()) {
      const cl = this.cluster;
      const canCreate = cl.activeConnections() < cl.thresholds.maxConnections;
      if (!canCreate) {
        this.stats[CLUSTER.upstream_cx_overflow]++;
        // As Envoy: a host with no connection at all still gets one, or its queued requests would
        // wait with nothing to serve them (other hosts hold the cluster's connections).
        if (this.conns.length !== 0) return;
      }
      const c = this.openConnection();
      c.connectStart = this.clock.now();
      this.conns.push(c);
      const st = this.stats;
      st[CLUSTER.upstream_cx_total]++;
      st[CLUSTER.upstream_cx_active]++;
      st[cl.cfg.protocol === 'http2' ? CLUSTER.upstream_cx_http2_total : CLUSTER.upstream_cx_http1_total]++;
      const hs = cl.hostStats;
      hs.inc(this.host.statIndex, HOST.cx_total);
      hs.inc(this.host.statIndex, HOST.cx_active);
      if (!canCreate) return;
    }
  }

  /** While draining: close ready connections with no streams, and connecting ones nobody waits for. */
  private closeIdleIfDraining(): void {
    if (!this.draining) return;
    const conns = this.conns;
    for (let i = conns.length - 1; i >= 0; i--) {
      const c = conns[i];
      // A draining connection with no streams is already being closed.
      if (c.active === 0 && !c.draining && (c.ready || this.pendingCount === 0)) {
        c.draining = true;
        this.closeConnection(c);
      }
    }
  }

  private remove(c: C, _wasReady: boolean): void {
    const i = this.conns.indexOf(c);
    if (i < 0) return;
    this.conns.splice(i, 1);
    this.stats[CLUSTER.upstream_cx_active]--;
    this.cluster.hostStats.inc(this.host.statIndex, HOST.cx_active, -1);
    if (c.active > 0) {
      this.stats[CLUSTER.upstream_rq_active] -= c.active;
      this.cluster.hostStats.inc(this.host.statIndex, HOST.rq_active, -c.active);
      c.active = 0;
    }
  }

  private checkDrained(): void {
    if (this.draining && this.conns.length === 0 && this.pendingCount === 0 && this.drainDone) {
      const d = this.drainDone;
      this.drainDone = null;
      d();
    }
  }
}
