// AccessLogRecord: what the request path records about one HTTP stream for access logging, and a
// factory that creates one with every field present (one hidden class for all records).

/**
 * Conventions: '' means "not set" for strings (rendered '-' by Envoy), -1 means "not set" for
 * optional durations. Header lists are flat `[lowerName, value, lowerName, value, ...]` arrays.
 * Addresses are `ip:port`, IPv6 as `[ip]:port`, as Envoy prints them.
 */
export interface AccessLogRecord {
  /** Request start, epoch milliseconds. */
  startTimeMs: number;
  /** :method. */
  method: string;
  /** :path as forwarded (after any rewrite). */
  path: string;
  /** x-envoy-original-path: the path before a route rewrite; '' when not rewritten. */
  originalPath: string;
  /** :authority (Host for HTTP/1). */
  authority: string;
  /** :scheme. */
  scheme: string;
  /** Downstream protocol; '' when unknown. */
  protocol: '' | 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2' | 'HTTP/3';
  /** Upstream protocol; '' when no upstream request was made. */
  upstreamProtocol: '' | 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2' | 'HTTP/3';
  /** Final response code; 0 = no response was sent. */
  responseCode: number;
  /** Envoy response code details, e.g. 'via_upstream', 'route_not_found'. */
  responseCodeDetails: string;
  /** Bitmask of RF_* constants from response-flags.ts. */
  responseFlags: number;
  /** Request body bytes received. */
  bytesReceived: number;
  /** Response body bytes sent. */
  bytesSent: number;
  /** Start to last byte sent downstream, ms; -1 if unknown. */
  durationMs: number;
  /** Start to last request byte received, ms; -1 if unknown. */
  requestDurationMs: number;
  /** Start to last request byte sent upstream, ms; -1 if unknown. */
  requestTxDurationMs: number;
  /** Start to first upstream response byte, ms; -1 if none. */
  responseDurationMs: number;
  /**
   * Value of the x-envoy-upstream-service-time response header, ms; -1 if the header was not
   * sent. Used for %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% when responseHeaders lacks it.
   */
  upstreamServiceTimeMs: number;
  /** Selected upstream host 'ip:port'; '' if none. */
  upstreamHost: string;
  /** Hostname of the upstream host (STRICT_DNS); '' falls back to upstreamHost. */
  upstreamHostname: string;
  /** Upstream cluster name; '' if none. */
  upstreamCluster: string;
  /** Local address of the upstream connection; '' if none. */
  upstreamLocalAddress: string;
  /** Transport failure reason of the upstream connection; '' if none. */
  upstreamTransportFailureReason: string;
  /** Number of upstream attempts (0 = never attempted). */
  upstreamRequestAttemptCount: number;
  /** Downstream remote address (may come from x-forwarded-for). */
  downstreamRemoteAddress: string;
  /** Peer address of the downstream socket; '' means same as downstreamRemoteAddress. */
  downstreamDirectRemoteAddress: string;
  /** Local address of the downstream connection. */
  downstreamLocalAddress: string;
  /** SNI from the downstream TLS handshake; '' if none. */
  requestedServerName: string;
  /** Downstream TLS version such as 'TLSv1.3'; '' for plaintext. */
  downstreamTlsVersion: string;
  /** Downstream TLS cipher (OpenSSL name); '' for plaintext. */
  downstreamTlsCipher: string;
  /** Matched route name; '' if none. */
  routeName: string;
  requestHeaders: readonly string[];
  responseHeaders: readonly string[];
  responseTrailers: readonly string[];
  /** x-request-id of the stream; '' if none. Used for %STREAM_ID% and as x-request-id fallback. */
  requestId: string;
  /** Downstream connection id. */
  connectionId: number;
  /** Body of a locally generated reply; '' otherwise. */
  localReplyBody: string;
}

const EMPTY: readonly string[] = [];

/** A record with every field at its "not set" value. */
export function createAccessLogRecord(): AccessLogRecord {
  return {
    startTimeMs: 0,
    method: '',
    path: '',
    originalPath: '',
    authority: '',
    scheme: '',
    protocol: '',
    upstreamProtocol: '',
    responseCode: 0,
    responseCodeDetails: '',
    responseFlags: 0,
    bytesReceived: 0,
    bytesSent: 0,
    durationMs: -1,
    requestDurationMs: -1,
    requestTxDurationMs: -1,
    responseDurationMs: -1,
    upstreamServiceTimeMs: -1,
    upstreamHost: '',
    upstreamHostname: '',
    upstreamCluster: '',
    upstreamLocalAddress: '',
    upstreamTransportFailureReason: '',
    upstreamRequestAttemptCount: 0,
    downstreamRemoteAddress: '',
    downstreamDirectRemoteAddress: '',
    downstreamLocalAddress: '',
    requestedServerName: '',
    downstreamTlsVersion: '',
    downstreamTlsCipher: '',
    routeName: '',
    requestHeaders: EMPTY,
    responseHeaders: EMPTY,
    responseTrailers: EMPTY,
    requestId: '',
    connectionId: 0,
    localReplyBody: '',
  };
}
