// HTTP/2 downstream streams on node:http2 (cleartext prior knowledge, or h2 over TLS by ALPN). One
// Http2Server per listener takes connections handed to it by the listener; each stream becomes an
// Exchange. Limits come from the HCM's http2_protocol_options.
import http2 from 'node:http2';
import { TimedExchange } from '../../core/http/timed-exchange.js';
import { UNDERSCORE_REJECT, applyUnderscorePolicy } from '../../core/http/request-checks.js';
import { H2SessionGuard } from './h2-session.js';
import type { DownstreamStream, FlatHeaders } from '../../core/http/contracts.js';
import type { HcmRuntime } from '../../core/http/hcm.js';
import { CODEC, HCM } from '../../core/stats/defs.js';

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR, HTTP2_HEADER_STATUS } = http2.constants;
const kEx = Symbol('nuncio.exchange');
type Stream = http2.ServerHttp2Stream & { [kEx]?: H2ServerExchange };

class H2ServerExchange extends TimedExchange implements DownstreamStream {
  finished = false;
  private trailersWanted = false;
  private pendingTrailers: FlatHeaders | null = null;

  constructor(
    hcm: HcmRuntime,
    readonly stream: Stream,
    readonly guard: H2SessionGuard | undefined,
  ) {
    super(hcm);
  }

  protected streamOpen(): boolean {
    return !this.finished && !this.stream.destroyed;
  }

  respondHead(status: number, headers: FlatHeaders, contentLength: number, endStream: boolean): void {
    const s = this.stream;
    if (s.destroyed || s.closed || this.finished) return;
    this.disarmRequestTimeout();
    this.touchStream();
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
      this.stopStreamTimers();
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
    if (endStream || this.method === 'HEAD') this.responseEnded();
  }

  respondData(chunk: Uint8Array, endStream: boolean): boolean {
    const s = this.stream;
    if (s.destroyed || this.finished) return true;
    this.hcm.stats[HCM.downstream_cx_tx_bytes_total] += chunk.length;
    this.touchStream();
    if (endStream) {
      s.end(chunk.length > 0 ? chunk : undefined);
      this.responseEnded();
      return true;
    }
    return s.write(chunk);
  }

  respondEnd(trailers: FlatHeaders | null): void {
    const s = this.stream;
    if (s.destroyed || this.finished) return;
    this.pendingTrailers = trailers;
    s.end();
    this.responseEnded();
  }

  /**
   * The response is complete. A request still uploading is cut off with RST_STREAM(NO_ERROR) once the
   * response is flushed (RFC 9113 8.1), as Envoy resets a stream whose response ended first.
   */
  private responseEnded(): void {
    this.finished = true;
    this.stopStreamTimers();
    if (!this.requestComplete && !this.stream.destroyed) this.stream.close(NGHTTP2_NO_ERROR);
  }

  reset(): void {
    if (this.stream.destroyed) return;
    this.finished = true;
    this.stopStreamTimers();
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
    // A stream's own ending (a local reply) leaves the session alone: only draining ends it (drainClose).
  }

  drainClose(): void {
    // GOAWAY for the whole session; this stream and the others in flight finish.
    this.guard?.drainClose();
  }
}

function onData(this: Stream, chunk: Buffer): void {
  const ex = this[kEx];
  if (ex) {
    ex.hcm.stats[HCM.downstream_cx_rx_bytes_total] += chunk.length;
    ex.touchStream();
    ex.onRequestData(chunk, false);
  }
}

function onEnd(this: Stream): void {
  const ex = this[kEx];
  if (ex) ex.disarmRequestTimeout();
  if (ex && !ex.requestComplete) ex.onRequestData(Buffer.alloc(0), true);
}

function onDrain(this: Stream): void {
  this[kEx]?.onDownstreamWritable();
}

function onClose(this: Stream): void {
  const ex = this[kEx];
  if (ex === undefined) return;
  ex.stopStreamTimers();
  let premature = false;
  if (!ex.finished) {
    ex.finished = true;
    if (this.rstCode !== 0) {
      ex.hcm.services.codecStats[CODEC['http2.rx_reset']]++;
      premature = H2SessionGuard.premature(ex.startMono, ex.hcm.services.clock.now(), ex.responseCode !== 0);
    }
    ex.onDownstreamAbort();
  }
  ex.guard?.streamClosed(premature);
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
  const guard = H2SessionGuard.of(stream.session);
  guard?.streamOpened(stream.id ?? 0, stream);
  const flat: string[] = [];
  let cl = -1;
  // Envoy's header-list limits count pseudo-headers too (name and value bytes, and fields).
  let bytes = 0;
  let count = 0;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    const pseudo = name.charCodeAt(0) === 58; /* : */
    if (Array.isArray(v)) {
      for (const x of v) {
        bytes += name.length + x.length;
        count++;
        if (!pseudo && name !== 'host') flat.push(name, x);
      }
    } else {
      bytes += name.length + v.length;
      count++;
      if (!pseudo && name !== 'host') flat.push(name, v);
    }
    if (name === 'content-length') cl = Number(v);
  }
  const cfg = hcm.cfg;
  const codec = hcm.services.codecStats;
  if (bytes > cfg.maxRequestHeadersKb * 1024 || count > cfg.maxHeadersCount) {
    codec[CODEC['http2.header_overflow']]++;
    refuseStream(stream, guard);
    return;
  }
  // headers_with_underscores_action, as Envoy's HTTP/2 codec applies it to each decoded field.
  const underscores = applyUnderscorePolicy(flat, cfg.headersWithUnderscoresAction);
  if (underscores === UNDERSCORE_REJECT) {
    codec[CODEC['http2.requests_rejected_with_underscores_in_headers']]++;
    refuseStream(stream, guard);
    return;
  }
  if (underscores > 0) codec[CODEC['http2.dropped_headers_with_underscores']] += underscores;
  const ex = new H2ServerExchange(hcm, stream, guard);
  stream[kEx] = ex;
  ex.protocol = 'HTTP/2';
  ex.method = String(headers[':method'] ?? '');
  ex.path = String(headers[':path'] ?? '');
  ex.authority = String(headers[':authority'] ?? headers.host ?? '');
  ex.scheme = String(headers[':scheme'] ?? (hcm.isTls ? 'https' : 'http'));
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
  ex.armStreamTimers(0);
  try {
    ex.start();
  } catch (e) {
    ex.localReply(500, 'internal error', 0, 'internal_error');
    hcm.services.onError?.(e);
  }
}

/** Resets a stream the codec would not have accepted (nghttp2 sends INTERNAL_ERROR for Envoy's refusals). */
function refuseStream(stream: Stream, guard: H2SessionGuard | undefined): void {
  stream.on('error', onError);
  stream.close(NGHTTP2_INTERNAL_ERROR);
  guard?.streamClosed(false);
}

/**
 * Options for the HTTP/2 server side from the HCM's http2_protocol_options and header limits. node:http2
 * enforces some limits natively; where Envoy's rule is finer, node's bound is set just loose enough that
 * everything Envoy would accept, and the near misses, reach handleH2Stream for Envoy's exact check.
 */
export function h2ServerOptions(hcm: HcmRuntime): http2.ServerOptions {
  const cfg = hcm.cfg;
  const o = cfg.http2;
  return {
    maxSessionMemory: 64,
    // Envoy counts pseudo-headers against max_headers_count; node counts every pair.
    maxHeaderListPairs: 2 * cfg.maxHeadersCount + 8,
    maxSendHeaderBlockLength: cfg.maxRequestHeadersKb * 1024,
    peerMaxConcurrentStreams: 1000,
    // Envoy's max_consecutive_inbound_frames_with_empty_payload: node counts empty DATA frames (and
    // other invalid frames) per session and fails the one after its limit.
    maxSessionInvalidFrames: Math.max(0, o.maxConsecutiveInboundFramesWithEmptyPayload - 1),
    settings: {
      maxConcurrentStreams: Math.min(o.maxConcurrentStreams, 2 ** 31 - 1),
      initialWindowSize: Math.min(o.initialStreamWindowSize, 2 ** 31 - 1),
      // RFC 9113 list size counts 32 bytes per field on top of Envoy's name+value bytes.
      maxHeaderListSize: cfg.maxRequestHeadersKb * 1024 + 32 * cfg.maxHeadersCount,
      enablePush: false,
    },
  };
}
