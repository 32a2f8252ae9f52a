// HTTP/1.1 server connections on byte transports (raw TCP handles, or sockets for TLS) (the HTTP/2-capable engine's HTTP/1.1 side), with our own
// strict parser: requests are handled one at a time in order (pipelined ones wait), responses are
// framed here (content-length, chunked, or close-delimited for HTTP/1.0), and codec errors get the
// local reply Envoy's HTTP/1 codec gives before the connection closes.
import type { Protocol } from '../../core/http/exchange.js';
import { TimedExchange } from '../../core/http/timed-exchange.js';
import { UNDERSCORE_REJECT, applyUnderscorePolicy } from '../../core/http/request-checks.js';
import type { DownstreamStream, FlatHeaders, TimerHandle, TimerTarget } from '../../core/http/contracts.js';
import type { HcmRuntime } from '../../core/http/hcm.js';
import { H1Parser, H1_CHUNKED, H1_EXPECT_CONTINUE, H1_KEEP_ALIVE, H1_UPGRADE, type H1Handler } from '../../core/http/h1/parser.js';
import type { H1ErrorCode } from '../../core/http/h1/errors.js';
import { statusLine, statusText } from '../../core/http/h1/status-text.js';
import { CODEC, HCM } from '../../core/stats/defs.js';
import type { ServerTransport, TransportHandler } from '../upstream/transport.js';

const EMPTY = Buffer.alloc(0);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const T_IDLE = 0;
// Timers of a request whose head is still arriving (Envoy's stream exists from its first byte).
const T_HEAD_HEADERS = 1; // request_headers_timeout
const T_HEAD_IDLE = 2; // stream_idle_timeout
const T_HEAD_REQUEST = 3; // request_timeout
const T_MAX_DURATION = 4; // HCM max_connection_duration

/** Marks "head in progress" when no head timeout is configured. */
const NO_TIMER: TimerHandle = { cancel(): void {} };

/** The status Envoy's HTTP/1 codec answers a parse error with. */
function h1ErrorStatus(code: H1ErrorCode): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
    case 'HPE_TOO_MANY_HEADERS':
      return 431;
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return 501;
    default:
      return 400;
  }
}

class H1ServerExchange extends TimedExchange implements DownstreamStream {
  /** start() ran (the connection manager counted the request). */
  started = false;
  private headStatus = 0;
  private headText: string | null = null;
  private chunked = false;
  private noBody = false;
  finished = false;
  private remaining = -1;

  constructor(
    hcm: HcmRuntime,
    readonly conn: H1ServerConn,
  ) {
    super(hcm);
  }

  protected streamOpen(): boolean {
    return !this.finished && !this.conn.closed;
  }

  respondHead(status: number, headers: FlatHeaders, contentLength: number, endStream: boolean): void {
    const conn = this.conn;
    if (conn.closed || this.finished) return;
    this.disarmRequestTimeout();
    this.touchStream();
    let head = statusLine(status, 1);
    for (let i = 0; i < headers.length; i += 2) head += headers[i] + ': ' + headers[i + 1] + '\r\n';
    this.headStatus = status;
    this.noBody = this.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    this.chunked = false;
    this.remaining = contentLength;
    if (status !== 204 && status !== 304 && !(status >= 100 && status < 200)) {
      if (contentLength >= 0) head += 'content-length: ' + contentLength + '\r\n';
      else if (this.noBody) {
        // HEAD of a chunked resource: no framing header at all.
      } else if (this.protocol === 'HTTP/1.0') conn.keepAlive = false;
      else {
        head += 'transfer-encoding: chunked\r\n';
        this.chunked = true;
      }
    }
    if (!conn.keepAlive) head += 'connection: close\r\n';
    else if (this.protocol === 'HTTP/1.0') head += 'connection: keep-alive\r\n';
    head += '\r\n';
    conn.hcm.stats[HCM.downstream_cx_tx_bytes_total] += head.length;
    if (endStream || this.noBody) {
      conn.socket.write(head);
      this.complete();
      return;
    }
    this.headText = head;
  }

  respondData(chunk: Uint8Array, endStream: boolean): boolean {
    const conn = this.conn;
    if (conn.closed || this.finished) return true;
    const parts = conn.parts;
    parts.length = 0;
    let ok = true;
    this.touchStream();
    if (this.headText !== null) {
      parts.push(this.headText);
      this.headText = null;
    }
    if (chunk.length > 0) {
      conn.hcm.stats[HCM.downstream_cx_tx_bytes_total] += chunk.length;
      if (this.chunked) parts.push(chunk.length.toString(16) + '\r\n', chunk, '\r\n');
      else {
        parts.push(chunk);
        if (this.remaining >= 0) this.remaining -= chunk.length;
      }
    }
    if (endStream) {
      if (this.chunked) parts.push('0\r\n\r\n');
      else if (this.remaining > 0) conn.keepAlive = false; // upstream ended short: close to mark it
    }
    if (parts.length > 0) ok = conn.socket.writev(parts);
    parts.length = 0;
    if (endStream) this.complete();
    else if (!ok) conn.waitDrain(this);
    return ok;
  }

  respondEnd(_trailers: FlatHeaders | null): void {
    if (this.conn.closed || this.finished) return;
    this.respondData(EMPTY, true);
  }

  reset(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopStreamTimers();
    this.conn.destroy();
  }

  pauseRequest(): void {
    this.conn.pauseReading();
  }

  resumeRequest(): void {
    this.conn.resumeReading();
  }

  closeAfterResponse(): void {
    this.conn.keepAlive = false;
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopStreamTimers();
    this.conn.responseDone(this);
  }
}

export class H1ServerConn implements H1Handler, TimerTarget, TransportHandler {
  /** Scratch list of the pieces of one write (the transport copies it). */
  readonly parts: (string | Uint8Array)[] = [];
  readonly parser: H1Parser;
  keepAlive = true;
  closed = false;
  private current: H1ServerExchange | null = null;
  private parsing: H1ServerExchange | null = null;
  private backlog: Buffer | null = null;
  private readPaused = false;
  private pipelinePaused = false;
  private idleTimer: TimerHandle | null = null;
  private maxTimer: TimerHandle | null = null;
  /** Runs while a request head is arriving in pieces: the nearest of its three deadlines. */
  private headTimer: TimerHandle | null = null;
  private headStart = 0;
  /** A reply that ends the connection has been sent: further bytes are ignored. */
  private ending = false;
  private drainWaiter: H1ServerExchange | null = null;
  private requests = 0;

  constructor(
    public hcm: HcmRuntime,
    readonly socket: ServerTransport,
    private readonly remoteAddress: string,
    private readonly localAddress: string,
    private readonly connectionId: number,
    private readonly onClosed: (c: H1ServerConn) => void,
  ) {
    const cfg = hcm.cfg;
    this.parser = new H1Parser('request', this, { maxHeaderBytes: cfg.maxRequestHeadersKb * 1024, maxHeaders: cfg.maxHeadersCount });
    socket.setHandler(this);
    this.armIdle();
    if (cfg.maxConnectionDurationMs > 0) this.maxTimer = hcm.services.timers.schedule(cfg.maxConnectionDurationMs, this, T_MAX_DURATION);
  }

  // ---------------------------------------------------------------- transport side
  onConnect(): void {}

  onData(d: Buffer): void {
    this.hcm.stats[HCM.downstream_cx_rx_bytes_total] += d.length;
    if (this.ending) return;
    if (this.pipelinePaused) {
      this.backlog = this.backlog === null ? d : Buffer.concat([this.backlog, d]);
      if (this.backlog.length > 1024 * 1024) this.pauseSocket();
      return;
    }
    this.feed(d);
  }

  private feed(d: Buffer): void {
    const n = this.parser.execute(d);
    if (n >= 0 && n < d.length && !this.closed) {
      // Parser paused between pipelined requests (or upgraded): keep the rest for later.
      const rest = d.subarray(n);
      this.backlog = this.backlog === null ? rest : Buffer.concat([rest, this.backlog]);
    }
    // Part of a head is in: the request exists for Envoy's timers from its first byte.
    const parser = this.parser;
    if (this.parsing === null && this.headTimer === null && !this.ending && !this.closed && !parser.idle && !parser.dead && !parser.upgraded) {
      this.headStarted();
    }
  }

  onEnd(): void {
    // Client half-closed: finish what is in flight, then close.
    this.keepAlive = false;
    if (this.current === null && this.parsing === null) this.destroy();
    else this.parser.finish();
  }

  onDrain(): void {
    const w = this.drainWaiter;
    if (w !== null) {
      this.drainWaiter = null;
      w.onDownstreamWritable();
    }
  }

  waitDrain(ex: H1ServerExchange): void {
    this.drainWaiter = ex;
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelIdle();
    this.cancelHead();
    if (this.maxTimer !== null) {
      this.maxTimer.cancel();
      this.maxTimer = null;
    }
    const cur = this.current;
    if (cur !== null) {
      cur.stopStreamTimers();
      if (!cur.finished) cur.onDownstreamAbort();
    }
    const p = this.parsing;
    if (p !== null && p !== cur) {
      p.stopStreamTimers();
      if (!p.finished) p.onDownstreamAbort();
    }
    this.onClosed(this);
  }

  destroy(): void {
    if (!this.socket.destroyed) this.socket.destroy();
  }

  /** Server drain: no more requests on this connection; close it now if nothing is in flight. */
  drain(): void {
    this.keepAlive = false;
    if (this.current === null && this.parsing === null) {
      this.hcm.stats[HCM.downstream_cx_drain_close]++;
      this.socket.end();
    }
  }

  pauseReading(): void {
    this.readPaused = true;
    this.pauseSocket();
  }

  resumeReading(): void {
    this.readPaused = false;
    if (!this.pipelinePaused) this.socket.resume();
  }

  private pauseSocket(): void {
    this.socket.pause();
  }

  // ---------------------------------------------------------------- timers
  onTimer(kind: number): void {
    if (kind === T_MAX_DURATION) {
      this.maxTimer = null;
      if (this.closed) return;
      // HCM max_connection_duration: no new request on this connection; an in-flight response goes out
      // with `connection: close` (or, its head already sent, the connection closes after it); idle: close now.
      this.hcm.stats[HCM.downstream_cx_max_duration_reached]++;
      this.keepAlive = false;
      if (this.current === null && this.parsing === null) this.socket.end();
      return;
    }
    if (kind === T_IDLE) {
      this.idleTimer = null;
      if (this.closed || this.current !== null || this.parsing !== null || this.headTimer !== null) return;
      // HCM idle_timeout: no request for that long.
      this.hcm.stats[HCM.downstream_cx_idle_timeout]++;
      this.destroy();
      return;
    }
    this.headTimer = null;
    if (this.closed || this.ending || this.parsing !== null || this.current !== null) return;
    const st = this.hcm.stats;
    if (kind === T_HEAD_HEADERS) {
      st[HCM.downstream_rq_header_timeout]++;
      this.errorReply(408, 'request header timeout', 'request_header_timeout');
    } else if (kind === T_HEAD_IDLE) {
      st[HCM.downstream_rq_idle_timeout]++;
      this.errorReply(408, 'stream timeout', 'stream_idle_timeout');
    } else {
      st[HCM.downstream_rq_timeout]++;
      this.errorReply(408, 'request timeout', 'request_overall_timeout');
    }
  }

  private armIdle(): void {
    this.cancelIdle();
    const ms = this.hcm.cfg.idleTimeoutMs;
    if (ms > 0) this.idleTimer = this.hcm.services.timers.schedule(ms, this, T_IDLE);
  }

  private cancelIdle(): void {
    if (this.idleTimer !== null) {
      this.idleTimer.cancel();
      this.idleTimer = null;
    }
  }

  /**
   * The first bytes of a request head arrived without the whole head. Until it is complete no byte counts
   * as stream activity, so request_headers_timeout, stream_idle_timeout and request_timeout all run from
   * now: one timer for whichever is due first.
   */
  private headStarted(): void {
    this.cancelIdle();
    const cfg = this.hcm.cfg;
    this.headStart = this.hcm.services.clock.now();
    let ms = 0;
    let kind = 0;
    if (cfg.requestHeadersTimeoutMs > 0) {
      ms = cfg.requestHeadersTimeoutMs;
      kind = T_HEAD_HEADERS;
    }
    if (cfg.streamIdleTimeoutMs > 0 && (ms === 0 || cfg.streamIdleTimeoutMs < ms)) {
      ms = cfg.streamIdleTimeoutMs;
      kind = T_HEAD_IDLE;
    }
    if (cfg.requestTimeoutMs > 0 && (ms === 0 || cfg.requestTimeoutMs < ms)) {
      ms = cfg.requestTimeoutMs;
      kind = T_HEAD_REQUEST;
    }
    if (ms > 0) this.headTimer = this.hcm.services.timers.schedule(ms, this, kind);
    else this.headTimer = NO_TIMER;
  }

  private cancelHead(): void {
    if (this.headTimer !== null) {
      this.headTimer.cancel();
      this.headTimer = null;
    }
  }

  // ---------------------------------------------------------------- parser callbacks
  onHead(_s: number, method: string, target: string, versionMinor: number, headers: string[], flags: number, contentLength: number): void {
    if (this.ending) {
      // A reply that closes the connection went out: nothing after it is served.
      this.parser.pause();
      return;
    }
    this.cancelIdle();
    let elapsed = 0;
    if (this.headTimer !== null) {
      elapsed = this.hcm.services.clock.now() - this.headStart;
      this.cancelHead();
    }
    const ex = new H1ServerExchange(this.hcm, this);
    this.requests++;
    ex.method = method;
    ex.protocol = (versionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1') as Protocol;
    let path = target;
    let authority = '';
    if (target.charCodeAt(0) !== 47 /* / */ && target !== '*') {
      // absolute-form (RFC 9112 3.2.2): the authority comes from the target.
      const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)([^#]*)/.exec(target);
      if (m) {
        authority = m[1];
        path = m[2] === '' ? '/' : m[2].charCodeAt(0) === 63 /* ? */ ? `/${m[2]}` : m[2];
      }
    }
    // Move Host out of the header list; a second Host is a protocol error.
    let hosts = 0;
    let w = 0;
    for (let r = 0; r < headers.length; r += 2) {
      if (headers[r] === 'host') {
        hosts++;
        if (authority === '') authority = headers[r + 1];
        continue;
      }
      if (w !== r) {
        headers[w] = headers[r];
        headers[w + 1] = headers[r + 1];
      }
      w += 2;
    }
    headers.length = w;
    ex.path = path;
    ex.authority = authority;
    ex.headers = headers;
    ex.isTls = this.hcm.isTls;
    ex.scheme = this.hcm.isTls ? 'https' : 'http';
    ex.remoteAddress = this.remoteAddress;
    ex.localAddress = this.localAddress;
    ex.connectionId = this.connectionId;
    ex.requestContentLength = flags & H1_CHUNKED ? -1 : contentLength > 0 ? contentLength : 0;
    if (ex.requestContentLength === 0) ex.requestComplete = true;
    this.keepAlive = this.keepAlive && (flags & H1_KEEP_ALIVE) !== 0;
    if (this.hcm.services.state.draining) this.keepAlive = false;
    this.parsing = ex;
    if (this.current === null) this.current = ex;
    if (hosts > 1) {
      this.hcm.stats[HCM.downstream_cx_protocol_error]++;
      this.protocolError(ex, 400, 'http1.codec_error');
      return;
    }
    // headers_with_underscores_action, as Envoy's HTTP/1 codec applies it while reading the head.
    const underscores = applyUnderscorePolicy(headers, this.hcm.cfg.headersWithUnderscoresAction);
    if (underscores !== 0) {
      const codec = this.hcm.services.codecStats;
      if (underscores === UNDERSCORE_REJECT) {
        codec[CODEC['http1.requests_rejected_with_underscores_in_headers']]++;
        this.hcm.stats[HCM.downstream_cx_protocol_error]++;
        this.protocolError(ex, 400, 'http1.unexpected_underscore');
        return;
      }
      codec[CODEC['http1.dropped_headers_with_underscores']] += underscores;
    }
    if (flags & H1_UPGRADE) {
      // Upgrades (WebSocket, CONNECT) are not proxied: Envoy without upgrade_configs answers 403.
      this.hcm.stats[HCM.downstream_rq_ws_on_non_ws_route]++;
      this.keepAlive = false;
      this.replyUnstarted(ex, 403, '', 'upgrade_failed');
      return;
    }
    if (flags & H1_EXPECT_CONTINUE && ex.protocol === 'HTTP/1.1') this.socket.write(CONTINUE);
    ex.started = true;
    ex.armStreamTimers(elapsed);
    ex.start();
  }

  onBody(chunk: Buffer): void {
    const ex = this.parsing;
    if (ex !== null) {
      ex.touchStream();
      ex.onRequestData(chunk, false);
    }
  }

  onMessageComplete(): void {
    const ex = this.parsing;
    this.parsing = null;
    if (ex !== null) ex.disarmRequestTimeout();
    if (ex !== null && !ex.requestComplete) ex.onRequestData(EMPTY, true);
    if (this.current !== null && !this.current.finished) {
      // The response is still going: hold further pipelined requests.
      this.parser.pause();
      this.pipelinePaused = true;
    }
  }

  onError(code: H1ErrorCode, _message: string): void {
    this.hcm.stats[HCM.downstream_cx_protocol_error]++;
    this.cancelHead();
    const status = h1ErrorStatus(code);
    const ex = this.parsing;
    this.parsing = null;
    if (ex !== null && ex.finished) {
      // The response already went out while the body was still arriving: just close, as Envoy does.
      this.keepAlive = false;
      this.ending = true;
      if (this.current === null) this.socket.end();
      return;
    }
    if (ex !== null && this.current === ex) this.protocolError(ex, status, 'http1.codec_error');
    else if (this.current === null) this.errorReply(status, statusText(status), 'http1.codec_error');
    else {
      this.keepAlive = false;
    }
  }

  /**
   * Answers a request whose head or body broke the protocol with Envoy's codec reply (the status text as
   * body), then closes.
   */
  private protocolError(ex: H1ServerExchange, status: number, details: string): void {
    this.keepAlive = false;
    this.ending = true;
    if (ex.started) ex.localReply(status, statusText(status), 0, details);
    else this.replyUnstarted(ex, status, statusText(status), details);
  }

  /** A local reply to a request the connection manager never started: count it as Envoy's stream would be. */
  private replyUnstarted(ex: H1ServerExchange, status: number, body: string, details: string): void {
    const st = this.hcm.stats;
    st[HCM.downstream_rq_total]++;
    st[HCM.downstream_rq_http1_total]++;
    st[HCM.downstream_rq_active]++;
    ex.started = true;
    ex.localReply(status, body, 0, details);
  }

  /** An error with no request to attach it to (bad or timed-out head): write a bare reply and close. */
  private errorReply(status: number, body: string, details: string): void {
    this.keepAlive = false;
    this.ending = true;
    this.cancelHead();
    const ex = new H1ServerExchange(this.hcm, this);
    ex.method = 'GET';
    ex.path = '/';
    ex.authority = '-';
    ex.remoteAddress = this.remoteAddress;
    ex.localAddress = this.localAddress;
    ex.connectionId = this.connectionId;
    this.current = ex;
    this.replyUnstarted(ex, status, body, details);
  }

  // ---------------------------------------------------------------- response completion
  responseDone(ex: H1ServerExchange): void {
    if (this.current !== ex) return;
    this.current = null;
    if (!this.keepAlive || this.closed) {
      // Let the last bytes flush, then close.
      this.socket.end();
      return;
    }
    if (this.parsing === ex) {
      // Request still uploading after its response: the rest is read and discarded, then the next
      // request can start.
      return;
    }
    this.armIdle();
    if (this.pipelinePaused) {
      this.pipelinePaused = false;
      this.parser.resume();
      const b = this.backlog;
      this.backlog = null;
      if (!this.readPaused) this.socket.resume();
      if (b !== null && b.length > 0) this.feed(b);
    }
  }

  get requestCount(): number {
    return this.requests;
  }
}
