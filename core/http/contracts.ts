// The seams of the request path. Engines (uWebSockets.js, node:http/http2, Bun) implement
// DownstreamStream; upstream pools (HTTP/1.1, HTTP/2) implement UpstreamPool/UpstreamStream; the
// Exchange in core drives both. Every call is synchronous; `false` from a write means "wait for the
// matching writable callback" (the only resume signal), as in undici's dispatch contract.

/** Headers as a flat array: [name0, value0, name1, value1, ...], names lower-case. */
export type FlatHeaders = string[];

export interface DownstreamStream {
  /**
   * Sends the response head. `contentLength` is the body length when known (-1 when not: the engine
   * picks chunked or close-delimited framing). Framing headers are never in `headers`.
   */
  respondHead(status: number, headers: FlatHeaders, contentLength: number, endStream: boolean): void;
  /** Writes body bytes; false = the client is slow, wait for Exchange.onDownstreamWritable(). */
  respondData(chunk: Uint8Array, endStream: boolean): boolean;
  /** Ends the response (after respondData with endStream=false). */
  respondEnd(trailers: FlatHeaders | null): void;
  /** Aborts the stream (HTTP/2 RST_STREAM, HTTP/1.1 connection close). */
  reset(): void;
  /** Stops / restarts reading the request body (backpressure towards the client). */
  pauseRequest(): void;
  resumeRequest(): void;
  /** Asks the engine to close the connection after this response (drain, connection: close). */
  closeAfterResponse(): void;
  /**
   * The server drains (Envoy's drain close): HTTP/1.1 closes after this response; an HTTP/2 engine ends
   * the whole session with GOAWAY once its streams finish. Engines without it close as closeAfterResponse.
   */
  drainClose?(): void;
}

/** Why an upstream attempt failed; the text is Envoy's reset reason. */
export const enum ResetReason {
  ConnectionFailure = 0,
  ConnectionTimeout = 1,
  ConnectionTermination = 2,
  LocalReset = 3,
  RemoteReset = 4,
  Overflow = 5,
  ProtocolError = 6,
  RemoteRefusedStream = 7,
}

export const RESET_REASON_TEXT: readonly string[] = [
  'remote connection failure',
  'connection timeout',
  'connection termination',
  'local reset',
  'remote reset',
  'overflow',
  'protocol error',
  'remote refused stream reset',
];

/** One request on one upstream connection (an HTTP/1.1 exchange or an HTTP/2 stream). */
export interface UpstreamStream {
  /** Request body bytes; false = wait for UpstreamCallbacks.onUpstreamWritable(). */
  write(chunk: Uint8Array, endStream: boolean): boolean;
  /** Stops / restarts delivering response body (downstream is slow). */
  pauseResponse(): void;
  resumeResponse(): void;
  /** Abandons the request (timeout, client gone). No more callbacks follow. */
  reset(): void;
}

/** What a pool reads from the request and calls back into. Implemented by Exchange. */
export interface UpstreamCallbacks {
  readonly upstreamMethod: string;
  readonly upstreamPath: string;
  readonly upstreamAuthority: string;
  readonly upstreamScheme: string;
  readonly upstreamHeaders: FlatHeaders;
  /** Request body length if known, -1 if streamed with unknown length, 0 for none. */
  readonly requestContentLength: number;
  /** True when the whole request (head and body) is already available. */
  readonly requestComplete: boolean;
  /** The pool has a stream for this request and has sent the head; body may follow. */
  onUpstreamStream(stream: UpstreamStream, connectMs: number): void;
  onUpstreamHeaders(status: number, headers: FlatHeaders, contentLength: number, endStream: boolean): void;
  onUpstreamData(chunk: Uint8Array, endStream: boolean): void;
  onUpstreamTrailers(trailers: FlatHeaders): void;
  /** The attempt failed; `transport` is a detail such as "delayed connect error: 111". */
  onUpstreamError(reason: ResetReason, transport: string): void;
  onUpstreamWritable(): void;
}

/** A worker's connection pool for one host of one cluster. */
export interface UpstreamPool {
  /** Starts (or queues) a request; callbacks follow, possibly synchronously. */
  newStream(cb: UpstreamCallbacks): void;
  /** Withdraws a request that is still waiting for a connection (true if it was pending). */
  cancelPending(cb: UpstreamCallbacks): boolean;
  /** Streams in flight plus pending requests. */
  readonly busy: number;
  /** Stops handing out connections; closes idle ones; `done` runs when all are closed. */
  drain(done?: () => void): void;
  /** Closes everything now. */
  destroy(): void;
}

/** Per-worker timer service: one coarse wheel instead of a native timer per request. */
export interface TimerHandle {
  cancel(): void;
}
export interface Timers {
  /** Calls `target.onTimer(kind)` after `ms` (approximately; resolution a few ms). */
  schedule(ms: number, target: TimerTarget, kind: number): TimerHandle;
}
export interface TimerTarget {
  onTimer(kind: number): void;
}

export interface Clock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  /** Wall clock, epoch milliseconds. */
  wallNow(): number;
  /** The wall-clock time of a monotonic timestamp from now() (epoch ms). */
  wallOf(mono: number): number;
  /** The current `date` header value (cached per second by the adapter). */
  httpDate(): string;
}
