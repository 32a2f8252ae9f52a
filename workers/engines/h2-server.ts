// HTTP/2 downstream streams on node:http2 (cleartext prior knowledge, or h2 over TLS by ALPN). One
// Http2Server per listener takes connections handed to it by the listener; each stream becomes an
// Exchange. Limits come from the HCM's http2_protocol_options.
import http2 from 'node:http2';
import { Exchange } from '../../core/http/exchange.js';
import type { DownstreamStream, FlatHeaders } from '../../core/http/contracts.js';
import type { HcmRuntime } from '../../core/http/hcm.js';
import { CODEC, HCM } from '../../core/stats/defs.js';

const { NGHTTP2_INTERNAL_ERROR, HTTP2_HEADER_STATUS } = http2.constants;
const kEx = Symbol('nuncio.exchange');
type Stream = http2.ServerHttp2Stream & { [kEx]?: H2ServerExchange };

class H2ServerExchange extends Exchange implements DownstreamStream {
  finished = false;
  private trailersWanted = false;
  private pendingTrailers: FlatHeaders | null = null;

  constructor(
    hcm: HcmRuntime,
    readonly stream: Stream,
  ) {
    super(hcm);
  }

  respondHead(status: number, headers: FlatHeaders, contentLength: number, endStream: boolean): void {
    const s = this.stream;
    if (s.destroyed || s.closed || this.finished) return;
    const out: http2.OutgoingHttpHeaders = { [HTTP2_HEADER_STATUS]: status };
    let grpc = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const prev = out[name];
      if (prev === undefined) out[name] = headers[i + 1];
      else if (Array.isArray(prev)) prev.push(headers[i + 1]);
      else out[name] = [String(prev), headers[i + 1]];
      if (name === 'content-type' && headers[i + 1].startsWith('application/grpc')) grpc = true;
    }
    if (contentLength >= 0 && status !== 204 && status !== 304) out['content-length'] = String(contentLength);
    this.trailersWanted = grpc && !endStream;
    try {
      s.respond(out, { endStream: endStream || this.method === 'HEAD', waitForTrailers: this.trailersWanted });
    } catch {
      this.finished = true;
      return;
    }
    if (this.trailersWanted) {
      s.once('wantTrailers', () => {
        const t = this.pendingTrailers ?? [];
        const obj: http2.OutgoingHttpHeaders = {};
        for (let i = 0; i < t.length; i += 2) obj[t[i]] = t[i + 1];
        try {
          s.sendTrailers(obj);
        } catch {
          // stream already gone
        }
      });
    }
    if (endStream || this.method === 'HEAD') this.finished = true;
  }

  respondData(chunk: Uint8Array, endStream: boolean): boolean {
    const s = this.stream;
    if (s.destroyed || this.finished) return true;
    this.hcm.stats[HCM.downstream_cx_tx_bytes_total] += chunk.length;
    if (endStream) {
      this.finished = true;
      s.end(chunk.length > 0 ? chunk : undefined);
      return true;
    }
    return s.write(chunk);
  }

  respondEnd(trailers: FlatHeaders | null): void {
    const s = this.stream;
    if (s.destroyed || this.finished) return;
    this.finished = true;
    this.pendingTrailers = trailers;
    s.end();
  }

  reset(): void {
    if (this.stream.destroyed) return;
    this.finished = true;
    this.hcm.services.codecStats[CODEC['http2.tx_reset']]++;
    this.stream.close(NGHTTP2_INTERNAL_ERROR);
  }

  pauseRequest(): void {
    this.stream.pause();
  }

  resumeRequest(): void {
    this.stream.resume();
  }

  closeAfterResponse(): void {
    // HTTP/2 drains with GOAWAY at the session level (see the listener).
  }
}

function onData(this: Stream, chunk: Buffer): void {
  const ex = this[kEx];
  if (ex) {
    ex.hcm.stats[HCM.downstream_cx_rx_bytes_total] += chunk.length;
    ex.onRequestData(chunk, false);
  }
}

function onEnd(this: Stream): void {
  const ex = this[kEx];
  if (ex && !ex.requestComplete) ex.onRequestData(Buffer.alloc(0), true);
}

function onDrain(this: Stream): void {
  this[kEx]?.onDownstreamWritable();
}

function onClose(this: Stream): void {
  const ex = this[kEx];
  if (ex && !ex.finished) {
    ex.finished = true;
    if (this.rstCode !== 0) ex.hcm.services.codecStats[CODEC['http2.rx_reset']]++;
    ex.onDownstreamAbort();
  }
}

function onError(this: Stream): void {
  // 'close' follows.
}

/** Starts an Exchange for a new HTTP/2 stream. */
export function handleH2Stream(
  hcm: HcmRuntime,
  stream: Stream,
  headers: http2.IncomingHttpHeaders,
  flags: number,
  remoteAddress: string,
  localAddress: string,
  connectionId: number,
): void {
  const ex = new H2ServerExchange(hcm, stream);
  stream[kEx] = ex;
  ex.protocol = 'HTTP/2';
  ex.method = String(headers[':method'] ?? '');
  ex.path = String(headers[':path'] ?? '');
  ex.authority = String(headers[':authority'] ?? headers.host ?? '');
  ex.scheme = String(headers[':scheme'] ?? (hcm.isTls ? 'https' : 'http'));
  const flat: string[] = [];
  let cl = -1;
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* : */ || name === 'host') continue;
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) flat.push(name, x);
    else flat.push(name, v);
    if (name === 'content-length') cl = Number(v);
  }
  // Cookie crumbs are joined back for HTTP/1.1 upstreams by the node API already ('; ').
  ex.headers = flat;
  ex.isTls = hcm.isTls;
  ex.remoteAddress = remoteAddress;
  ex.localAddress = localAddress;
  ex.connectionId = connectionId;
  const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
  ex.requestContentLength = endStream ? 0 : cl >= 0 ? cl : -1;
  if (endStream) ex.requestComplete = true;
  stream.on('close', onClose);
  stream.on('error', onError);
  stream.on('drain', onDrain);
  if (!endStream) {
    stream.on('data', onData);
    stream.on('end', onEnd);
  }
  try {
    ex.start();
  } catch (e) {
    ex.localReply(500, 'internal error', 0, 'internal_error');
    hcm.services.onError?.(e);
  }
}

/** Options for the HTTP/2 server side from the HCM's http2_protocol_options. */
export function h2ServerOptions(hcm: HcmRuntime): http2.ServerOptions {
  const o = hcm.cfg.http2;
  return {
    maxSessionMemory: 64,
    maxHeaderListPairs: Math.max(hcm.cfg.maxHeadersCount + 4, 8),
    maxSendHeaderBlockLength: hcm.cfg.maxRequestHeadersKb * 1024,
    peerMaxConcurrentStreams: 1000,
    settings: {
      maxConcurrentStreams: Math.min(o.maxConcurrentStreams, 2 ** 31 - 1),
      initialWindowSize: Math.min(o.initialStreamWindowSize, 2 ** 31 - 1),
      maxHeaderListSize: hcm.cfg.maxRequestHeadersKb * 1024,
      enablePush: false,
    },
  };
}
