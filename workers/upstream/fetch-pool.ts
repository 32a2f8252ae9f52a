// Upstream requests through the runtime's fetch() and its own keep-alive pool, for comparison on Bun
// (NUNCIO_UPSTREAM_CLIENT=fetch; bench/README.md says why it is not the default). One stand-in connection
// per host stands for fetch's pool in the pool stats; HTTP/2 only over TLS.
import type { ReadableStreamReadResult, UnderlyingSource } from 'node:stream/web';
import { PoolBase, type PoolConnection } from '../../core/upstream/pool-base.js';
import type { ClusterRuntime } from '../../core/cluster/runtime.js';
import type { Host } from '../../core/cluster/host.js';
import { ResetReason, type Clock, type Timers, type UpstreamCallbacks, type UpstreamStream } from '../../core/http/contracts.js';
import { connectFailureReason, type UpstreamTlsOptions } from './connect.js';

const EMPTY = new Uint8Array(0);
const STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: 64 * 1024, size: (c) => c.byteLength };

class FetchConn implements PoolConnection {
  capacity = 1 << 30;
  active = 0;
  ready = false;
  draining = false;
  served = 0;
  connectStart = 0;
  connectedAt = 0;
}

function pushHeader(this: string[], value: string, name: string): void {
  this.push(name, value);
}

/** The request body as a stream fed by UpstreamStream.write(). */
class RequestBody implements UnderlyingSource<Uint8Array> {
  ctl: ReadableStreamDefaultController<Uint8Array> | null = null;
  constructor(private readonly s: FetchStream) {}
  start(c: ReadableStreamDefaultController<Uint8Array>): void {
    this.ctl = c;
  }
  pull(): void {
    this.s.onBodyPull();
  }
}

class FetchStream implements UpstreamStream {
  private readonly ac = new AbortController();
  private body: RequestBody | null = null;
  private reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  private reading = false;
  private paused = false;
  private finished = false;
  private wantWritable = false;

  constructor(
    private readonly pool: FetchPool,
    private readonly conn: FetchConn,
    private readonly cb: UpstreamCallbacks,
  ) {}

  start(): void {
    const cb = this.cb;
    const h = new Headers();
    const uh = cb.upstreamHeaders;
    for (let i = 0; i < uh.length; i += 2) h.append(uh[i], uh[i + 1]);
    h.set('host', cb.upstreamAuthority);
    let body: ReadableStream<Uint8Array> | undefined;
    if (cb.requestContentLength !== 0) {
      if (cb.requestContentLength > 0) h.set('content-length', String(cb.requestContentLength));
      this.body = new RequestBody(this);
      body = new ReadableStream<Uint8Array>(this.body, STRATEGY) as ReadableStream<Uint8Array>;
    }
    const init: Record<string, unknown> = {
      method: cb.upstreamMethod,
      headers: h,
      redirect: 'manual',
      decompress: false,
      signal: this.ac.signal,
      ...(body !== undefined ? { body, duplex: 'half' } : {}),
      ...this.pool.options,
    };
    fetch(this.pool.origin + cb.upstreamPath, init as RequestInit).then(this.onResponseBound, this.onErrorBound);
    cb.onUpstreamStream(this, 0);
  }

  private readonly onResponseBound = (r: Response): void => this.onResponse(r);
  private readonly onErrorBound = (e: unknown): void => this.onError(e);
  private readonly onReadBound = (r: ReadableStreamReadResult<Uint8Array>): void => this.onRead(r);

  private onResponse(r: Response): void {
    if (this.finished) return;
    const h: string[] = [];
    r.headers.forEach(pushHeader, h);
    const cl = r.headers.get('content-length');
    const len = cl === null ? -1 : Number(cl);
    if (r.body === null) {
      this.done();
      this.cb.onUpstreamHeaders(r.status, h, len, true);
      return;
    }
    this.reader = r.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    this.cb.onUpstreamHeaders(r.status, h, len, false);
    this.read();
  }

  private read(): void {
    if (this.reading || this.paused || this.finished || this.reader === null) return;
    this.reading = true;
    this.reader.read().then(this.onReadBound, this.onErrorBound);
  }

  private onRead(r: ReadableStreamReadResult<Uint8Array>): void {
    this.reading = false;
    if (this.finished) return;
    if (r.done) {
      this.done();
      this.cb.onUpstreamData(EMPTY, true);
      return;
    }
    this.cb.onUpstreamData(r.value, false);
    this.read();
  }

  private onError(e: unknown): void {
    if (this.finished) return;
    this.done();
    const err = e as { code?: string; errno?: number; message?: string };
    this.cb.onUpstreamError(ResetReason.ConnectionFailure, connectFailureReason(err));
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    this.pool.streamEnded(this.conn);
  }

  // ---------------------------------------------------------------- UpstreamStream
  write(chunk: Uint8Array, endStream: boolean): boolean {
    const c = this.body?.ctl;
    if (c === null || c === undefined || this.finished) return true;
    if (chunk.length > 0) c.enqueue(chunk);
    if (endStream) {
      c.close();
      return true;
    }
    if ((c.desiredSize ?? 0) > 0) return true;
    this.wantWritable = true;
    return false;
  }

  onBodyPull(): void {
    if (this.wantWritable && !this.finished) {
      this.wantWritable = false;
      this.cb.onUpstreamWritable();
    }
  }

  pauseResponse(): void {
    this.paused = true;
  }

  resumeResponse(): void {
    this.paused = false;
    this.read();
  }

  reset(): void {
    if (this.finished) return;
    this.done();
    this.ac.abort();
  }
}

/** Not transparent: fetch resolves dot segments in the path and adds accept and user-agent when absent. */
export class FetchPool extends PoolBase<FetchConn> {
  readonly origin: string;
  /** Per-request fetch options: TLS for the host, HTTP/2 for http2 clusters. */
  readonly options: Record<string, unknown>;

  constructor(cluster: ClusterRuntime, host: Host, clock: Clock, _timers: Timers, tlsOpts: UpstreamTlsOptions | null) {
    super(cluster, host, clock);
    const h = host.address.includes(':') ? `[${host.address}]` : host.address;
    this.origin = `${tlsOpts ? 'https' : 'http'}://${h}:${host.port}`;
    const t = tlsOpts?.forHost(host);
    this.options = {
      ...(t ? { tls: { rejectUnauthorized: t.rejectUnauthorized !== false, ...(t.ca ? { ca: t.ca } : {}), ...(t.servername ? { serverName: t.servername } : {}) } } : {}),
      ...(cluster.cfg.protocol === 'http2' ? { protocol: 'http2' } : { protocol: 'http1.1' }),
    };
  }

  protected openConnection(): FetchConn {
    const c = new FetchConn();
    // fetch connects on demand: the stand-in is ready at once.
    queueMicrotask(() => {
      if (this.conns.includes(c)) this.connected(c);
    });
    return c;
  }

  protected startStream(c: FetchConn, cb: UpstreamCallbacks): void {
    new FetchStream(this, c, cb).start();
  }

  protected closeConnection(c: FetchConn): void {
    this.closed(c, false);
  }

  streamEnded(c: FetchConn): void {
    this.streamDone(c);
  }
}
