// Listeners on Bun.serve (nuncio on Bun): one server per listener per worker on a SO_REUSEPORT port, TLS
// from the resolved PEM, HTTP/2 where Bun has it; each request is an Exchange whose DownstreamStream side
// answers the fetch handler (Bun's API costs a promise per deferred response and per body read).
import type { ReadableStreamReadResult, UnderlyingSource } from 'node:stream/web';
import { TimedExchange } from '../../core/http/timed-exchange.js';
import { applyUnderscorePolicy, UNDERSCORE_REJECT } from '../../core/http/request-checks.js';
import { CODEC, HCM } from '../../core/stats/defs.js';
import { statusText } from '../../core/http/h1/status-text.js';
import type { DownstreamStream, FlatHeaders } from '../../core/http/contracts.js';
import type { HcmRuntime } from '../../core/http/hcm.js';
import { bunApi, type BunServer, type BunTlsOptions } from '../runtime/bun.js';
import type { BunListenerMode } from './bun-support.js';

const EMPTY = new Uint8Array(0);
/** What a reset stream errors with (one object: Bun only needs a reason to abort the response). */
const RESET = new Error('nuncio: stream reset');
/** Response bodies queue up to this many bytes before respondData() reports backpressure. */
const HIGH_WATER = 64 * 1024;
const STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: HIGH_WATER, size: chunkSize };
function chunkSize(c: Uint8Array): number {
  return c.byteLength;
}

function pushHeader(this: string[], value: string, name: string): void {
  this.push(name, value);
}

// Heads given without a body in this turn get their streaming Response at the end of the turn (one
// microtask for all of them), so that a body arriving in the same turn can still go out as bytes.
let pendingHeads: BunExchange[] = [];
let flushQueued = false;
function flushHeads(): void {
  const list = pendingHeads;
  pendingHeads = [];
  flushQueued = false;
  for (let i = 0; i < list.length; i++) list[i].openStream();
}

// Resets error their response stream a microtask later: erroring a stream in the turn it was handed to
// Bun aborts the response too, but Bun also prints the error as unhandled.
let resets: BunExchange[] = [];
let resetQueued = false;
function flushResets(): void {
  const list = resets;
  resets = [];
  resetQueued = false;
  for (let i = 0; i < list.length; i++) list[i].errorStream();
}
function resetSoon(ex: BunExchange): void {
  resets.push(ex);
  if (!resetQueued) {
    resetQueued = true;
    queueMicrotask(flushResets);
  }
}

/** The ReadableStream source of one streamed response (the Exchange's own start() is taken). */
class BodySource implements UnderlyingSource<Uint8Array> {
  constructor(private readonly ex: BunExchange) {}

  start(c: ReadableStreamDefaultController<Uint8Array>): void {
    this.ex.ctl = c;
  }

  pull(): void {
    this.ex.onPull();
  }

  cancel(): void {
    this.ex.onAbort();
  }
}

/**
 * A response whose head and whole body arrive in one turn goes out as one Response over bytes; anything
 * else streams through a pull-based ReadableStream (desiredSize is the backpressure signal, pull() the
 * writable one). The request body is read from req.body only while the Exchange wants more.
 */
class BunExchange extends TimedExchange implements DownstreamStream {
  ctl: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** The Response, when the head was decided while the fetch handler still ran. */
  immediate: Response | null = null;
  private resolve: ((r: Response) => void) | null = null;
  private handled = false;
  private aborted = false;
  private ended = false;
  private wantWritable = false;
  private closeConn = false;
  private headStatus = 0;
  private headHeaders: Headers | null = null;
  private headTotal = -1;
  private readonly isHead: boolean;
  private readonly allHttp2: boolean;
  // Request body.
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private reading = false;
  private readPaused = false;
  private bodyDone = false;

  constructor(
    hcm: HcmRuntime,
    private readonly req: Request,
    method: string,
    allHttp2: boolean,
  ) {
    super(hcm);
    this.isHead = method === 'HEAD';
    this.allHttp2 = allHttp2;
  }

  /** The fetch handler's answer once start() has run. */
  response(): Response | Promise<Response> {
    if (this.immediate !== null) return this.immediate;
    return new Promise<Response>((resolve) => {
      if (this.immediate !== null) resolve(this.immediate);
      else this.resolve = resolve;
    });
  }

  private hand(r: Response): void {
    this.handled = true;
    const resolve = this.resolve;
    if (resolve !== null) {
      this.resolve = null;
      resolve(r);
    } else this.immediate = r;
  }

  /** req.signal's abort event (this object is its listener): the client went away. */
  handleEvent(): void {
    this.onAbort();
  }

  onAbort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.stopStreamTimers();
    if (!this.ended) {
      this.ended = true;
      this.onDownstreamAbort();
    }
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
    if (this.aborted || this.handled) return;
    this.disarmRequestTimeout();
    this.touchStream();
    const h = new Headers();
    for (let i = 0; i < headers.length; i += 2) h.append(headers[i], headers[i + 1]);
    if (this.closeConn && !this.allHttp2) h.set('connection', 'close');
    this.headStatus = status;
    this.headHeaders = h;
    this.headTotal = contentLength;
    if (endStream || this.isHead) {
      // Bun writes a HEAD response's content-length as given; for other bodiless responses it writes 0.
      if (this.isHead && contentLength >= 0 && status !== 204 && status !== 304) h.set('content-length', String(contentLength));
      this.markEnded();
      this.handBytes(null);
      return;
    }
    pendingHeads.push(this);
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flushHeads);
    }
  }

  respondData(chunk: Uint8Array, endStream: boolean): boolean {
    if (this.aborted || this.ended) return true;
    this.touchStream();
    const c = this.ctl;
    if (c === null) {
      if (endStream && this.headHeaders !== null && !this.handled && this.bytesFit(chunk)) {
        // The whole response in one turn: one Response over the bytes.
        this.markEnded();
        this.handBytes(chunk.length === 0 ? null : chunk);
        return true;
      }
      this.openStream();
      if (this.ctl === null) return true;
      return this.respondData(chunk, endStream);
    }
    if (chunk.length > 0) c.enqueue(chunk);
    if (endStream) {
      this.markEnded();
      c.close();
      return true;
    }
    if ((c.desiredSize ?? 0) > 0) return true;
    this.wantWritable = true;
    return false;
  }

  /**
   * Bytes can go out as the body of a plain Response when they are the whole announced body and the
   * head names a content-type (Bun would add application/octet-stream to a byte body without one).
   */
  private bytesFit(chunk: Uint8Array): boolean {
    if (this.headTotal >= 0 && chunk.length !== this.headTotal) return false;
    return chunk.length === 0 || this.headHeaders!.has('content-type');
  }

  respondEnd(_trailers: FlatHeaders | null): void {
    // Bun.serve sends no response trailers (HTTP/1.1 drops them anyway, as Envoy does by default).
    if (this.aborted || this.ended) return;
    this.respondData(EMPTY, true);
  }

  reset(): void {
    if (this.aborted || this.ended) return;
    this.markEnded();
    this.aborted = true;
    // Not answered yet: answer with a stream (openStream aborts it); else abort the stream given.
    if (this.ctl === null && !this.handled) this.openStream();
    else if (this.ctl !== null) resetSoon(this);
  }

  errorStream(): void {
    try {
      this.ctl!.error(RESET);
    } catch {
      // already closed or errored
    }
  }

  pauseRequest(): void {
    this.readPaused = true;
  }

  resumeRequest(): void {
    this.readPaused = false;
    this.readBody();
  }

  closeAfterResponse(): void {
    this.closeConn = true;
  }

  // ---------------------------------------------------------------- response plumbing
  private handBytes(body: Uint8Array | null): void {
    let r: Response;
    try {
      r = new Response(body, { status: this.headStatus, headers: this.headHeaders! });
    } catch {
      r = this.unsendable();
    }
    this.headHeaders = null;
    this.hand(r);
    if (this.aborted) resetSoon(this);
  }

  /** Answers with a streamed body (end of the turn of respondHead, or first data that is not the whole body). */
  openStream(): void {
    if (this.handled || this.headHeaders === null) return;
    let r: Response;
    try {
      r = new Response(new ReadableStream<Uint8Array>(new BodySource(this), STRATEGY), { status: this.headStatus, headers: this.headHeaders });
    } catch {
      r = this.unsendable();
    }
    this.headHeaders = null;
    this.hand(r);
    if (this.aborted) resetSoon(this);
  }

  /**
   * A head Bun refuses (a status outside 200-599, a header value it rejects): the stream is reset, as a
   * codec that cannot encode a response would. Bun sends a bare 502 head and then closes.
   */
  private unsendable(): Response {
    this.aborted = true;
    this.markEnded();
    return new Response(new ReadableStream<Uint8Array>(new BodySource(this), STRATEGY), { status: 502 });
  }

  /** Bun wants more of the body (queue under the high-water mark). */
  onPull(): void {
    if (this.wantWritable && !this.ended) {
      this.wantWritable = false;
      this.onDownstreamWritable();
    }
  }

  // ---------------------------------------------------------------- request body
  startBody(): void {
    const body = this.req.body;
    if (body === null) {
      this.bodyDone = true;
      this.onRequestData(EMPTY, true);
      return;
    }
    this.reader = body.getReader();
    this.onReadBound = (r) => this.onRead(r);
    this.onReadErrorBound = () => this.onAbort();
    this.readBody();
  }

  private readBody(): void {
    if (this.reading || this.readPaused || this.bodyDone || this.reader === null || this.aborted) return;
    this.reading = true;
    this.reader.read().then(this.onReadBound!, this.onReadErrorBound!);
  }

  // Made by startBody: requests without a body need no callbacks.
  private onReadBound: ((r: ReadableStreamReadResult<Uint8Array>) => void) | null = null;
  private onReadErrorBound: (() => void) | null = null;

  private onRead(r: ReadableStreamReadResult<Uint8Array>): void {
    this.reading = false;
    if (this.bodyDone) return;
    if (r.done) {
      this.bodyDone = true;
      this.disarmRequestTimeout();
      this.onRequestData(EMPTY, true);
      return;
    }
    const chunk = r.value;
    this.touchStream();
    // A known length ends with its last byte, without waiting for the reader's done.
    const last = this.requestContentLength > 0 && this.bytesReceived + chunk.length >= this.requestContentLength;
    if (last) {
      this.bodyDone = true;
      this.disarmRequestTimeout();
    }
    this.onRequestData(chunk, last);
    this.readBody();
  }
}

/** One listener of one worker on Bun.serve. The HCM can be swapped by a reload. */
export class BunListener {
  private server: BunServer | null = null;
  private stopping: Promise<void> | null = null;
  private stoppedFlag = false;
  private readonly localAddress: string;

  constructor(
    private hcm: HcmRuntime,
    readonly mode: BunListenerMode,
    readonly tls: BunTlsOptions | null,
    /** Identifies the server options, so that a reload can tell whether the server must be replaced. */
    readonly key: string,
  ) {
    this.localAddress = `${hcm.listener.address.address}:${hcm.listener.address.port}`;
  }

  setHcm(hcm: HcmRuntime): void {
    this.hcm = hcm;
  }

  /** Starts listening (SO_REUSEPORT, so every worker has its own server on the port); throws if it cannot bind. */
  listen(host: string, port: number): void {
    const m = this.mode;
    this.server = bunApi().serve({
      hostname: host,
      port,
      reusePort: true,
      ...(m.http2 ? { http2: true } : {}),
      ...(m.http1 ? {} : { http1: false }),
      idleTimeout: m.idleTimeoutS,
      // Bodies stream through with backpressure; Bun's 128 MiB default would cut large uploads.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      development: false,
      ...(this.tls !== null ? { tls: this.tls } : {}),
      fetch: (req, server) => this.onRequest(req, server),
      error: (e) => this.onError(e),
    });
  }

  /** Stops accepting; in-flight requests finish and their connections close after them (Bun's graceful stop). */
  close(): void {
    if (this.server === null || this.stopping !== null) return;
    this.stopping = this.server.stop(false).then(
      () => {
        this.stoppedFlag = true;
      },
      () => {
        this.stoppedFlag = true;
      },
    );
  }

  /** Closes every connection now. */
  destroyAll(): void {
    if (this.server === null) return;
    void this.server.stop(true);
    this.stoppedFlag = true;
  }

  /** Something is still open: requests in flight, or (after close()) connections Bun has not closed yet. */
  get connections(): number {
    if (this.server === null || this.stoppedFlag) return 0;
    return Math.max(this.server.pendingRequests, this.stopping !== null ? 1 : 0);
  }

  private onError(e: Error): Response {
    this.hcm.services.onError?.(e);
    return new Response(null, { status: 500 });
  }

  private onRequest(req: Request, server: BunServer): Response | Promise<Response> {
    const hcm = this.hcm;
    const method = req.method;
    const ex = new BunExchange(hcm, req, method, this.mode.allHttp2);
    ex.method = method;
    // Bun hands over the URL after WHATWG parsing (dot segments resolved, some characters escaped).
    const url = req.url;
    const slash = url.charCodeAt(0) === 47 /* / */ ? 0 : url.indexOf('/', url.indexOf('//') + 2);
    ex.path = slash < 0 ? '/' : url.slice(slash);
    const h: string[] = [];
    req.headers.forEach(pushHeader, h);
    // Host leaves the header list (it is the authority).
    let cl = -1;
    let upgrade = false;
    let bytes = method.length + ex.path.length;
    let w = 0;
    for (let r = 0; r < h.length; r += 2) {
      const name = h[r];
      bytes += name.length + h[r + 1].length;
      if (name === 'host') {
        ex.authority = h[r + 1];
        continue;
      }
      if (name === 'content-length') cl = Number(h[r + 1]);
      else if (name === 'upgrade') upgrade = true;
      if (w !== r) {
        h[w] = name;
        h[w + 1] = h[r + 1];
      }
      w += 2;
    }
    h.length = w;
    ex.protocol = this.mode.allHttp2 ? 'HTTP/2' : 'HTTP/1.1';
    ex.isTls = hcm.isTls;
    ex.scheme = hcm.isTls ? 'https' : 'http';
    ex.localAddress = this.localAddress;
    if (hcm.cfg.useRemoteAddress || hcm.accessLoggers.length > 0) {
      const a = server.requestIP(req);
      if (a !== null) ex.remoteAddress = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
    }
    const cfg = hcm.cfg;
    // Bun's parser refuses most malformed heads itself (400/505/431, uncounted). What it lets through and
    // Envoy's codec would not: a second Host (Bun joins repeated fields with ", "), and the configured
    // size and count limits (Bun's own size limit is 16 KiB).
    if (ex.authority.indexOf(',') >= 0) return rejectHead(ex, 400, 'http1.codec_error');
    if (bytes > cfg.maxRequestHeadersKb * 1024) return rejectHead(ex, 431, 'http1.headers_too_large');
    if (w / 2 + 1 > cfg.maxHeadersCount) return rejectHead(ex, 431, 'http1.too_many_headers');
    const underscores = applyUnderscorePolicy(h, cfg.headersWithUnderscoresAction);
    if (underscores !== 0) {
      if (underscores === UNDERSCORE_REJECT) {
        hcm.services.codecStats[CODEC['http1.requests_rejected_with_underscores_in_headers']]++;
        return rejectHead(ex, 400, 'http1.unexpected_underscore');
      }
      hcm.services.codecStats[CODEC['http1.dropped_headers_with_underscores']] += underscores;
    }
    ex.headers = h;
    // Without a content-length (chunked, or HTTP/2 with DATA frames) Bun still hands over a body stream.
    ex.requestContentLength = cl >= 0 ? cl : req.body !== null ? -1 : 0;
    if (ex.requestContentLength === 0) ex.requestComplete = true;
    if (upgrade) {
      // Upgrades (WebSocket) are not proxied: Envoy without upgrade_configs answers 403.
      hcm.stats[HCM.downstream_rq_ws_on_non_ws_route]++;
      ex.closeAfterResponse();
      replyUnstarted(ex, 403, '', 'upgrade_failed');
      return ex.response();
    }
    ex.armStreamTimers(0);
    try {
      ex.start();
    } catch (e) {
      ex.localReply(500, 'internal error', 0, 'internal_error');
      hcm.services.onError?.(e);
    }
    if (ex.immediate === null) {
      // Waiting for an upstream: the client may leave meanwhile; the body is read as the Exchange wants it.
      const signal = req.signal;
      if (signal.aborted) ex.onAbort();
      else signal.addEventListener('abort', ex);
      if (!ex.requestComplete) ex.startBody();
    }
    return ex.response();
  }
}

/** Envoy's codec reply to a head it would not have parsed: a protocol error, connection closed. */
function rejectHead(ex: BunExchange, status: number, details: string): Response | Promise<Response> {
  ex.hcm.stats[HCM.downstream_cx_protocol_error]++;
  ex.closeAfterResponse();
  replyUnstarted(ex, status, statusText(status), details);
  return ex.response();
}

/** A local reply to a request the connection manager never started: counted as Envoy's stream would be. */
function replyUnstarted(ex: BunExchange, status: number, body: string, details: string): void {
  const st = ex.hcm.stats;
  st[HCM.downstream_rq_total]++;
  st[ex.protocol === 'HTTP/2' ? HCM.downstream_rq_http2_total : HCM.downstream_rq_http1_total]++;
  st[HCM.downstream_rq_active]++;
  ex.localReply(status, body, 0, details);
}
