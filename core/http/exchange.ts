// One downstream request through the proxy: Envoy's ActiveStream (connection manager) and router
// filter in one object. Engines fill in the request and call start(); the Exchange routes, picks a
// host, drives an upstream stream through the cluster's pool, relays the response with backpressure in
// both directions, and on completion counts stats and writes access logs. Nothing here awaits.
import type { RouteAction, HeaderMutations } from '../config/types.js';
import type { CompiledRoute } from '../router/table.js';
import { rewritePath, redirectLocation, pickWeighted } from '../router/rewrite.js';
import type { ClusterRuntime } from '../cluster/runtime.js';
import type { Host } from '../cluster/host.js';
import { CLUSTER, CLUSTER_H, CODE_BASE_EXTERNAL, CODE_BASE_INTERNAL, CODE_BASE_PLAIN, CODE_MIN, CODE_MAX, HCM, HCM_H, HOST } from '../stats/defs.js';
import {
  RESET_REASON_TEXT,
  ResetReason,
  type DownstreamStream,
  type FlatHeaders,
  type TimerHandle,
  type TimerTarget,
  type UpstreamCallbacks,
  type UpstreamPool,
  type UpstreamStream,
} from './contracts.js';
import { applyMutations, hGet, hRemove, hRemoveAny, hSet, stripRequestHopByHop, stripResponseHopByHop } from './headers.js';
import type { HcmRuntime } from './hcm.js';
import { createAccessLogRecord, type AccessLogRecord } from '../access-log/record.js';
import { RF_DC, RF_LH, RF_LR, RF_NC, RF_NR, RF_UC, RF_UF, RF_UH, RF_UO, RF_UPE, RF_UR, RF_UT, RF_URX } from '../access-log/response-flags.js';
import { RetryState } from './retry.js';
import { applyPathPolicy } from './path-policy.js';
import { normalizeHost } from './host-port.js';

const T_GLOBAL = 0;
const T_PER_TRY = 1;
const T_RETRY_BACKOFF = 2;

const EMPTY_BODY = new Uint8Array(0);
const RETRY_HEADERS: ReadonlySet<string> = new Set(['x-envoy-retry-on', 'x-envoy-max-retries', 'x-envoy-retriable-status-codes']);

/** Decimal text of small integers (timeouts, service times), cached: they repeat on every request. */
const MS_TEXT: string[] = [];
function msText(n: number): string {
  if (n < 0 || n > 65535 || n !== (n | 0)) return String(n);
  return (MS_TEXT[n] ??= String(n));
}
const TEXT_PLAIN = 'text/plain';

export type Protocol = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';

export class Exchange implements UpstreamCallbacks, TimerTarget {
  // ---- request, filled by the engine before start() ----
  method = '';
  /** :path as received (with query). */
  path = '';
  authority = '';
  scheme = 'http';
  protocol: Protocol = 'HTTP/1.1';
  /** Request headers without pseudo-headers and without host; names lower-case. */
  headers: FlatHeaders = [];
  /** -1 unknown (chunked / HTTP/2 without content-length), 0 none, N bytes. */
  requestContentLength = 0;
  remoteAddress = '';
  localAddress = '';
  isTls = false;
  connectionId = 0;
  /** True once the whole request body has been received. */
  requestComplete = false;

  // ---- upstream request, derived in start() ----
  upstreamMethod = '';
  upstreamPath = '';
  upstreamAuthority = '';
  upstreamScheme = 'http';
  upstreamHeaders: FlatHeaders = this.headers;

  // ---- state ----
  readonly startMono: number;
  /** Wall-clock start (epoch ms), derived from the monotonic start when an access log needs it. */
  get startWall(): number {
    return this.hcm.services.clock.wallOf(this.startMono);
  }
  route: CompiledRoute | null = null;
  cluster: ClusterRuntime | null = null;
  host: Host | null = null;
  private pool: UpstreamPool | null = null;
  private upstream: UpstreamStream | null = null;
  private body: Uint8Array[] | null = null;
  private bodyBytes = 0;
  private retainBody = false;
  private paused = false;
  private timer: TimerHandle | null = null;
  private tryTimer: TimerHandle | null = null;
  private upstreamStartMono = 0;
  private responseStarted = false;
  private upstreamResponded = false;
  private done = false;
  private internal = false;
  private originalPath = '';
  private requestId = '';
  private timeoutMs = 0;
  private retry: RetryState | null = null;
  private weighted: HeaderMutations | null = null;
  responseCode = 0;
  flags = 0;
  details = '';
  bytesReceived = 0;
  bytesSent = 0;
  private serviceTimeMs = -1;
  private responseHeaders: FlatHeaders | null = null;
  private localBody = '';
  private transportFailure = '';
  attempts = 0;

  /** The engine side of this request; engines that implement DownstreamStream themselves pass none. */
  readonly ds: DownstreamStream;

  constructor(
    readonly hcm: HcmRuntime,
    ds?: DownstreamStream,
  ) {
    this.ds = ds ?? (this as unknown as DownstreamStream);
    const clock = hcm.services.clock;
    this.startMono = clock.now();
  }

  // ======================================================================== downstream events

  /** Runs the request path once the head is known. Safe to call before any body arrives. */
  start(): void {
    const hcm = this.hcm;
    const st = hcm.stats;
    st[HCM.downstream_rq_total]++;
    st[HCM.downstream_rq_active]++;
    if (this.protocol === 'HTTP/2') st[HCM.downstream_rq_http2_total]++;
    else st[HCM.downstream_rq_http1_total]++;

    if (this.protocol === 'HTTP/1.0' && !hcm.cfg.acceptHttp10) {
      this.localReply(426, '', 0, 'low_version');
      return;
    }
    if (this.authority === '') {
      this.localReply(400, '', 0, 'missing_host_header'); // Envoy: empty body, details missing_host_header
      return;
    }
    if (this.path === '' || (this.path.charCodeAt(0) !== 47 /* / */ && this.path !== '*')) {
      st[HCM.downstream_rq_non_relative_path]++;
      this.localReply(404, '', 0, 'absolute_path_rejected');
      return;
    }
    // Path normalisation (fragment, escaped slashes, normalize_path, merge_slashes) before any routing.
    if (!applyPathPolicy(this)) return;
    const cfg = hcm.cfg;
    if (cfg.stripAnyHostPort || cfg.stripMatchingHostPort) {
      this.authority = normalizeHost(this.authority, cfg.stripAnyHostPort, cfg.stripMatchingHostPort, hcm.listener.address.port);
    }
    this.mutateRequestHeaders();

    // envoy.filters.http.health_check: answers the checks load balancers send, failing them while
    // /healthcheck/fail is in effect (the server is draining).
    const hc = hcm.healthCheck;
    if (hc !== null && hc.matchers.every((m) => m.matches(this))) {
      st[HCM['health_check.request_total']]++;
      if (hcm.services.state.healthCheckFailed) {
        st[HCM['health_check.failed']]++;
        this.localReply(503, '', RF_LH, 'health_check_failed', false, undefined, false, ['x-envoy-immediate-health-check-fail', 'true']);
        return;
      }
      if (!hc.passThrough) {
        st[HCM['health_check.ok']]++;
        this.localReply(200, '', 0, 'health_check_ok');
        return;
      }
    }

    const route = hcm.routes.route(this);
    if (route === null) {
      st[HCM.no_route]++;
      this.localReply(404, '', RF_NR, 'route_not_found');
      return;
    }
    this.route = route;
    const action = route.config.action;
    if (action.type === 'direct_response') {
      st[HCM.rq_direct_response]++;
      this.localReply(action.status, action.body, 0, 'direct_response', true);
      return;
    }
    if (action.type === 'redirect') {
      st[HCM.rq_redirect]++;
      const location = redirectLocation(action, this.scheme, this.authority, this.path, route);
      this.localReply(action.responseCode, '', 0, 'redirect', true, location);
      return;
    }
    this.routeToCluster(action);
  }

  /** Request body bytes (copied by the engine if it must be). */
  onRequestData(chunk: Uint8Array, end: boolean): void {
    if (this.done) return;
    this.bytesReceived += chunk.length;
    if (end) this.requestComplete = true;
    if (this.upstream !== null) {
      if (this.retainBody) this.keep(chunk);
      if (!this.upstream.write(chunk, end) && !end) this.pauseDownstream();
    } else if (chunk.length > 0 || end) {
      this.keep(chunk);
      // Hold at most per_connection_buffer_limit_bytes while no upstream stream exists.
      if (this.bodyBytes > this.hcm.listener.perConnectionBufferLimitBytes && !this.retainBody) this.pauseDownstream();
    }
    if (end) this.onRequestComplete();
  }

  private keep(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    (this.body ??= []).push(chunk);
    this.bodyBytes += chunk.length;
    if (this.retainBody && this.bodyBytes > this.hcm.listener.perConnectionBufferLimitBytes) {
      // Too large to replay: this request will not be retried (Envoy: retry_or_shadow_abandoned).
      this.retainBody = false;
      if (this.cluster) this.cluster.stats[CLUSTER.retry_or_shadow_abandoned]++;
      if (this.upstream !== null) {
        this.body = null;
        this.bodyBytes = 0;
      }
    }
  }

  private pauseDownstream(): void {
    if (!this.paused) {
      this.paused = true;
      this.hcm.stats[HCM.downstream_flow_control_paused_reading_total]++;
      this.ds.pauseRequest();
    }
  }

  private resumeDownstream(): void {
    if (this.paused) {
      this.paused = false;
      this.hcm.stats[HCM.downstream_flow_control_resumed_reading_total]++;
      this.ds.resumeRequest();
    }
  }

  private onRequestComplete(): void {
    // Envoy's route timeout runs from the end of the request.
    if (this.cluster !== null && this.timer === null && this.timeoutMs > 0 && !this.done) {
      this.timer = this.hcm.services.timers.schedule(this.timeoutMs, this, T_GLOBAL);
    }
  }

  /** The client can take more response bytes. */
  onDownstreamWritable(): void {
    if (this.upstream !== null) this.upstream.resumeResponse();
  }

  /** The client went away (connection closed or stream reset) before the response finished. */
  onDownstreamAbort(): void {
    if (this.done) return;
    const st = this.hcm.stats;
    st[HCM.downstream_rq_rx_reset]++;
    this.flags |= RF_DC;
    // upstream_rq_cancelled is the pool's to count (Envoy: only a request still waiting for a connection).
    this.abandonUpstream();
    this.finish();
  }

  // ======================================================================== request processing

  /** Envoy's ConnectionManagerUtility::mutateRequestHeaders, for the options nuncio supports. */
  private mutateRequestHeaders(): void {
    const h = this.headers;
    const cfg = this.hcm.cfg;
    stripRequestHopByHop(h);
    const xff = hGet(h, 'x-forwarded-for');
    let clientIp = '';
    if (cfg.useRemoteAddress) {
      const peer = stripPort(this.remoteAddress);
      clientIp = peer;
      if (!cfg.skipXffAppend) {
        // As Envoy's ConnectionManagerUtility: a loopback peer is represented by this server's own address.
        const hop = isLoopback(peer) ? this.hcm.services.localIp : peer;
        hSet(h, 'x-forwarded-for', xff ? `${xff}, ${hop}` : hop);
      }
      this.internal = xff === undefined && this.hcm.internal.contains(peer);
      if (cfg.xffNumTrustedHops === 0) hSet(h, 'x-forwarded-proto', this.isTls ? 'https' : 'http');
    } else {
      if (xff !== undefined) {
        const parts = xff.split(',');
        const idx = parts.length - 1 - cfg.xffNumTrustedHops;
        clientIp = idx >= 0 ? parts[idx].trim() : '';
      }
      this.internal = clientIp !== '' && this.hcm.internal.contains(clientIp);
    }
    const xfp = hGet(h, 'x-forwarded-proto');
    if (xfp === undefined) {
      this.scheme = this.isTls ? 'https' : 'http';
      h.push('x-forwarded-proto', this.scheme);
    } else this.scheme = xfp;
    if (this.internal) {
      hSet(h, 'x-envoy-internal', 'true');
    } else {
      hRemoveAny(h, this.hcm.externalStrip);
      if (cfg.useRemoteAddress && clientIp !== '') hSet(h, 'x-envoy-external-address', clientIp);
    }
    let rid = hGet(h, 'x-request-id');
    if (cfg.generateRequestId && (rid === undefined || (cfg.useRemoteAddress && !this.internal && !cfg.preserveExternalRequestId))) {
      rid = this.hcm.services.uuid();
      hSet(h, 'x-request-id', rid);
    }
    this.requestId = rid ?? '';
  }

  private routeToCluster(action: RouteAction): void {
    const hcm = this.hcm;
    let name: string | null = action.cluster;
    if (action.weightedClusters !== null) {
      const total = action.weightedClusters.reduce((s, w) => s + w.weight, 0);
      const w = pickWeighted(action.weightedClusters, total, hcm.services.random());
      name = w.name;
      this.weighted = w;
    } else if (action.clusterHeader !== null) {
      name = hGet(this.headers, action.clusterHeader) ?? null;
    }
    const cluster = name === null ? undefined : hcm.services.cluster(name);
    if (cluster === undefined) {
      hcm.stats[HCM.no_cluster]++;
      this.localReply(action.clusterNotFoundResponseCode, '', RF_NC, 'cluster_not_found');
      return;
    }
    hcm.stats[HCM.rq_total]++;
    this.cluster = cluster;

    // Upstream request head.
    const h = this.headers;
    const route = this.route!;
    this.upstreamMethod = this.method;
    this.upstreamScheme = cluster.cfg.tls ? 'https' : 'http';
    const rewritten = rewritePath(route, this.path);
    if (rewritten !== null && rewritten !== this.path) {
      this.originalPath = this.path;
      hSet(h, 'x-envoy-original-path', this.path);
      this.upstreamPath = rewritten;
    } else {
      this.upstreamPath = this.path;
    }
    let authority = this.authority;
    if (action.hostRewriteLiteral !== null) authority = action.hostRewriteLiteral;
    else if (action.hostRewriteHeader !== null) {
      const v = hGet(h, action.hostRewriteHeader);
      if (v) authority = v;
    }
    // auto_host_rewrite is applied once the host is known (below).

    // Timeouts: route timeout, overridable by x-envoy-upstream-rq-timeout-ms from internal callers.
    // (External requests had every x-envoy control header stripped already.)
    let timeout = action.timeoutMs;
    let perTry = action.retryPolicy?.perTryTimeoutMs ?? route.vhost.config.retryPolicy?.perTryTimeoutMs ?? 0;
    if (this.internal) {
      // respect_expected_rq_timeout: an egress Envoy's expected timeout, when sent, is the route timeout.
      const e = hcm.cfg.respectExpectedRqTimeout === true ? hGet(h, 'x-envoy-expected-rq-timeout-ms') : undefined;
      const t = e === undefined ? hGet(h, 'x-envoy-upstream-rq-timeout-ms') : undefined;
      if (e !== undefined && /^\d+$/.test(e)) timeout = Number(e);
      if (t !== undefined && /^\d+$/.test(t)) timeout = Number(t);
      const pt = hGet(h, 'x-envoy-upstream-rq-per-try-timeout-ms');
      if (pt !== undefined && /^\d+$/.test(pt)) perTry = Number(pt);
      if (t !== undefined) hRemove(h, 'x-envoy-upstream-rq-timeout-ms');
      if (pt !== undefined) hRemove(h, 'x-envoy-upstream-rq-per-try-timeout-ms');
    }
    this.timeoutMs = timeout;
    const expected = perTry > 0 && (timeout === 0 || perTry < timeout) ? perTry : timeout;
    if (!hcm.suppressEnvoyHeaders && expected > 0) hSet(h, 'x-envoy-expected-rq-timeout-ms', msText(expected));

    // Header mutations, most specific first: weighted cluster, route, virtual host, route config.
    if (this.weighted !== null) applyMutations(h, hcm.requestMutations(this.weighted), this);
    applyMutations(h, hcm.requestMutations(route.config), this);
    applyMutations(h, hcm.requestMutations(route.vhost.config), this);
    applyMutations(h, hcm.requestMutations(hcm.cfg.routeConfig), this);

    this.retry = RetryState.create(action.retryPolicy ?? route.vhost.config.retryPolicy, h, this.internal, perTry);
    if (this.internal) hRemoveAny(h, RETRY_HEADERS);
    this.retainBody = this.retry !== null;

    this.upstreamAuthority = authority;
    this.upstreamHeaders = h;
    if (this.requestContentLength === 0 || this.requestComplete) this.onRequestComplete();
    this.attempt(action);
  }

  /** One attempt: choose a host and hand the request to its pool. */
  private attempt(action: RouteAction): void {
    const cluster = this.cluster!;
    const host = cluster.chooseHost();
    if (host === null) {
      cluster.stats[CLUSTER.upstream_cx_none_healthy]++;
      this.upstreamFailureReply(503, 'no healthy upstream', RF_UH, 'no_healthy_upstream');
      return;
    }
    this.host = host;
    if (action.autoHostRewrite && host.hostname !== '') this.upstreamAuthority = host.hostname;
    this.attempts++;
    if (this.route!.vhost.config.includeRequestAttemptCount === true) hSet(this.upstreamHeaders, 'x-envoy-attempt-count', msText(this.attempts));
    // The first attempt starts in the same turn as the request: its start time is the request's.
    this.upstreamStartMono = this.attempts === 1 ? this.startMono : this.hcm.services.clock.now();
    host.active++;
    const pool = cluster.pool(host);
    this.pool = pool;
    pool.newStream(this);
  }

  // ======================================================================== upstream callbacks

  onUpstreamStream(stream: UpstreamStream, _connectMs: number): void {
    if (this.done) {
      stream.reset();
      return;
    }
    this.upstream = stream;
    if (this.retry !== null && this.retry.perTryTimeoutMs > 0) {
      this.tryTimer = this.hcm.services.timers.schedule(this.retry.perTryTimeoutMs, this, T_PER_TRY);
    }
    const body = this.body;
    if (body !== null) {
      if (!this.retainBody) {
        this.body = null;
        this.bodyBytes = 0;
      }
      const n = body.length;
      let ok = true;
      for (let i = 0; i < n; i++) ok = stream.write(body[i], this.requestComplete && i === n - 1);
      if (n === 0 && this.requestComplete && this.requestContentLength !== 0) stream.write(EMPTY_BODY, true);
      if (ok) this.resumeDownstream();
      else if (!this.requestComplete) this.pauseDownstream();
    } else if (this.requestComplete && this.requestContentLength !== 0) {
      // Body already ended (e.g. empty chunked body) but the pool did not end the stream with the head.
      stream.write(EMPTY_BODY, true);
    } else if (!this.requestComplete) {
      this.resumeDownstream();
    }
  }

  onUpstreamWritable(): void {
    this.resumeDownstream();
  }

  onUpstreamHeaders(status: number, headers: FlatHeaders, contentLength: number, endStream: boolean): void {
    if (this.done) return;
    const now = this.hcm.services.clock.now();
    // Retry on status (5xx, gateway-error, retriable-4xx, retriable-status-codes) before forwarding.
    if (this.retry !== null && this.retry.shouldRetryStatus(status, headers) && this.tryRetry(false)) return;
    // A retried attempt answered and is not retried again: its slot of the retry breaker is free.
    this.releaseRetry();
    this.clearTryTimer();
    this.upstreamResponded = true;
    const hcm = this.hcm;
    this.outcome(status >= 500 ? (status === 502 || status === 503 || status === 504 ? 2 : 1) : 0);
    this.serviceTimeMs = Math.round(now - this.upstreamStartMono);
    stripResponseHopByHop(headers);
    this.processResponseHeaders(headers, true);
    this.responseCode = status;
    this.responseHeaders = headers;
    this.responseStarted = true;
    this.details = 'via_upstream';
    if (endStream) {
      this.ds.respondHead(status, headers, contentLength < 0 ? 0 : contentLength, true);
      this.onUpstreamComplete();
    } else {
      this.ds.respondHead(status, headers, contentLength, false);
    }
    void hcm;
  }

  onUpstreamData(chunk: Uint8Array, endStream: boolean): void {
    if (this.done) return;
    this.bytesSent += chunk.length;
    const ok = this.ds.respondData(chunk, endStream);
    if (endStream) this.onUpstreamComplete();
    else if (!ok && this.upstream !== null) this.upstream.pauseResponse();
  }

  onUpstreamTrailers(trailers: FlatHeaders): void {
    if (this.done) return;
    this.ds.respondEnd(trailers);
    this.onUpstreamComplete();
  }

  onUpstreamError(reason: ResetReason, transport: string): void {
    if (this.done) return;
    this.upstream = null;
    this.transportFailure = transport;
    const cluster = this.cluster!;
    if (this.host !== null) this.host.active--;
    if (reason === ResetReason.Overflow) {
      this.upstreamFailureReply(503, 'upstream connect error or disconnect/reset before headers. reset reason: overflow', RF_UO, 'overflow', true);
      return;
    }
    if (this.responseStarted) {
      // Too late for a local reply: reset the client's stream.
      this.flags |= reason === ResetReason.ConnectionTermination || reason === ResetReason.RemoteReset ? RF_UR : RF_UC;
      cluster.stats[CLUSTER.upstream_rq_rx_reset]++;
      this.hcm.stats[HCM.rq_reset_after_downstream_response_started]++;
      this.hcm.stats[HCM.downstream_rq_tx_reset]++;
      this.ds.reset();
      this.finish();
      return;
    }
    if (reason === ResetReason.RemoteReset || reason === ResetReason.ConnectionTermination) cluster.stats[CLUSTER.upstream_rq_rx_reset]++;
    // Local-origin failures count as gateway errors for outlier detection (split_external_local_origin_errors off).
    this.outcome(2);
    if (this.retry !== null && this.retry.shouldRetryReset(reason) && this.tryRetry(true)) return;
    let flag = RF_UF;
    if (reason === ResetReason.ConnectionTermination || reason === ResetReason.RemoteReset || reason === ResetReason.RemoteRefusedStream) flag = RF_UC;
    if (reason === ResetReason.LocalReset) flag = RF_LR;
    if (reason === ResetReason.ProtocolError) flag = RF_UPE;
    if (this.retry !== null && this.retry.exhausted) flag |= RF_URX;
    const status = reason === ResetReason.ProtocolError ? 502 : 503;
    const prefix = this.attempts > 1 ? 'upstream connect error or disconnect/reset before headers. retried and the latest reset reason: ' : 'upstream connect error or disconnect/reset before headers. reset reason: ';
    const text = transport ? `${prefix}${RESET_REASON_TEXT[reason]}, transport failure reason: ${transport}` : `${prefix}${RESET_REASON_TEXT[reason]}`;
    this.upstreamFailureReply(status, text, flag, 'upstream_reset_before_response_started');
  }

  private onUpstreamComplete(): void {
    this.upstream = null;
    if (this.host !== null) {
      this.host.active--;
      this.hcm.services.hostStats.inc(this.host.statIndex, this.responseCode >= 500 ? HOST.rq_error : HOST.rq_success);
    }
    this.chargeCluster(this.responseCode);
    if (this.retry !== null && this.attempts > 1) this.cluster!.stats[CLUSTER.upstream_rq_retry_success]++;
    this.finish();
  }

  /** Tells outlier detection how the current host did (0 success, 1 5xx, 2 gateway/local failure). */
  private outcome(kind: number): void {
    const host = this.host;
    const cluster = this.cluster;
    if (host === null || cluster === null || cluster.cfg.outlierDetection === null) return;
    cluster.reportOutcome(host, kind, this.hcm.services.outlierHit);
  }

  // ======================================================================== timers

  onTimer(kind: number): void {
    if (this.done) return;
    if (kind === T_GLOBAL) {
      this.timer = null;
      this.onGlobalTimeout();
    } else if (kind === T_PER_TRY) {
      this.tryTimer = null;
      this.onPerTryTimeout();
    } else if (kind === T_RETRY_BACKOFF) {
      this.timer2 = null;
      if (this.cluster !== null && this.route !== null) this.attempt(this.route.config.action as RouteAction);
    }
  }

  private timer2: TimerHandle | null = null;

  private onGlobalTimeout(): void {
    const cluster = this.cluster!;
    cluster.stats[CLUSTER.upstream_rq_timeout]++;
    if (!this.upstreamResponded) this.outcome(2);
    if (this.host !== null) this.hcm.services.hostStats.inc(this.host.statIndex, HOST.rq_timeout);
    this.abandonUpstream();
    if (this.responseStarted) {
      this.flags |= RF_UT;
      this.hcm.stats[HCM.downstream_rq_tx_reset]++;
      this.ds.reset();
      this.finish();
      return;
    }
    this.upstreamFailureReply(504, 'upstream request timeout', RF_UT, 'upstream_response_timeout');
  }

  private onPerTryTimeout(): void {
    const cluster = this.cluster!;
    cluster.stats[CLUSTER.upstream_rq_per_try_timeout]++;
    this.outcome(2);
    if (this.host !== null) this.hcm.services.hostStats.inc(this.host.statIndex, HOST.rq_timeout);
    this.abandonUpstream();
    if (this.retry !== null && this.retry.shouldRetryTimeout() && this.tryRetry(true)) return;
    this.upstreamFailureReply(504, 'upstream request timeout', RF_UT, 'upstream_per_try_timeout');
  }

  private clearTryTimer(): void {
    if (this.tryTimer !== null) {
      this.tryTimer.cancel();
      this.tryTimer = null;
    }
  }

  // ======================================================================== retries

  /**
   * Starts another attempt if the policy and the cluster's retry circuit breaker (max_retries, or the
   * retry budget, over all workers) allow; true if one was scheduled. Over the breaker's limit the
   * caller forwards the response or failure it has, as Envoy does.
   */
  private tryRetry(abandoned: boolean): boolean {
    const r = this.retry!;
    const cluster = this.cluster!;
    // Envoy's shouldRetry first frees the slot the previous retry held (resetRetry), then decides.
    this.releaseRetry();
    if (!this.retainBody && this.bytesReceived > 0) return false;
    if (r.remaining <= 0) {
      cluster.stats[CLUSTER.upstream_rq_retry_limit_exceeded]++;
      r.exhausted = true;
      return false;
    }
    if (!cluster.canRetry()) {
      cluster.stats[CLUSTER.upstream_rq_retry_overflow]++;
      return false;
    }
    if (!abandoned) this.abandonUpstream();
    this.clearTryTimer();
    r.remaining--;
    cluster.stats[CLUSTER.upstream_rq_retry]++;
    cluster.stats[CLUSTER.upstream_rq_retry_backoff_exponential]++;
    cluster.retryStarted();
    r.active = true;
    const delay = r.nextBackOff(this.hcm.services.random());
    this.timer2 = this.hcm.services.timers.schedule(delay, this, T_RETRY_BACKOFF);
    return true;
  }

  /** Gives back this request's slot of the retry circuit breaker, if it holds one. */
  private releaseRetry(): void {
    const r = this.retry;
    if (r !== null && r.active) {
      r.active = false;
      this.cluster!.retryEnded();
    }
  }

  // ======================================================================== replies

  /** Cancels the current upstream attempt, if any. */
  private abandonUpstream(): void {
    this.clearTryTimer();
    if (this.upstream !== null) {
      const u = this.upstream;
      this.upstream = null;
      if (this.host !== null) this.host.active--;
      u.reset();
    } else if (this.pool !== null && this.pool.cancelPending(this)) {
      if (this.host !== null) this.host.active--;
    }
    this.pool = null;
  }

  private upstreamFailureReply(status: number, body: string, flags: number, details: string, overloaded = false): void {
    this.chargeCluster(status);
    this.localReply(status, body, flags, details, true, undefined, overloaded);
  }

  /** Counts a response against the cluster (router stats; also for router-generated local replies). */
  private chargeCluster(status: number): void {
    const c = this.cluster;
    if (c === null) return;
    const s = c.stats;
    s[CLUSTER.upstream_rq_completed]++;
    const cls = (status / 100) | 0;
    const inRange = status >= CODE_MIN && status <= CODE_MAX;
    if (cls >= 1 && cls <= 5) s[CLUSTER.upstream_rq_1xx + cls - 1]++;
    if (inRange) s[CODE_BASE_PLAIN + status - CODE_MIN]++;
    const elapsed = this.hcm.services.clock.now() - this.upstreamStartMono;
    c.hist.record(CLUSTER_H.upstream_rq_time, elapsed);
    if (this.internal) {
      s[CLUSTER['internal.upstream_rq_completed']]++;
      if (cls >= 1 && cls <= 5) s[CLUSTER['internal.upstream_rq_1xx'] + cls - 1]++;
      if (inRange) s[CODE_BASE_INTERNAL + status - CODE_MIN]++;
      c.hist.record(CLUSTER_H['internal.upstream_rq_time'], elapsed);
    } else {
      s[CLUSTER['external.upstream_rq_completed']]++;
      if (cls >= 1 && cls <= 5) s[CLUSTER['external.upstream_rq_1xx'] + cls - 1]++;
      if (inRange) s[CODE_BASE_EXTERNAL + status - CODE_MIN]++;
      c.hist.record(CLUSTER_H['external.upstream_rq_time'], elapsed);
    }
    this.releaseRetry();
  }

  /**
   * Envoy's sendLocalReply: a generated response (text/plain when there is a body). If the response has
   * already started, the stream is reset instead.
   */
  localReply(
    status: number,
    body: string,
    flags: number,
    details: string,
    routeHeaders = false,
    location?: string,
    overloaded = false,
    extra?: FlatHeaders,
  ): void {
    if (this.done) return;
    this.flags |= flags;
    this.details = details;
    if (this.responseStarted) {
      this.hcm.stats[HCM.downstream_rq_tx_reset]++;
      this.ds.reset();
      this.finish();
      return;
    }
    const h: FlatHeaders = [];
    if (location !== undefined) h.push('location', location);
    const bytes = body === '' ? EMPTY_BODY : Buffer.from(body, 'utf8');
    if (bytes.length > 0) h.push('content-type', TEXT_PLAIN);
    if (overloaded) h.push('x-envoy-overloaded', 'true');
    if (extra) for (let i = 0; i < extra.length; i++) h.push(extra[i]);
    this.processResponseHeaders(h, routeHeaders);
    this.responseCode = status;
    this.responseHeaders = h;
    this.localBody = body;
    this.responseStarted = true;
    this.bytesSent += bytes.length;
    this.abandonUpstream();
    if (bytes.length === 0 || this.method === 'HEAD') {
      this.ds.respondHead(status, h, bytes.length, true);
    } else {
      this.ds.respondHead(status, h, bytes.length, false);
      this.ds.respondData(bytes, true);
    }
    this.finish();
  }

  /** Response headers the connection manager and router add or change. */
  private processResponseHeaders(h: FlatHeaders, routeHeaders: boolean): void {
    const hcm = this.hcm;
    switch (hcm.cfg.serverHeaderTransformation) {
      case 'OVERWRITE':
        hSet(h, 'server', hcm.serverName);
        break;
      case 'APPEND_IF_ABSENT':
        if (hGet(h, 'server') === undefined) h.push('server', hcm.serverName);
        break;
      default:
        break;
    }
    if (hGet(h, 'date') === undefined) h.push('date', hcm.services.clock.httpDate());
    if (this.serviceTimeMs >= 0 && !hcm.suppressEnvoyHeaders) hSet(h, 'x-envoy-upstream-service-time', msText(this.serviceTimeMs));
    if (routeHeaders && this.route !== null) {
      const route = this.route;
      if (this.weighted) applyMutations(h, hcm.responseMutations(this.weighted), this);
      applyMutations(h, hcm.responseMutations(route.config), this);
      applyMutations(h, hcm.responseMutations(route.vhost.config), this);
    }
    if (this.route !== null || routeHeaders) applyMutations(h, hcm.responseMutations(hcm.cfg.routeConfig), this);
    // Once the router has a cluster, every response (local replies too) counts at least the first attempt.
    if (this.cluster !== null && this.route!.vhost.config.includeAttemptCountInResponse === true) {
      hSet(h, 'x-envoy-attempt-count', msText(this.attempts > 0 ? this.attempts : 1));
    }
    if (hcm.cfg.alwaysSetRequestIdInResponse && this.requestId !== '') hSet(h, 'x-request-id', this.requestId);
    // Draining (Envoy's drain close): HTTP/1.1 answers with connection: close, HTTP/2 sends GOAWAY.
    if (hcm.services.state.draining) {
      if (this.ds.drainClose !== undefined) this.ds.drainClose();
      else this.ds.closeAfterResponse();
    }
  }

  // ======================================================================== completion

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) {
      this.timer.cancel();
      this.timer = null;
    }
    if (this.timer2 !== null) {
      this.timer2.cancel();
      this.timer2 = null;
    }
    this.clearTryTimer();
    if (this.paused) this.resumeDownstream();
    const hcm = this.hcm;
    const st = hcm.stats;
    st[HCM.downstream_rq_active]--;
    if (this.responseCode > 0) {
      st[HCM.downstream_rq_completed]++;
      const cls = (this.responseCode / 100) | 0;
      if (cls >= 1 && cls <= 5) st[HCM.downstream_rq_1xx + cls - 1]++;
    }
    const now = hcm.services.clock.now();
    hcm.hist.record(HCM_H.downstream_rq_time, now - this.startMono);
    this.releaseRetry();
    if (hcm.accessLoggers.length > 0) this.writeAccessLogs(now);
  }

  private writeAccessLogs(now: number): void {
    const r: AccessLogRecord = createAccessLogRecord();
    r.startTimeMs = this.startWall;
    r.method = this.method;
    r.path = this.upstreamPath || this.path;
    r.originalPath = this.originalPath;
    r.authority = this.authority;
    r.scheme = this.scheme;
    r.protocol = this.protocol;
    r.upstreamProtocol = this.cluster === null ? '' : this.cluster.cfg.protocol === 'http2' ? 'HTTP/2' : 'HTTP/1.1';
    r.responseCode = this.responseCode;
    r.responseCodeDetails = this.details;
    r.responseFlags = this.flags;
    r.bytesReceived = this.bytesReceived;
    r.bytesSent = this.bytesSent;
    r.durationMs = Math.round(now - this.startMono);
    r.upstreamServiceTimeMs = this.serviceTimeMs;
    r.upstreamHost = this.host?.key ?? '';
    r.upstreamHostname = this.host?.hostname ?? '';
    r.upstreamCluster = this.cluster?.name ?? '';
    r.upstreamTransportFailureReason = this.transportFailure;
    r.upstreamRequestAttemptCount = this.attempts;
    r.downstreamRemoteAddress = this.remoteAddress;
    r.downstreamLocalAddress = this.localAddress;
    r.routeName = this.route?.config.name ?? '';
    r.requestHeaders = this.headers;
    r.responseHeaders = this.responseHeaders ?? [];
    r.requestId = this.requestId;
    r.connectionId = this.connectionId;
    r.localReplyBody = this.localBody;
    for (const l of this.hcm.accessLoggers) l.log(r);
  }
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x (Envoy's Network::Utility::isLoopbackAddress). */
function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

function stripPort(a: string): string {
  if (a.startsWith('[')) {
    const e = a.indexOf(']');
    return e > 0 ? a.slice(1, e) : a;
  }
  const c = a.lastIndexOf(':');
  return c > 0 && a.indexOf(':') === c ? a.slice(0, c) : a;
}
