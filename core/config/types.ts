// The frozen configuration snapshot: what the validated Envoy v3 bootstrap turns into.
// Everything here is plain data (structured-cloneable, no functions, no RegExp) so the admin
// thread can post it to workers; matchers and stat slots are compiled from it on each thread.
// Times are milliseconds; 0 means "disabled" where Envoy treats a zero duration so.

export type Codec = 'AUTO' | 'HTTP1' | 'HTTP2';
export type ClusterType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS';
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM';
export type DnsLookupFamily = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';
export type UpstreamProtocol = 'http1' | 'http2';

export interface Snapshot {
  readonly node: NodeInfo;
  readonly admin: AdminConfig | null;
  readonly listeners: readonly ListenerConfig[];
  readonly clusters: readonly ClusterConfig[];
  readonly runtime: RuntimeConfig;
  readonly statsFlushIntervalMs: number;
  /** The bootstrap as parsed (after CLI overrides), kept for /config_dump. */
  readonly bootstrap: unknown;
}

export interface NodeInfo {
  readonly id: string;
  readonly cluster: string;
  readonly locality: { readonly region: string; readonly zone: string; readonly subZone: string };
}

export interface SocketAddress {
  readonly address: string;
  readonly port: number;
}

export interface AccessLogConfig {
  /** File path; '/dev/stdout' and '/dev/stderr' are honoured. */
  readonly path: string;
  /** Text format with Envoy command operators, or null for a JSON format. */
  readonly textFormat: string | null;
  /** json_format: key -> format string (values are strings unless typed). */
  readonly jsonFormat: Readonly<Record<string, unknown>> | null;
  readonly typedJson: boolean;
  readonly omitEmptyValues: boolean;
}

export interface AdminConfig {
  readonly address: SocketAddress;
  readonly accessLogs: readonly AccessLogConfig[];
}

export interface RuntimeLayer {
  readonly name: string;
  readonly kind: 'static' | 'disk' | 'admin';
  /** Flattened `a.b.c` -> value for static layers; for disk layers the directory. */
  readonly values: Readonly<Record<string, string | number | boolean>>;
  readonly directory?: string;
}

export interface RuntimeConfig {
  readonly layers: readonly RuntimeLayer[];
}

export interface DataSource {
  readonly kind: 'filename' | 'inline_string' | 'inline_bytes' | 'environment_variable';
  /** Path, inline text, base64 text, or variable name, as given. */
  readonly value: string;
}

export interface TlsCertificate {
  readonly certificateChain: DataSource;
  readonly privateKey: DataSource;
  readonly password: DataSource | null;
}

export interface TlsParams {
  readonly minVersion: 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3' | 'AUTO';
  readonly maxVersion: 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3' | 'AUTO';
  readonly cipherSuites: readonly string[];
  readonly ecdhCurves: readonly string[];
}

export interface ValidationContext {
  readonly trustedCa: DataSource | null;
  readonly matchSubjectAltNames: readonly StringMatch[];
}

export interface CommonTlsContext {
  readonly tlsCertificates: readonly TlsCertificate[];
  readonly validationContext: ValidationContext | null;
  readonly alpnProtocols: readonly string[];
  readonly params: TlsParams;
}

export interface DownstreamTlsContext {
  readonly common: CommonTlsContext;
  readonly requireClientCertificate: boolean;
  readonly requireSni: boolean;
}

export interface UpstreamTlsContext {
  readonly common: CommonTlsContext;
  readonly sni: string;
}

export interface FilterChain {
  readonly name: string;
  readonly serverNames: readonly string[];
  readonly tls: DownstreamTlsContext | null;
  readonly hcm: HcmConfig;
}

export interface ListenerConfig {
  readonly name: string;
  readonly address: SocketAddress;
  /** `listener.<statPrefix>.` — the listener stat_prefix, else address with ':' -> '_'. */
  readonly statPrefix: string;
  readonly filterChains: readonly FilterChain[];
  readonly perConnectionBufferLimitBytes: number;
  /** ignore_global_conn_limit: exempt from overload.global_downstream_max_connections (absent = false). */
  readonly ignoreGlobalConnLimit?: boolean;
}

export interface Http2Options {
  readonly maxConcurrentStreams: number;
  readonly initialStreamWindowSize: number;
  readonly initialConnectionWindowSize: number;
  readonly maxOutboundFrames: number;
  readonly maxOutboundControlFrames: number;
  readonly maxConsecutiveInboundFramesWithEmptyPayload: number;
  readonly maxInboundPriorityFramesPerStream: number;
  readonly maxInboundWindowUpdateFramesPerDataFrameSent: number;
}

export type HeadersWithUnderscoresAction = 'ALLOW' | 'REJECT_REQUEST' | 'DROP_HEADER';
export type EscapedSlashesAction =
  | 'IMPLEMENTATION_SPECIFIC_DEFAULT'
  | 'KEEP_UNCHANGED'
  | 'REJECT_REQUEST'
  | 'UNESCAPE_AND_REDIRECT'
  | 'UNESCAPE_AND_FORWARD';
export type ServerHeaderTransformation = 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';

export interface HealthCheckFilterConfig {
  readonly passThroughMode: boolean;
  readonly headers: readonly HeaderMatch[];
}

export interface HcmConfig {
  readonly codec: Codec;
  readonly statPrefix: string;
  readonly routeConfig: RouteConfig;
  readonly serverName: string;
  readonly serverHeaderTransformation: ServerHeaderTransformation;
  readonly useRemoteAddress: boolean;
  readonly xffNumTrustedHops: number;
  readonly skipXffAppend: boolean;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly idleTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly requestHeadersTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly maxRequestHeadersKb: number;
  readonly maxHeadersCount: number;
  readonly maxConnectionDurationMs: number;
  readonly maxStreamDurationMs: number;
  readonly headersWithUnderscoresAction: HeadersWithUnderscoresAction;
  readonly normalizePath: boolean;
  readonly mergeSlashes: boolean;
  readonly pathWithEscapedSlashesAction: EscapedSlashesAction;
  readonly stripMatchingHostPort: boolean;
  readonly stripAnyHostPort: boolean;
  readonly acceptHttp10: boolean;
  readonly http2: Http2Options;
  readonly accessLogs: readonly AccessLogConfig[];
  /** envoy.filters.http.health_check, if present in http_filters. */
  readonly healthCheck: HealthCheckFilterConfig | null;
  /** Envoy's internal_address_config; empty = nothing is internal by address (Envoy >= 1.33). */
  readonly internalCidrs: readonly string[];
  /** Router filter: suppress_envoy_headers. */
  readonly suppressEnvoyHeaders: boolean;
  /** always_set_request_id_in_response. */
  readonly alwaysSetRequestIdInResponse: boolean;
  /** Router filter: respect_expected_rq_timeout (absent = false). */
  readonly respectExpectedRqTimeout?: boolean;
}

export interface HeaderValueOption {
  readonly key: string; // lower-cased
  readonly value: string;
  readonly appendAction: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
  readonly keepEmptyValue: boolean;
}

export interface HeaderMutations {
  readonly requestHeadersToAdd: readonly HeaderValueOption[];
  readonly requestHeadersToRemove: readonly string[];
  readonly responseHeadersToAdd: readonly HeaderValueOption[];
  readonly responseHeadersToRemove: readonly string[];
}

export interface RouteConfig extends HeaderMutations {
  readonly name: string;
  readonly virtualHosts: readonly VirtualHost[];
  readonly internalOnlyHeaders: readonly string[];
  readonly validateClusters: boolean;
  readonly ignorePortInHostMatching: boolean;
  readonly maxDirectResponseBodySizeBytes: number;
}

export interface VirtualHost extends HeaderMutations {
  readonly name: string;
  readonly domains: readonly string[]; // lower-cased
  readonly routes: readonly Route[];
  readonly requireTls: 'NONE' | 'EXTERNAL_ONLY' | 'ALL';
  readonly retryPolicy: RetryPolicy | null;
  /** include_request_attempt_count: x-envoy-attempt-count on each upstream attempt (absent = false). */
  readonly includeRequestAttemptCount?: boolean;
  /** include_attempt_count_in_response (absent = false). */
  readonly includeAttemptCountInResponse?: boolean;
}

export interface StringMatch {
  readonly kind: 'exact' | 'prefix' | 'suffix' | 'contains' | 'regex';
  readonly value: string;
  readonly ignoreCase: boolean;
}

export interface HeaderMatch {
  readonly name: string; // lower-cased
  /** 'present' (present_match or no matcher), 'string', or 'range' [start, end). */
  readonly kind: 'present' | 'string' | 'range';
  readonly presentValue: boolean;
  readonly string: StringMatch | null;
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly invert: boolean;
  readonly treatMissingAsEmpty: boolean;
}

export interface QueryParameterMatch {
  readonly name: string;
  readonly kind: 'present' | 'string';
  readonly string: StringMatch | null;
}

export interface RouteMatch {
  readonly kind: 'prefix' | 'path' | 'regex' | 'path_separated_prefix';
  readonly value: string;
  readonly caseSensitive: boolean;
  readonly headers: readonly HeaderMatch[];
  readonly queryParameters: readonly QueryParameterMatch[];
  /** Only match requests over TLS (grpc/tls_context match) — null = any. */
  readonly tlsPresented: boolean | null;
}

export interface RetryPolicy {
  readonly retryOn: readonly string[];
  readonly numRetries: number;
  readonly perTryTimeoutMs: number;
  readonly perTryIdleTimeoutMs: number;
  readonly retriableStatusCodes: readonly number[];
  readonly backOffBaseMs: number;
  readonly backOffMaxMs: number;
  readonly hostSelectionRetryMaxAttempts: number;
}

export interface WeightedClusterEntry extends HeaderMutations {
  readonly name: string;
  readonly weight: number;
}

export interface RouteAction {
  readonly type: 'route';
  readonly cluster: string | null;
  readonly clusterHeader: string | null; // lower-cased
  readonly weightedClusters: readonly WeightedClusterEntry[] | null;
  readonly clusterNotFoundResponseCode: number;
  readonly prefixRewrite: string | null;
  readonly regexRewrite: { readonly pattern: string; readonly substitution: string } | null;
  readonly pathRewrite: string | null;
  readonly hostRewriteLiteral: string | null;
  readonly autoHostRewrite: boolean;
  readonly hostRewriteHeader: string | null;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly retryPolicy: RetryPolicy | null;
}

export interface RedirectAction {
  readonly type: 'redirect';
  readonly scheme: string | null; // 'https' for https_redirect
  readonly host: string | null;
  readonly port: number;
  readonly path: string | null;
  readonly prefixRewrite: string | null;
  readonly regexRewrite: { readonly pattern: string; readonly substitution: string } | null;
  readonly responseCode: number;
  readonly stripQuery: boolean;
}

export interface DirectResponseAction {
  readonly type: 'direct_response';
  readonly status: number;
  /** Resolved body text (filename/inline resolved by the loader), '' for none. */
  readonly body: string;
}

export interface Route extends HeaderMutations {
  readonly name: string;
  readonly match: RouteMatch;
  readonly action: RouteAction | RedirectAction | DirectResponseAction;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  readonly weight: number;
  readonly priority: number;
  readonly locality: { readonly region: string; readonly zone: string; readonly subZone: string };
}

export interface CircuitBreakerThresholds {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  readonly retryBudget: { readonly budgetPercent: number; readonly minRetryConcurrency: number } | null;
}

export interface HealthCheckConfig {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly intervalJitterMs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly noTrafficIntervalMs: number;
  readonly unhealthyIntervalMs: number;
  readonly healthyEdgeIntervalMs: number;
  readonly unhealthyEdgeIntervalMs: number;
  readonly reuseConnection: boolean;
  readonly http: {
    readonly path: string;
    readonly host: string;
    /** [start, end) ranges; default [[200, 201]]. */
    readonly expectedStatuses: readonly (readonly [number, number])[];
    readonly requestHeadersToAdd: readonly HeaderValueOption[];
    readonly requestHeadersToRemove: readonly string[];
    readonly codecClientType: 'HTTP1' | 'HTTP2';
  };
}

export interface OutlierDetectionConfig {
  readonly consecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly consecutiveLocalOriginFailure: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
  readonly enforcingConsecutive5xx: number;
  readonly enforcingConsecutiveGatewayFailure: number;
  readonly splitExternalLocalOriginErrors: boolean;
}

export interface ClusterConfig {
  readonly name: string;
  readonly altStatName: string;
  readonly type: ClusterType;
  readonly connectTimeoutMs: number;
  readonly lbPolicy: LbPolicy;
  readonly leastRequestChoiceCount: number;
  readonly endpoints: readonly Endpoint[];
  readonly dnsRefreshRateMs: number;
  readonly dnsFailureRefreshRateMs: number;
  readonly respectDnsTtl: boolean;
  readonly dnsLookupFamily: DnsLookupFamily;
  /** Resolver addresses from dns_resolvers / typed_dns_resolver_config; empty = system resolver. */
  readonly dnsResolvers: readonly SocketAddress[];
  readonly protocol: UpstreamProtocol;
  readonly http2: Http2Options;
  readonly upstreamIdleTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly perConnectionBufferLimitBytes: number;
  readonly circuitBreakers: { readonly default: CircuitBreakerThresholds; readonly high: CircuitBreakerThresholds };
  readonly healthChecks: readonly HealthCheckConfig[];
  readonly outlierDetection: OutlierDetectionConfig | null;
  readonly healthyPanicThresholdPercent: number;
  readonly tls: UpstreamTlsContext | null;
}
