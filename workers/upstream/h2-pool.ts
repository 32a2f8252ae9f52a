// HTTP/2 upstream connections (cleartext prior knowledge, or TLS with ALPN h2) on node:http2: many
// requests multiplexed per session, more sessions only when the peer's stream limit is reached.
// Stream events are module-level functions that find their state through a symbol, not closures.
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { PoolConnection } from '../../core/upstream/pool-base.js';
import { SocketPool } from './socket-pool.js';
import type { Host } from '../../core/cluster/host.js';
import { ResetReason, type TimerHandle, type TimerTarget, type UpstreamCallbacks, type UpstreamStream } from '../../core/http/contracts.js';
import { CLUSTER } from '../../core/stats/defs.js';
import { connectFailureReason, type UpstreamTlsOptions } from './connect.js';

const EMPTY = Buffer.alloc(0);
const kState = Symbol('nuncio.h2stream');
const T_CONNECT = 0;
const T_IDLE = 1;
const { NGHTTP2_REFUSED_STREAM, NGHTTP2_NO_ERROR, NGHTTP2_CANCEL } = http2.constants;
const MAX_SESSION_MEMORY_MB = 64;

type Stream = http2.ClientHttp2Stream & { [kState]?: H2Stream };

class H2Stream implements UpstreamStream {
  done = false;
  gotHeaders = false;
  gotTrailers = false;
  constructor(
    readonly conn: H2Conn,
    readonly stream: Stream,
    public cb: UpstreamCallbacks | null,
  ) {}

  write(chunk: Uint8Array, endStream: boolean): boolean {
    if (this.done) return true;
    let ok = true;
    if (chunk.length > 0) ok = this.stream.write(chunk);
    if (endStream) this.stream.end();
    this.conn.pool.txBytes(chunk.length);
    return ok;
  }

  pauseResponse(): void {
    this.stream.pause();
  }

  resumeResponse(): void {
    this.stream.resume();
  }

  reset(): void {
    if (this.done) return;
    this.cb = null;
    this.finish();
    this.stream.close(NGHTTP2_CANCEL);
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.conn.pool.streamFinished(this.conn);
  }
}

function onResponse(this: Stream, headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader, flags: number): void {
  const s = this[kState];
  if (!s || s.cb === null) return;
  const status = Number(headers[':status']);
  if (status >= 100 && status < 200 && status !== 101) return;
  s.gotHeaders = true;
  const flat: string[] = [];
  let contentLength = -1;
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* : */) continue;
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) flat.push(name, x);
    else flat.push(name, v);
    if (name === 'content-length') contentLength = Number(v);
  }
  const end = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
  const cb = s.cb;
  if (end) {
    s.cb = null;
    s.finish();
  }
  cb.onUpstreamHeaders(status, flat, contentLength, end);
}

function onData(this: Stream, chunk: Buffer): void {
  const s = this[kState];
  if (!s || s.cb === null) return;
  s.conn.pool.rxBytes(chunk.length);
  s.cb.onUpstreamData(chunk, false);
}

function onTrailers(this: Stream, trailers: http2.IncomingHttpHeaders): void {
  const s = this[kState];
  if (!s || s.cb === null) return;
  const flat: string[] = [];
  for (const name in trailers) {
    const v = trailers[name];
    if (v === undefined || name.charCodeAt(0) === 58) continue;
    if (Array.isArray(v)) for (const x of v) flat.push(name, x);
    else flat.push(name, v);
  }
  s.gotTrailers = true;
  const cb = s.cb;
  s.cb = null;
  s.finish();
  cb.onUpstreamTrailers(flat);
}

function onEnd(this: Stream): void {
  const s = this[kState];
  if (!s || s.cb === null) return;
  const cb = s.cb;
  s.cb = null;
  s.finish();
  if (s.gotHeaders) cb.onUpstreamData(EMPTY, true);
  else cb.onUpstreamError(ResetReason.ProtocolError, '');
}

function onStreamClose(this: Stream): void {
  const s = this[kState];
  if (!s) return;
  if (s.cb !== null) {
    const cb = s.cb;
    s.cb = null;
    s.finish();
    const code = this.rstCode;
    const reason =
      code === NGHTTP2_REFUSED_STREAM ? ResetReason.RemoteRefusedStream : code === NGHTTP2_NO_ERROR || code === undefined ? ResetReason.ConnectionTermination : ResetReason.RemoteReset;
    if (reason === ResetReason.RemoteRefusedStream) s.conn.pool.cluster.stats[CLUSTER.upstream_rq_tx_reset] += 0;
    cb.onUpstreamError(reason, '');
  } else s.finish();
}

function onStreamError(this: Stream): void {
  // 'close' follows with the reset code; nothing else to do here.
}

function onStreamDrain(this: Stream): void {
  const s = this[kState];
  if (s && s.cb !== null) s.cb.onUpstreamWritable();
}

class H2Conn implements PoolConnection, TimerTarget {
  capacity: number;
  active = 0;
  ready = false;
  draining = false;
  served = 0;
  connectStart = 0;
  connectedAt = 0;
  readonly session: http2.ClientHttp2Session;
  private timer: TimerHandle | null = null;
  private closing = false;
  private failed = false;

  constructor(
    readonly pool: H2Pool,
    host: Host,
    tlsOpts: UpstreamTlsOptions | null,
  ) {
    const cfg = pool.cluster.cfg.http2;
    this.capacity = Math.min(cfg.maxConcurrentStreams, 1024);
    const authority = `${tlsOpts ? 'https' : 'http'}://${host.key}`;
    const createConnection = tlsOpts
      ? () => tls.connect({ host: host.address, port: host.port, ALPNProtocols: ['h2'], ...tlsOpts.forHost(host) })
      : () => net.connect({ host: host.address, port: host.port, noDelay: true });
    this.session = http2.connect(authority, {
      createConnection,
      maxSessionMemory: MAX_SESSION_MEMORY_MB,
      peerMaxConcurrentStreams: this.capacity,
      settings: {
        enablePush: false,
        initialWindowSize: Math.min(cfg.initialStreamWindowSize, 2 ** 31 - 1),
      },
    });
    this.timer = pool.timers.schedule(pool.cluster.cfg.connectTimeoutMs, this, T_CONNECT);
    this.session.once('connect', () => this.onConnect());
    this.session.on('remoteSettings', (s) => {
      if (s.maxConcurrentStreams !== undefined) this.capacity = Math.max(1, Math.min(this.capacity, s.maxConcurrentStreams));
    });
    this.session.on('goaway', () => {
      if (!this.draining) this.pool.goaway(this);
    });
    this.session.on('error', (e: NodeJS.ErrnoException) => this.onError(e));
    this.session.on('close', () => this.onClose());
    this.session.on('frameError', () => {
      this.pool.cluster.stats[CLUSTER.upstream_cx_protocol_error]++;
    });
  }

  private onConnect(): void {
    if (this.closing) return;
    this.cancelTimer();
    const win = this.pool.cluster.cfg.http2.initialConnectionWindowSize;
    try {
      this.session.setLocalWindowSize(Math.min(win, 2 ** 31 - 1));
    } catch {
      // Older peers: keep the default window.
    }
    this.pool.ready(this);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.timer.cancel();
      this.timer = null;
    }
  }

  onTimer(kind: number): void {
    this.timer = null;
    if (kind === T_CONNECT && !this.ready && !this.failed) {
      this.failed = true;
      this.closing = true;
      this.session.destroy();
      this.pool.failConnect(this, true, '');
    } else if (kind === T_IDLE && this.active === 0 && this.ready) {
      this.pool.cluster.stats[CLUSTER.upstream_cx_idle_timeout]++;
      this.close();
    }
  }

  start(cb: UpstreamCallbacks): void {
    this.cancelTimer();
    const headers: http2.OutgoingHttpHeaders = {
      ':method': cb.upstreamMethod,
      ':path': cb.upstreamPath,
      ':authority': cb.upstreamAuthority,
      ':scheme': cb.upstreamScheme,
    };
    const h = cb.upstreamHeaders;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i];
      const prev = headers[name];
      if (prev === undefined) headers[name] = h[i + 1];
      else if (Array.isArray(prev)) prev.push(h[i + 1]);
      else headers[name] = [String(prev), h[i + 1]];
    }
    if (cb.requestContentLength > 0) headers['content-length'] = String(cb.requestContentLength);
    const endStream = cb.requestContentLength === 0;
    let stream: Stream;
    try {
      stream = this.session.request(headers, { endStream }) as Stream;
    } catch {
      this.pool.streamFinished(this);
      cb.onUpstreamError(ResetReason.LocalReset, '');
      return;
    }
    const s = new H2Stream(this, stream, cb);
    stream[kState] = s;
    stream.on('response', onResponse);
    stream.on('data', onData);
    stream.on('trailers', onTrailers);
    stream.on('end', onEnd);
    stream.on('close', onStreamClose);
    stream.on('error', onStreamError);
    stream.on('drain', onStreamDrain);
    cb.onUpstreamStream(s, 0);
  }

  idle(): void {
    const idle = this.pool.cluster.cfg.upstreamIdleTimeoutMs;
    if (idle > 0 && this.active === 0 && this.timer === null && this.ready) this.timer = this.pool.timers.schedule(idle, this, T_IDLE);
  }

  private onError(e: NodeJS.ErrnoException): void {
    if (!this.ready && !this.failed) {
      this.failed = true;
      this.closing = true;
      this.cancelTimer();
      this.pool.failConnect(this, false, connectFailureReason(e));
    }
  }

  private onClose(): void {
    this.cancelTimer();
    if (!this.ready) {
      if (!this.failed) {
        this.failed = true;
        this.pool.failConnect(this, false, 'connection closed');
      }
      return;
    }
    this.pool.connClosed(this, !this.closing);
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.active === 0) this.session.close();
    else this.session.destroy();
  }
}

export class H2Pool extends SocketPool<H2Conn> {
  protected openConnection(): H2Conn {
    return new H2Conn(this, this.host, this.tlsOpts);
  }
}
