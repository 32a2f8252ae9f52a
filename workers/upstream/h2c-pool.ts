// HTTP/2 upstream connections on nuncio's own codec (core/http/h2) over net/tls sockets: cleartext
// prior knowledge, or TLS with ALPN h2. Frames produced during one event-loop turn, on every
// connection, leave in one write per connection from a single setImmediate.
import net from 'node:net';
import tls from 'node:tls';
import type { PoolConnection } from '../../core/upstream/pool-base.js';
import { SocketPool } from './socket-pool.js';
import type { Host } from '../../core/cluster/host.js';
import { ResetReason, type TimerHandle, type TimerTarget, type UpstreamCallbacks } from '../../core/http/contracts.js';
import { H2ClientConnection, type H2ClientStream, type H2ConnectionEvents } from '../../core/http/h2/client-connection.js';
import { CLUSTER } from '../../core/stats/defs.js';
import { connectFailureReason, type UpstreamTlsOptions } from './connect.js';

const T_CONNECT = 0;
const T_IDLE = 1;
/** Streams per connection at most, whatever the config and the peer allow (as H2Pool). */
const MAX_STREAMS_CAP = 1024;
const MAX_HEADER_LIST = 65536;

// Connections with frames waiting; one setImmediate writes them all.
const dirty: H2cConn[] = [];
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  // A flush cannot queue more output synchronously, so the list does not grow while it runs.
  for (let i = 0; i < dirty.length; i++) dirty[i].flush();
  dirty.length = 0;
}

class H2cConn implements PoolConnection, TimerTarget, H2ConnectionEvents {
  capacity: number;
  active = 0;
  ready = false;
  draining = false;
  served = 0;
  connectStart = 0;
  connectedAt = 0;
  readonly h2: H2ClientConnection;
  readonly socket: net.Socket;
  private timer: TimerHandle | null = null;
  /** We are closing it (not the peer). */
  private closing = false;
  private failed = false;
  private gone = false;
  private queued = false;
  /** End the socket once the pending frames (GOAWAY) are written. */
  private endAfterFlush = false;
  private lastError: NodeJS.ErrnoException | null = null;
  private readonly cap: number;

  constructor(
    readonly pool: H2cPool,
    host: Host,
    tlsOpts: UpstreamTlsOptions | null,
  ) {
    const cfg = pool.cluster.cfg.http2;
    this.cap = Math.max(1, Math.min(cfg.maxConcurrentStreams, MAX_STREAMS_CAP));
    this.capacity = this.cap;
    this.h2 = new H2ClientConnection(this, {
      initialStreamWindow: cfg.initialStreamWindowSize,
      connectionWindow: cfg.initialConnectionWindowSize,
      maxHeaderListSize: MAX_HEADER_LIST,
      maxOutboundControlFrames: cfg.maxOutboundControlFrames,
      maxConsecutiveEmptyFrames: cfg.maxConsecutiveInboundFramesWithEmptyPayload,
    });
    const opts = { host: host.address, port: host.port, noDelay: true };
    this.socket = tlsOpts ? tls.connect({ ...opts, ALPNProtocols: ['h2'], ...tlsOpts.forHost(host) }) : net.connect(opts);
    this.socket.setNoDelay(true);
    this.timer = pool.timers.schedule(pool.cluster.cfg.connectTimeoutMs, this, T_CONNECT);
    this.socket.once(tlsOpts ? 'secureConnect' : 'connect', () => this.onConnect(tlsOpts !== null));
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('drain', () => this.h2.transportDrained());
    this.socket.on('error', (e: NodeJS.ErrnoException) => this.onSocketError(e));
    this.socket.on('close', () => this.onClose());
  }

  private onConnect(isTls: boolean): void {
    if (this.closing || this.failed) return;
    if (isTls) {
      const alpn = (this.socket as tls.TLSSocket).alpnProtocol;
      if (typeof alpn === 'string' && alpn !== 'h2') {
        this.failConnect(false, `ALPN: upstream selected ${alpn}`);
        return;
      }
    }
    // The preface goes out now; the connection is ready when the peer's SETTINGS arrive (the connect
    // timeout covers both, so a peer that never speaks HTTP/2 fails like a connect failure).
    this.h2.start();
  }

  private onData(d: Buffer): void {
    this.pool.rxBytes(d.length);
    this.h2.receive(d);
  }

  private onSocketError(e: NodeJS.ErrnoException): void {
    if (!this.ready && !this.failed) {
      this.failConnect(false, connectFailureReason(e));
      return;
    }
    this.lastError = e;
  }

  private failConnect(timeout: boolean, reason: string): void {
    this.failed = true;
    this.closing = true;
    this.cancelTimer();
    this.socket.destroy();
    this.pool.failConnect(this, timeout, reason);
  }

  private onClose(): void {
    this.gone = true;
    this.cancelTimer();
    if (!this.ready) {
      if (this.failed) {
        // Already reported as a connect failure.
      } else if (this.closing) {
        // Closed by us while connecting (a draining pool nobody waits on).
        this.pool.connClosed(this, false);
      } else {
        this.failed = true;
        this.pool.failConnect(this, false, this.lastError ? connectFailureReason(this.lastError) : 'connection closed');
      }
      this.h2.destroy(ResetReason.ConnectionTermination, '');
      return;
    }
    // The pool forgets the connection first, so failing its streams cannot hand them back to it.
    this.pool.connClosed(this, !this.closing);
    this.h2.destroy(ResetReason.ConnectionTermination, '');
  }

  onTimer(kind: number): void {
    this.timer = null;
    if (kind === T_CONNECT && !this.ready && !this.failed) {
      this.failConnect(true, '');
    } else if (kind === T_IDLE && this.active === 0 && this.ready) {
      this.pool.cluster.stats[CLUSTER.upstream_cx_idle_timeout]++;
      this.close();
    }
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.timer.cancel();
      this.timer = null;
    }
  }

  // ---------------------------------------------------------------- H2ConnectionEvents

  onOutput(): void {
    if (this.queued || this.gone) return;
    this.queued = true;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  onSettings(maxConcurrentStreams: number): void {
    // A later, higher limit is used as streams finish (the pool looks for capacity then).
    this.capacity = Math.max(1, Math.min(this.cap, maxConcurrentStreams));
    if (!this.ready && !this.failed) {
      this.cancelTimer();
      this.pool.ready(this);
    }
  }

  onGoaway(): void {
    this.pool.goaway(this);
  }

  onConnectionError(_code: number, detail: string): void {
    this.pool.cluster.stats[CLUSTER.upstream_cx_protocol_error]++;
    this.endAfterFlush = true;
    if (!this.ready) {
      if (!this.failed) {
        this.failed = true;
        this.closing = true;
        this.cancelTimer();
        this.pool.failConnect(this, false, detail);
      }
      return;
    }
    this.closing = true;
    this.pool.unusable(this);
  }

  onStreamClosed(_s: H2ClientStream): void {
    this.pool.streamFinished(this);
  }

  // ---------------------------------------------------------------- pool side

  start(cb: UpstreamCallbacks): void {
    this.cancelTimer();
    if (!this.h2.canOpen) {
      this.pool.streamFinished(this);
      cb.onUpstreamError(ResetReason.ConnectionTermination, '');
      return;
    }
    const s = this.h2.openStream(cb);
    if (this.h2.idsExhausted) this.pool.unusable(this);
    cb.onUpstreamStream(s, 0);
  }

  idle(): void {
    const idle = this.pool.cluster.cfg.upstreamIdleTimeoutMs;
    if (idle > 0 && this.active === 0 && this.timer === null && this.ready && !this.closing && !this.gone) this.timer = this.pool.timers.schedule(idle, this, T_IDLE);
  }

  /** Writes the frames waiting (called from the turn's setImmediate). */
  flush(): void {
    this.queued = false;
    if (this.gone) return;
    const out = this.h2.takeOutput();
    const s = this.socket;
    if (out !== null) {
      if (Array.isArray(out)) {
        let n = 0;
        s.cork();
        for (let i = 0; i < out.length; i++) {
          n += out[i].length;
          s.write(out[i]);
        }
        s.uncork();
        this.pool.txBytes(n);
      } else {
        s.write(out);
        this.pool.txBytes(out.length);
      }
      this.h2.transportBacklog = s.writableLength;
    }
    if (this.endAfterFlush) {
      this.endAfterFlush = false;
      this.gone = true;
      s.destroySoon();
    }
  }

  /** Closes it: GOAWAY and FIN when idle, at once otherwise. */
  close(): void {
    this.cancelTimer();
    // Already closing: a GOAWAY waits for its flush, or the socket is being destroyed.
    if (this.closing) return;
    this.closing = true;
    if (this.gone) return;
    if (this.ready && !this.h2.dead && this.h2.activeStreams === 0) {
      this.h2.shutdown();
      this.endAfterFlush = true;
      this.onOutput();
      return;
    }
    this.gone = true;
    this.socket.destroy();
  }
}

export class H2cPool extends SocketPool<H2cConn> {
  protected openConnection(): H2cConn {
    return new H2cConn(this, this.host, this.tlsOpts);
  }

  /** The connection takes no new streams (protocol error, stream ids used up). */
  unusable(c: H2cConn): void {
    if (!c.draining) this.connectionDraining(c);
  }
}
