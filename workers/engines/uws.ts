// The HTTP/1.1 fast path: a uWebSockets.js App per worker on a SO_REUSEPORT port. Each request becomes an
// Exchange whose DownstreamStream side is this engine's response writer. uWS rules followed here:
// onAborted first, read the request before returning, copy onData chunks, cork every deferred write,
// tryEnd + onWritable for known-length bodies (write() would add chunked framing).
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { TimedExchange } from '../../core/http/timed-exchange.js';
import { UNDERSCORE_REJECT, applyUnderscorePolicy, checkUwsHead, type HeadVerdict } from '../../core/http/request-checks.js';
import { CODEC, HCM } from '../../core/stats/defs.js';
import type { DownstreamStream, FlatHeaders } from '../../core/http/contracts.js';
import type { HcmRuntime } from '../../core/http/hcm.js';
import { statusText } from '../../core/http/h1/status-text.js';
import { uws } from './uws-load.js';

const STATUS = new Map<number, string>();
function statusOf(code: number): string {
  let s = STATUS.get(code);
  if (s === undefined) {
    s = `${code} ${statusText(code) || 'Unknown'}`;
    STATUS.set(code, s);
  }
  return s;
}

const decoder = new TextDecoder();

/** Module-level cork target: uWS cork() is synchronous, so one slot suffices and no closure is built. */
let corkTarget: UwsExchange | null = null;
function corked(): void {
  corkTarget!.flushWrite();
}

class UwsExchange extends TimedExchange implements DownstreamStream {
  private aborted = false;
  private ended = false;
  private headStatus = 0;
  private headHeaders: FlatHeaders | null = null;
  private total = -1;
  private closeConn = false;
  // Pending write (set before cork, consumed in flushWrite).
  private wChunk: Uint8Array | null = null;
  private wEnd = false;
  private wResult = true;
  // Backpressure state for tryEnd (known length) and write (chunked).
  private blocked: Uint8Array | null = null;
  private blockedOffset = 0;
  private blockedEnd = false;
  private queue: Uint8Array[] | null = null;
  private queueEnd = false;
  private readonly isHead: boolean;
  // Request body flow control. uWS 20.30 keeps delivering body data after pause() while the response
  // has write backpressure (a client that uploads but does not read): such data is held here, up to
  // per_connection_buffer_limit_bytes, and handed on in order on resume.
  private readPaused = false;
  private held: Uint8Array[] | null = null;
  private heldBytes = 0;
  private heldEnd = false;

  constructor(
    hcm: HcmRuntime,
    private readonly res: HttpResponse,
    method: string,
  ) {
    super(hcm);
    this.isHead = method === 'HEAD';
  }

  onAbort(): void {
    this.aborted = true;
    this.stopStreamTimers();
    if (!this.ended) this.onDownstreamAbort();
  }

  protected streamOpen(): boolean {
    return !this.aborted && !this.ended;
  }

  private markEnded(): void {
    this.ended = true;
    this.stopStreamTimers();
  }

  // ---------------------------------------------------------------- DownstreamStream
  respondHead(status: number, headers: FlatHeaders, contentLength: number, endStream: boolean): void {
    if (this.aborted) return;
    this.disarmRequestTimeout();
    this.touchStream();
    this.headStatus = status;
    this.headHeaders = headers;
    this.total = contentLength;
    if (endStream) this.write(null, true);
  }

  respondData(chunk: Uint8Array, endStream: boolean): boolean {
    if (this.aborted || this.ended) return true;
    this.touchStream();
    if (this.blocked !== null || this.queue !== null) {
      // Still draining an earlier chunk: keep order, signal backpressure.
      (this.queue ??= []).push(chunk);
      if (endStream) this.queueEnd = true;
      return false;
    }
    return this.write(chunk, endStream);
  }

  respondEnd(_trailers: FlatHeaders | null): void {
    // HTTP/1.1 trailers are dropped (Envoy does the same unless enable_trailers).
    if (this.aborted || this.ended) return;
    if (this.blocked !== null || this.queue !== null) {
      this.queueEnd = true;
      return;
    }
    this.write(null, true);
  }

  reset(): void {
    if (this.aborted || this.ended) return;
    this.markEnded();
    this.aborted = true;
    this.res.close();
  }

  pauseRequest(): void {
    this.readPaused = true;
    if (!this.aborted && !this.ended) this.res.pause();
  }

  resumeRequest(): void {
    this.readPaused = false;
    if (!this.aborted && !this.ended) this.res.resume();
    if (this.held !== null) this.flushHeld();
  }

  /** Request body bytes from uWS (already copied). */
  onBody(chunk: Uint8Array, last: boolean): void {
    if (this.readPaused || this.held !== null) {
      (this.held ??= []).push(chunk);
      this.heldBytes += chunk.length;
      if (last) this.heldEnd = true;
      if (this.heldBytes > this.hcm.listener.perConnectionBufferLimitBytes && !this.aborted) {
        // pause() did not hold the client back: cut the stream rather than buffer without bound.
        this.held = null;
        this.localReply(413, 'Payload Too Large', 0, 'request_payload_too_large');
        if (!this.aborted) this.reset();
      }
      return;
    }
    this.touchStream();
    if (last) this.disarmRequestTimeout();
    this.onRequestData(chunk, last);
  }

  private flushHeld(): void {
    const q = this.held!;
    let i = 0;
    while (i < q.length && !this.readPaused && !this.aborted) {
      const c = q[i++];
      this.heldBytes -= c.length;
      const last = this.heldEnd && i === q.length;
      this.touchStream();
      if (last) this.disarmRequestTimeout();
      this.onRequestData(c, last);
    }
    if (this.held !== q) return;
    if (i === q.length) {
      this.held = null;
      this.heldBytes = 0;
    } else this.held = q.slice(i);
  }

  closeAfterResponse(): void {
    this.closeConn = true;
  }

  // ---------------------------------------------------------------- writing
  private write(chunk: Uint8Array | null, end: boolean): boolean {
    this.wChunk = chunk;
    this.wEnd = end;
    this.wResult = true;
    const prev = corkTarget;
    corkTarget = this;
    this.res.cork(corked);
    corkTarget = prev;
    return this.wResult;
  }

  /** Runs inside res.cork(). */
  flushWrite(): void {
    const res = this.res;
    const chunk = this.wChunk;
    const end = this.wEnd;
    this.wChunk = null;
    if (this.headHeaders !== null) {
      res.writeStatus(statusOf(this.headStatus));
      const h = this.headHeaders;
      this.headHeaders = null;
      for (let i = 0; i < h.length; i += 2) {
        // uWS writes its own Date header.
        if (h[i] !== 'date') res.writeHeader(h[i], h[i + 1]);
      }
      const noBody = this.isHead || this.headStatus === 204 || this.headStatus === 304 || (this.headStatus >= 100 && this.headStatus < 200);
      if (noBody) {
        if (this.isHead && this.total >= 0 && this.headStatus !== 204 && this.headStatus !== 304) res.writeHeader('content-length', String(this.total));
        this.markEnded();
        res.endWithoutBody(undefined, this.closeConn);
        return;
      }
    }
    if (this.ended) return;
    if (this.total >= 0) {
      if (end && chunk !== null && chunk.length === this.total && res.getWriteOffset() === 0) {
        this.markEnded();
        res.end(chunk, this.closeConn);
        return;
      }
      if (end && (chunk === null || chunk.length === 0) && this.total === 0) {
        this.markEnded();
        res.end(undefined, this.closeConn);
        return;
      }
      if (chunk !== null && chunk.length > 0) {
        const before = res.getWriteOffset();
        const [ok, done] = res.tryEnd(chunk, this.total);
        if (done) {
          this.markEnded();
          return;
        }
        if (!ok) {
          this.blocked = chunk;
          this.blockedOffset = before;
          this.blockedEnd = end;
          this.wResult = false;
          res.onWritable(this.onWritableBound);
          return;
        }
      }
      if (end) {
        // The upstream ended short of its content-length: the client must not wait for more.
        this.markEnded();
        res.close();
      }
      return;
    }
    // Unknown length: chunked.
    if (chunk !== null && chunk.length > 0) {
      if (!res.write(chunk)) {
        this.wResult = false;
        if (!end) res.onWritable(this.onWritableBound);
      }
    }
    if (end) {
      this.markEnded();
      res.end(undefined, this.closeConn);
    }
  }

  private readonly onWritableBound = (offset: number): boolean => this.onWritable(offset);

  private onWritable(offset: number): boolean {
    if (this.aborted || this.ended) return true;
    const res = this.res;
    if (this.blocked !== null) {
      const rest = this.blocked.subarray(offset - this.blockedOffset);
      const [ok, done] = res.tryEnd(rest, this.total);
      if (done) {
        this.markEnded();
        this.blocked = null;
        return true;
      }
      if (!ok) {
        this.blocked = rest;
        this.blockedOffset = offset;
        return false;
      }
      this.blocked = null;
      if (this.blockedEnd) {
        this.markEnded();
        res.close();
        return true;
      }
    }
    // Drain what queued up meanwhile, then tell the upstream to go on.
    const q = this.queue;
    if (q !== null) {
      this.queue = null;
      for (let i = 0; i < q.length; i++) {
        const last = i === q.length - 1;
        const ok = this.writeInCork(q[i], last && this.queueEnd);
        if (!ok) {
          if (!last) this.queue = q.slice(i + 1);
          return this.blocked === null;
        }
      }
      if (this.queueEnd && !this.ended) this.writeInCork(null, true);
      this.queueEnd = false;
    }
    this.onDownstreamWritable();
    return true;
  }

  private writeInCork(chunk: Uint8Array | null, end: boolean): boolean {
    this.wChunk = chunk;
    this.wEnd = end;
    this.wResult = true;
    this.flushWrite();
    return this.wResult;
  }
}

/** One listener of one worker on uWebSockets.js. The HCM can be swapped by a reload. */
export class UwsListener {
  readonly app: TemplatedApp;
  private token: us_listen_socket | null = null;

  constructor(
    private hcm: HcmRuntime,
    tls: { keyFile: string; certFile: string; caFile?: string; passphrase?: string; ciphers?: string } | null,
  ) {
    const u = uws();
    this.app = tls
      ? u.SSLApp({
          key_file_name: tls.keyFile,
          cert_file_name: tls.certFile,
          ...(tls.caFile ? { ca_file_name: tls.caFile } : {}),
          ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
          ...(tls.ciphers ? { ssl_ciphers: tls.ciphers } : {}),
        })
      : u.App();
    this.app.any('/*', (res, req) => this.onRequest(res, req));
  }

  setHcm(hcm: HcmRuntime): void {
    this.hcm = hcm;
  }

  listen(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.app.listen(host, port, (t) => {
        this.token = t || null;
        resolve(!!t);
      });
    });
  }

  /** Stops accepting; open connections stay until they end (uWS closes idle ones after 10 s). */
  close(): void {
    if (this.token !== null) {
      uws().us_listen_socket_close(this.token);
      this.token = null;
    }
  }

  /**
   * Closes every connection now, idle or not (in-flight requests are aborted). A worker thread that
   * ended with uWS sockets still open would abort the whole process (uv_loop_close with open handles).
   * App.close() is in the 20.30 binary but not in its typings.
   */
  destroyAll(): void {
    this.token = null;
    (this.app as TemplatedApp & { close(): void }).close();
  }

  private onRequest(res: HttpResponse, req: HttpRequest): void {
    const hcm = this.hcm;
    const method = req.getCaseSensitiveMethod();
    const ex = new UwsExchange(hcm, res, method);
    res.onAborted(() => ex.onAbort());
    ex.method = method;
    const url = req.getUrl();
    const q = req.getQuery();
    ex.path = q ? `${url}?${q}` : url;
    const h: string[] = [];
    req.forEach((k, v) => {
      h.push(k, v);
    });
    ex.protocol = 'HTTP/1.1';
    ex.isTls = hcm.isTls;
    ex.scheme = hcm.isTls ? 'https' : 'http';
    ex.localAddress = `${hcm.listener.address.address}:${hcm.listener.address.port}`;
    if (hcm.cfg.useRemoteAddress || hcm.accessLoggers.length > 0) {
      ex.remoteAddress = decoder.decode(res.getRemoteAddressAsText());
    }
    // What Envoy's codec rejects but uWS lets through (framing, a second Host, DEL, size limits).
    const v = verdict;
    const cfg = hcm.cfg;
    checkUwsHead(h, method, ex.path.length, cfg.maxRequestHeadersKb * 1024, cfg.maxHeadersCount, v);
    if (v.status !== 0) {
      rejectHead(ex, v.status, v.details);
      return;
    }
    // Host leaves the header list (it is the authority).
    let w = 0;
    for (let r = 0; r < h.length; r += 2) {
      if (h[r] === 'host') {
        ex.authority = h[r + 1];
        continue;
      }
      if (w !== r) {
        h[w] = h[r];
        h[w + 1] = h[r + 1];
      }
      w += 2;
    }
    h.length = w;
    // uWS itself stalls on names with '_' (never answers); the policy still applies to what reaches us.
    const underscores = applyUnderscorePolicy(h, cfg.headersWithUnderscoresAction);
    if (underscores !== 0) {
      if (underscores === UNDERSCORE_REJECT) {
        hcm.services.codecStats[CODEC['http1.requests_rejected_with_underscores_in_headers']]++;
        rejectHead(ex, 400, 'http1.unexpected_underscore');
        return;
      }
      hcm.services.codecStats[CODEC['http1.dropped_headers_with_underscores']] += underscores;
    }
    ex.headers = h;
    if (v.chunked) ex.requestContentLength = -1;
    else if (v.contentLength > 0) ex.requestContentLength = v.contentLength;
    else ex.requestContentLength = 0;
    if (ex.requestContentLength !== 0) {
      res.onData((ab, isLast) => {
        // uWS reuses the buffer after this callback returns.
        const copy = new Uint8Array(ab.byteLength);
        copy.set(new Uint8Array(ab));
        ex.onBody(copy, isLast);
      });
    } else {
      ex.requestComplete = true;
    }
    ex.armStreamTimers(0);
    try {
      ex.start();
    } catch (e) {
      ex.localReply(500, 'internal error', 0, 'internal_error');
      hcm.services.onError?.(e);
    }
  }
}

const verdict: HeadVerdict = { status: 0, details: '', contentLength: -1, chunked: false };

/** Envoy's codec reply to a head it would not have parsed: counted as a protocol error, connection closed. */
function rejectHead(ex: UwsExchange, status: number, details: string): void {
  const st = ex.hcm.stats;
  st[HCM.downstream_cx_protocol_error]++;
  st[HCM.downstream_rq_total]++;
  st[HCM.downstream_rq_http1_total]++;
  st[HCM.downstream_rq_active]++;
  ex.closeAfterResponse();
  ex.localReply(status, statusText(status), 0, details);
}
