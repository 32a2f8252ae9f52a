// HTTP/1.1 upstream connections over raw sockets: keep-alive, one request at a time per connection,
// our own strict parser for responses. The request head (and a small body) leave in one write; the
// common "whole response in one read" case reaches the client as one head + one final body call.
import type { PoolConnection } from '../../core/upstream/pool-base.js';
import { SocketPool } from './socket-pool.js';
import type { Host } from '../../core/cluster/host.js';
import { ResetReason, type TimerHandle, type TimerTarget, type UpstreamCallbacks, type UpstreamStream } from '../../core/http/contracts.js';
import { H1Parser, H1_INTERIM, H1_KEEP_ALIVE, H1_UPGRADE, type H1Handler } from '../../core/http/h1/parser.js';
import { CLUSTER } from '../../core/stats/defs.js';
import { connectFailureReason, type UpstreamTlsOptions } from './connect.js';
import { connectTransport, type Transport, type TransportHandler } from './transport.js';

const EMPTY = Buffer.alloc(0);
const T_CONNECT = 0;
const T_IDLE = 1;

class H1Conn implements PoolConnection, H1Handler, UpstreamStream, TimerTarget, TransportHandler {
  capacity = 1;
  active = 0;
  ready = false;
  draining = false;
  served = 0;
  connectStart = 0;
  connectedAt = 0;
  readonly parser: H1Parser;
  readonly transport: Transport;
  cb: UpstreamCallbacks | null = null;
  /** Last body slice seen in this execute(): delivered with endStream when the message ends here. */
  private held: Buffer | null = null;
  private chunked = false;
  private requestEnded = false;
  private responseEnded = false;
  private gotResponseBytes = false;
  private keepAlive = true;
  private closing = false;
  private timer: TimerHandle | null = null;
  private interim = false;
  /** While start() runs, writes are collected and leave in one system call. */
  private batch: (string | Uint8Array)[] | null = null;

  constructor(
    readonly pool: H1Pool,
    host: Host,
    tlsOpts: UpstreamTlsOptions | null,
  ) {
    this.parser = new H1Parser('response', this, { maxHeaderBytes: 60 * 1024, maxHeaders: 100 });
    this.timer = pool.timers.schedule(pool.cluster.cfg.connectTimeoutMs, this, T_CONNECT);
    this.transport = connectTransport(this, { host: host.address, port: host.port, ...(tlsOpts ? { tls: tlsOpts.forHost(host) } : {}) });
  }

  onTimer(kind: number): void {
    this.timer = null;
    if (kind === T_CONNECT && !this.ready) {
      this.closing = true;
      this.transport.destroy();
      this.pool.failConnect(this, true, '');
    } else if (kind === T_IDLE && this.active === 0 && this.ready) {
      this.pool.cluster.stats[CLUSTER.upstream_cx_idle_timeout]++;
      this.close();
    }
  }

  onConnect(): void {
    if (this.closing) return;
    this.cancelTimer();
    this.pool.ready(this);
  }

  onDrain(): void {
    this.cb?.onUpstreamWritable();
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.timer.cancel();
      this.timer = null;
    }
  }

  /** Starts one request on this (idle, ready) connection. */
  start(cb: UpstreamCallbacks): void {
    this.cancelTimer();
    this.cb = cb;
    this.held = null;
    this.requestEnded = false;
    this.responseEnded = false;
    this.gotResponseBytes = false;
    this.keepAlive = true;
    this.interim = false;
    const cl = cb.requestContentLength;
    let head = cb.upstreamMethod + ' ' + cb.upstreamPath + ' HTTP/1.1\r\nhost: ' + cb.upstreamAuthority + '\r\n';
    const h = cb.upstreamHeaders;
    for (let i = 0; i < h.length; i += 2) head += h[i] + ': ' + h[i + 1] + '\r\n';
    this.chunked = false;
    if (cl > 0) head += 'content-length: ' + cl + '\r\n';
    else if (cl < 0) {
      head += 'transfer-encoding: chunked\r\n';
      this.chunked = true;
    }
    head += '\r\n';
    if (cb.upstreamMethod === 'HEAD') this.parser.expectNoBody();
    if (cl === 0) this.requestEnded = true;
    this.pool.txBytes(head.length);
    // The head and whatever body the exchange already holds leave together.
    const batch: (string | Uint8Array)[] = [head];
    this.batch = batch;
    cb.onUpstreamStream(this, 0);
    this.batch = null;
    if (!this.transport.destroyed) this.transport.writev(batch);
  }

  private send(data: string | Uint8Array): boolean {
    if (this.batch !== null) {
      this.batch.push(data);
      return true;
    }
    return this.transport.write(data);
  }

  // ---- UpstreamStream (request body, flow control)
  write(chunk: Uint8Array, endStream: boolean): boolean {
    if (this.cb === null || this.requestEnded) return true;
    let ok = true;
    if (this.chunked) {
      if (chunk.length > 0) {
        this.send(chunk.length.toString(16) + '\r\n');
        this.send(chunk);
        ok = this.send('\r\n');
      }
      if (endStream) ok = this.send('0\r\n\r\n');
    } else if (chunk.length > 0) ok = this.send(chunk);
    this.pool.txBytes(chunk.length);
    if (endStream) {
      this.requestEnded = true;
      if (this.responseEnded) this.finishExchange();
    }
    return ok;
  }

  pauseResponse(): void {
    this.transport.pause();
  }

  resumeResponse(): void {
    this.transport.resume();
  }

  reset(): void {
    // The client gave up: the connection is in an unknown state, close it.
    if (this.cb === null) return;
    this.cb = null;
    this.pool.streamFinished(this);
    this.close();
  }

  // ---- transport events
  onData(d: Buffer): void {
    this.pool.rxBytes(d.length);
    if (this.cb === null) {
      // Bytes with no request outstanding: protocol violation by the upstream.
      this.pool.cluster.stats[CLUSTER.upstream_cx_protocol_error]++;
      this.close();
      return;
    }
    this.gotResponseBytes = true;
    const n = this.parser.execute(d);
    if (this.held !== null && this.cb !== null) {
      const c = this.held;
      this.held = null;
      this.cb.onUpstreamData(c, false);
    }
    if (n < 0 && !this.closing) this.close();
  }

  onEnd(): void {
    if (this.cb !== null && this.gotResponseBytes) {
      this.parser.finish();
      if (this.held !== null && this.cb !== null) {
        const c = this.held;
        this.held = null;
        this.cb.onUpstreamData(c, false);
      }
    }
  }

  onClose(err: { code: string; errno: number } | null): void {
    this.cancelTimer();
    if (!this.ready) {
      if (!this.closing) {
        this.closing = true;
        this.pool.failConnect(this, false, err ? connectFailureReason(err) : 'connection closed');
      }
      return;
    }
    const cb = this.cb;
    this.cb = null;
    const remote = !this.closing;
    if (cb !== null) {
      if (!this.gotResponseBytes && this.served > 1 && cb.requestContentLength === 0) {
        // A reused connection the upstream had closed while idle: the request never reached it.
        this.pool.redispatch(this, cb);
      } else {
        cb.onUpstreamError(ResetReason.ConnectionTermination, '');
      }
    }
    this.pool.connClosed(this, remote);
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.transport.destroy();
  }

  // ---- H1Handler (response parsing)
  onHead(status: number, _m: string, _t: string, _v: number, headers: string[], flags: number, contentLength: number): void {
    const cb = this.cb;
    if (cb === null) return;
    if (flags & H1_INTERIM) {
      // 100 Continue and friends are not forwarded; the parser reports their end separately.
      this.interim = true;
      return;
    }
    if (flags & H1_UPGRADE) {
      this.keepAlive = false;
    }
    this.keepAlive = (flags & H1_KEEP_ALIVE) !== 0;
    cb.onUpstreamHeaders(status, headers, contentLength, false);
  }

  onBody(chunk: Buffer): void {
    const cb = this.cb;
    if (cb === null) return;
    if (this.held !== null) cb.onUpstreamData(this.held, false);
    this.held = chunk;
  }

  onMessageComplete(trailers: string[] | null): void {
    const cb = this.cb;
    if (cb === null) return;
    if (this.interim) {
      this.interim = false;
      return;
    }
    const held = this.held;
    this.held = null;
    this.responseEnded = true;
    // Completing the exchange may start the next request on this connection synchronously, so the
    // connection's state is settled first.
    if (this.requestEnded) this.finishExchange();
    else {
      // Response done before the request body: the connection cannot be reused.
      this.keepAlive = false;
      this.finishExchange();
    }
    if (trailers !== null && trailers.length > 0) {
      if (held !== null) cb.onUpstreamData(held, false);
      cb.onUpstreamTrailers(trailers);
    } else cb.onUpstreamData(held ?? EMPTY, true);
  }

  onError(): void {
    const cb = this.cb;
    this.cb = null;
    this.pool.cluster.stats[CLUSTER.upstream_cx_protocol_error]++;
    if (cb !== null) cb.onUpstreamError(ResetReason.ProtocolError, '');
    this.close();
  }

  private finishExchange(): void {
    if (this.cb === null) return;
    this.cb = null;
    const reusable = this.keepAlive && this.requestEnded && !this.draining;
    if (!reusable) this.draining = true;
    this.pool.streamFinished(this);
    if (reusable && this.ready && !this.closing && this.active === 0) {
      const idle = this.pool.cluster.cfg.upstreamIdleTimeoutMs;
      if (idle > 0 && this.cb === null) this.timer = this.pool.timers.schedule(idle, this, T_IDLE);
    }
  }
}

export class H1Pool extends SocketPool<H1Conn> {
  protected openConnection(): H1Conn {
    return new H1Conn(this, this.host, this.tlsOpts);
  }

  /** Sends a request again on another connection (its first one was dead before it got there). */
  redispatch(c: H1Conn, cb: UpstreamCallbacks): void {
    this.stats[CLUSTER.upstream_cx_close_notify]++;
    // Free the slot on the dead connection without counting a lost request, then queue afresh.
    this.closed(c, true);
    this.stats[CLUSTER.upstream_rq_total]--;
    this.newStream(cb);
  }
}
