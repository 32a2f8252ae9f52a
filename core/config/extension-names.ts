// Envoy extension names the loader recognises when a filter has no typed_config: the ones nuncio
// implements (with their pre-1.14 legacy names), and real Envoy filters it does not, so those are
// refused by name instead of being reported as unknown.

export const ROUTER_NAMES: ReadonlySet<string> = new Set(['envoy.filters.http.router', 'envoy.router']);
export const HEALTH_CHECK_NAMES: ReadonlySet<string> = new Set(['envoy.filters.http.health_check', 'envoy.health_check']);
export const HCM_NAMES: ReadonlySet<string> = new Set([
  'envoy.filters.network.http_connection_manager',
  'envoy.http_connection_manager',
]);
export const TLS_INSPECTOR_NAMES: ReadonlySet<string> = new Set([
  'envoy.filters.listener.tls_inspector',
  'envoy.listener.tls_inspector',
]);

const HTTP_FILTERS = [
  'adaptive_concurrency', 'admission_control', 'alternate_protocols_cache', 'api_key_auth', 'aws_lambda',
  'aws_request_signing', 'bandwidth_limit', 'basic_auth', 'buffer', 'cache', 'cdn_loop', 'composite',
  'compressor', 'connect_grpc_bridge', 'cors', 'credential_injector', 'csrf', 'custom_response',
  'decompressor', 'dynamic_forward_proxy', 'ext_authz', 'ext_proc', 'fault', 'file_system_buffer', 'gcp_authn',
  'geoip', 'grpc_field_extraction', 'grpc_http1_bridge', 'grpc_http1_reverse_bridge', 'grpc_json_transcoder',
  'grpc_stats', 'grpc_web', 'header_mutation', 'header_to_metadata', 'ip_tagging', 'json_to_metadata',
  'jwt_authn', 'kill_request', 'local_ratelimit', 'lua', 'oauth2', 'on_demand', 'original_src',
  'rate_limit_quota', 'ratelimit', 'rbac', 'set_filter_state', 'set_metadata', 'stateful_session', 'tap',
  'thrift_to_metadata', 'wasm',
];
const LEGACY_HTTP_FILTERS = [
  'envoy.buffer', 'envoy.cors', 'envoy.csrf', 'envoy.ext_authz', 'envoy.fault', 'envoy.grpc_http1_bridge',
  'envoy.grpc_json_transcoder', 'envoy.grpc_web', 'envoy.gzip', 'envoy.ip_tagging', 'envoy.lua',
  'envoy.rate_limit', 'envoy.squash', 'envoy.filters.http.gzip',
];

const NETWORK_FILTERS = [
  'client_ssl_auth', 'connection_limit', 'direct_response', 'dubbo_proxy', 'echo', 'ext_authz', 'ext_proc',
  'generic_proxy', 'local_ratelimit', 'mongo_proxy', 'mysql_proxy', 'ratelimit', 'rbac', 'redis_proxy',
  'set_filter_state', 'sni_cluster', 'sni_dynamic_forward_proxy', 'tcp_proxy', 'thrift_proxy', 'wasm',
  'zookeeper_proxy',
];
const LEGACY_NETWORK_FILTERS = [
  'envoy.client_ssl_auth', 'envoy.echo', 'envoy.ext_authz', 'envoy.mongo_proxy', 'envoy.ratelimit',
  'envoy.redis_proxy', 'envoy.tcp_proxy',
];

const LISTENER_FILTERS = ['http_inspector', 'original_dst', 'original_src', 'proxy_protocol', 'local_ratelimit'];
const LEGACY_LISTENER_FILTERS = ['envoy.listener.http_inspector', 'envoy.listener.original_dst', 'envoy.listener.proxy_protocol'];

const KNOWN_HTTP = new Set([...HTTP_FILTERS.map((n) => `envoy.filters.http.${n}`), ...LEGACY_HTTP_FILTERS]);
const KNOWN_NETWORK = new Set([...NETWORK_FILTERS.map((n) => `envoy.filters.network.${n}`), ...LEGACY_NETWORK_FILTERS]);
const KNOWN_LISTENER = new Set([...LISTENER_FILTERS.map((n) => `envoy.filters.listener.${n}`), ...LEGACY_LISTENER_FILTERS]);

/** True for HTTP filters that exist in Envoy but not in nuncio. */
export function isEnvoyHttpFilter(name: string): boolean {
  return KNOWN_HTTP.has(name);
}

export function isEnvoyNetworkFilter(name: string): boolean {
  return KNOWN_NETWORK.has(name);
}

export function isEnvoyListenerFilter(name: string): boolean {
  return KNOWN_LISTENER.has(name);
}

/** Envoy's message for an extension it cannot resolve (type URL lookup, Envoy >= 1.22). */
export function noImplementation(name: string): string {
  return `Didn't find a registered implementation for '${name}' with type URL: ''`;
}

/** retry_on conditions Envoy knows that only apply to gRPC (RetryStateImpl::parseRetryGrpcOn). */
export const GRPC_RETRY_ON: ReadonlySet<string> = new Set([
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);
