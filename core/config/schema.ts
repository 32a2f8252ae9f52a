// The Envoy v3 bootstrap subset nuncio accepts, written against the schema DSL. Field lists follow
// Envoy's protos (api/envoy/...); fields Envoy has but nuncio does not implement are listed under
// `unsupported` so they are refused by name rather than reported as typos.
import {
  any,
  bool,
  bytes,
  double,
  duration,
  enm,
  int,
  lazy,
  list,
  map,
  msg,
  headerStr,
  str,
  struct,
  uint,
  type MsgTy,
  type Ty,
} from './schema-dsl.js';

export const T_ROUTER = 'envoy.extensions.filters.http.router.v3.Router';
export const T_HEALTH_CHECK = 'envoy.extensions.filters.http.health_check.v3.HealthCheck';
export const T_HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const T_DOWNSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
export const T_UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
export const T_RAW_BUFFER = 'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';
export const T_FILE_LOG = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
export const T_STDOUT_LOG = 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
export const T_STDERR_LOG = 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog';
export const T_UPSTREAM_HTTP = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
export const T_CARES = 'envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig';
export const T_GETADDRINFO = 'envoy.extensions.network.dns_resolver.getaddrinfo.v3.GetAddrInfoDnsResolverConfig';
export const T_TLS_INSPECTOR = 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';

const percent = msg('type.v3.Percent', { value: double(0, 100) });

const socketAddress = msg(
  'config.core.v3.SocketAddress',
  {
    protocol: enm('TCP', 'UDP'),
    address: str(1),
    port_value: uint(0, 65535),
    ipv4_compat: bool,
  },
  { unsupported: ['named_port', 'resolver_name', 'network_namespace_filepath'], required: ['address'] },
);

export const address = msg(
  'config.core.v3.Address',
  { socket_address: socketAddress },
  {
    unsupported: ['pipe', 'envoy_internal_address'],
    oneofs: [{ fields: ['socket_address', 'pipe', 'envoy_internal_address'], required: true }],
  },
);

const dataSource = msg(
  'config.core.v3.DataSource',
  { filename: str(1), inline_bytes: bytes, inline_string: str(), environment_variable: str(1) },
  {
    unsupported: ['watched_directory'],
    oneofs: [{ fields: ['filename', 'inline_bytes', 'inline_string', 'environment_variable'], required: true }],
  },
);

const regexMatcher = msg(
  'type.matcher.v3.RegexMatcher',
  { google_re2: msg('RegexMatcher.GoogleRE2', { max_program_size: uint() }), regex: str(1) },
  { required: ['regex'] },
);

const stringMatcher = msg(
  'type.matcher.v3.StringMatcher',
  { exact: str(), prefix: str(1), suffix: str(1), safe_regex: regexMatcher, contains: str(1), ignore_case: bool },
  {
    unsupported: ['custom'],
    oneofs: [{ fields: ['exact', 'prefix', 'suffix', 'safe_regex', 'contains', 'custom'], required: true }],
  },
);

const int64Range = msg('type.v3.Int64Range', { start: int(), end: int() });

const headerMatcher = msg(
  'config.route.v3.HeaderMatcher',
  {
    name: headerStr('name', 1),
    exact_match: str(),
    safe_regex_match: regexMatcher,
    range_match: int64Range,
    present_match: bool,
    prefix_match: str(1),
    suffix_match: str(1),
    contains_match: str(1),
    string_match: stringMatcher,
    invert_match: bool,
    treat_missing_header_as_empty: bool,
  },
  {
    required: ['name'],
    oneofs: [
      {
        fields: [
          'exact_match',
          'safe_regex_match',
          'range_match',
          'present_match',
          'prefix_match',
          'suffix_match',
          'contains_match',
          'string_match',
        ],
      },
    ],
  },
);

const headerValue = msg(
  'config.core.v3.HeaderValue',
  { key: str(1), value: str(), raw_value: bytes },
  { required: ['key'] },
);

const headerValueOption = msg(
  'config.core.v3.HeaderValueOption',
  {
    header: headerValue,
    append: bool,
    append_action: enm('APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'),
    keep_empty_value: bool,
  },
  { required: ['header'] },
);

const retryPolicy = msg(
  'config.route.v3.RetryPolicy',
  {
    retry_on: str(),
    num_retries: uint(),
    per_try_timeout: duration(),
    per_try_idle_timeout: duration(),
    host_selection_retry_max_attempts: uint(),
    retriable_status_codes: list(uint()),
    retry_back_off: msg(
      'RetryPolicy.RetryBackOff',
      { base_interval: duration({ gt: 0 }), max_interval: duration({ gt: 0 }) },
      { required: ['base_interval'] },
    ),
  },
  {
    unsupported: [
      'retry_priority',
      'retry_host_predicate',
      'retry_options_predicates',
      'rate_limited_retry_back_off',
      'retriable_headers',
      'retriable_request_headers',
    ],
  },
);

const headerMutationFields = {
  request_headers_to_add: list(headerValueOption),
  request_headers_to_remove: list(str(1)),
  response_headers_to_add: list(headerValueOption),
  response_headers_to_remove: list(str(1)),
};

const regexRewrite = msg(
  'type.matcher.v3.RegexMatchAndSubstitute',
  { pattern: regexMatcher, substitution: str() },
  { required: ['pattern'] },
);

const routeMatch = msg(
  'config.route.v3.RouteMatch',
  {
    prefix: str(),
    path: str(),
    safe_regex: regexMatcher,
    path_separated_prefix: str(1),
    case_sensitive: bool,
    headers: list(headerMatcher),
    query_parameters: list(
      msg(
        'config.route.v3.QueryParameterMatcher',
        { name: str(1), string_match: stringMatcher, present_match: bool },
        { required: ['name'], oneofs: [{ fields: ['string_match', 'present_match'] }] },
      ),
    ),
    tls_context: msg('RouteMatch.TlsContextMatchOptions', { presented: bool, validated: bool }),
  },
  {
    unsupported: ['connect_matcher', 'path_match_policy', 'runtime_fraction', 'grpc', 'dynamic_metadata', 'filter_state', 'cookies'],
    oneofs: [
      {
        fields: ['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'connect_matcher', 'path_match_policy'],
        required: true,
      },
    ],
  },
);

const clusterWeight = msg(
  'config.route.v3.WeightedCluster.ClusterWeight',
  { name: str(1), weight: uint(), ...headerMutationFields, host_rewrite_literal: headerStr('value') },
  { required: ['name'], unsupported: ['cluster_header', 'metadata_match', 'typed_per_filter_config'] },
);

const routeAction = msg(
  'config.route.v3.RouteAction',
  {
    cluster: str(1),
    cluster_header: headerStr('name', 1),
    weighted_clusters: msg(
      'config.route.v3.WeightedCluster',
      { clusters: list(clusterWeight, 1), total_weight: uint(1), runtime_key_prefix: str() },
      { unsupported: ['header_name', 'random_value_specifier'], required: ['clusters'] },
    ),
    cluster_not_found_response_code: enm('SERVICE_UNAVAILABLE', 'NOT_FOUND', 'INTERNAL_SERVER_ERROR'),
    prefix_rewrite: headerStr('value'),
    regex_rewrite: regexRewrite,
    host_rewrite_literal: headerStr('value'),
    auto_host_rewrite: bool,
    host_rewrite_header: headerStr('name'),
    timeout: duration(),
    idle_timeout: duration(),
    retry_policy: retryPolicy,
    priority: enm('DEFAULT', 'HIGH'),
    append_x_forwarded_host: bool,
  },
  {
    unsupported: [
      'cluster_specifier_plugin',
      'inline_cluster_specifier_plugin',
      'metadata_match',
      'path_rewrite_policy',
      'host_rewrite_path_regex',
      'early_data_policy',
      'retry_policy_typed_config',
      'request_mirror_policies',
      'rate_limits',
      'include_vh_rate_limits',
      'hash_policy',
      'cors',
      'max_grpc_timeout',
      'grpc_timeout_offset',
      'upgrade_configs',
      'internal_redirect_policy',
      'internal_redirect_action',
      'max_internal_redirects',
      'hedge_policy',
      'max_stream_duration',
    ],
    oneofs: [
      {
        fields: ['cluster', 'cluster_header', 'weighted_clusters', 'cluster_specifier_plugin', 'inline_cluster_specifier_plugin'],
        required: true,
      },
      { fields: ['prefix_rewrite', 'regex_rewrite'] },
      { fields: ['host_rewrite_literal', 'auto_host_rewrite', 'host_rewrite_header'] },
    ],
  },
);

const redirectAction = msg(
  'config.route.v3.RedirectAction',
  {
    https_redirect: bool,
    scheme_redirect: str(),
    host_redirect: headerStr('value'),
    port_redirect: uint(),
    path_redirect: headerStr('value'),
    prefix_rewrite: headerStr('value'),
    regex_rewrite: regexRewrite,
    response_code: enm('MOVED_PERMANENTLY', 'FOUND', 'SEE_OTHER', 'TEMPORARY_REDIRECT', 'PERMANENT_REDIRECT'),
    strip_query: bool,
  },
  {
    oneofs: [
      { fields: ['https_redirect', 'scheme_redirect'] },
      { fields: ['path_redirect', 'prefix_rewrite', 'regex_rewrite'] },
    ],
  },
);

const route = msg(
  'config.route.v3.Route',
  {
    name: str(),
    match: routeMatch,
    route: routeAction,
    redirect: redirectAction,
    direct_response: msg(
      'config.route.v3.DirectResponseAction',
      { status: uint(200, 599), body: dataSource },
      { required: ['status'], unsupported: ['body_format'] },
    ),
    ...headerMutationFields,
    metadata: struct,
    decorator: msg('config.route.v3.Decorator', { operation: str(1), propagate: bool }),
  },
  {
    required: ['match'],
    unsupported: [
      'filter_action',
      'non_forwarding_action',
      'typed_per_filter_config',
      'tracing',
      'per_request_buffer_limit_bytes',
      'stat_prefix',
    ],
    oneofs: [{ fields: ['route', 'redirect', 'direct_response', 'filter_action', 'non_forwarding_action'], required: true }],
  },
);

const virtualHost = msg(
  'config.route.v3.VirtualHost',
  {
    name: str(1),
    domains: list(str(1), 1),
    routes: list(route),
    require_tls: enm('NONE', 'EXTERNAL_ONLY', 'ALL'),
    ...headerMutationFields,
    retry_policy: retryPolicy,
    include_request_attempt_count: bool,
    include_attempt_count_in_response: bool,
    metadata: struct,
  },
  {
    required: ['name', 'domains'],
    unsupported: [
      'matcher',
      'virtual_clusters',
      'rate_limits',
      'cors',
      'typed_per_filter_config',
      'retry_policy_typed_config',
      'hedge_policy',
      'include_is_timeout_retry_header',
      'per_request_buffer_limit_bytes',
      'request_mirror_policies',
    ],
  },
);

export const routeConfiguration = msg(
  'config.route.v3.RouteConfiguration',
  {
    name: str(),
    virtual_hosts: list(virtualHost),
    internal_only_headers: list(str(1)),
    ...headerMutationFields,
    most_specific_header_mutations_wins: bool,
    validate_clusters: bool,
    max_direct_response_body_size_bytes: uint(),
    ignore_port_in_host_matching: bool,
    metadata: struct,
  },
  {
    unsupported: [
      'vhds',
      'cluster_specifier_plugins',
      'request_mirror_policies',
      'ignore_path_parameters_in_path_matching',
      'typed_per_filter_config',
    ],
  },
);

const http2Options = msg(
  'config.core.v3.Http2ProtocolOptions',
  {
    hpack_table_size: uint(),
    max_concurrent_streams: uint(1, 2147483647),
    initial_stream_window_size: uint(65535, 2147483647),
    initial_connection_window_size: uint(65535, 2147483647),
    max_outbound_frames: uint(1),
    max_outbound_control_frames: uint(1),
    max_consecutive_inbound_frames_with_empty_payload: uint(),
    max_inbound_priority_frames_per_stream: uint(),
    max_inbound_window_update_frames_per_data_frame_sent: uint(1),
    stream_error_on_invalid_http_messaging: bool,
    override_stream_error_on_invalid_http_message: bool,
    use_oghttp2_codec: bool,
  },
  { unsupported: ['allow_connect', 'allow_metadata', 'custom_settings_parameters', 'max_metadata_size', 'connection_keepalive'] },
);

const http1Options = msg(
  'config.core.v3.Http1ProtocolOptions',
  {
    allow_absolute_url: bool,
    accept_http_10: bool,
    default_host_for_http_10: str(),
    enable_trailers: bool,
    override_stream_error_on_invalid_http_message: bool,
    use_balsa_parser: bool,
    allow_custom_methods: bool,
    send_fully_qualified_url: bool,
  },
  { unsupported: ['header_key_format', 'allow_chunked_length', 'ignore_http_11_upgrade'] },
);

const commonHttpOptions = msg(
  'config.core.v3.HttpProtocolOptions',
  {
    idle_timeout: duration(),
    max_connection_duration: duration(),
    max_headers_count: uint(1),
    max_response_headers_kb: uint(1, 8192),
    max_stream_duration: duration(),
    headers_with_underscores_action: enm('ALLOW', 'REJECT_REQUEST', 'DROP_HEADER'),
    max_requests_per_connection: uint(),
  },
);

const substitutionFormat = msg(
  'config.core.v3.SubstitutionFormatString',
  {
    text_format: str(),
    json_format: struct,
    text_format_source: dataSource,
    omit_empty_values: bool,
    content_type: str(),
  },
  {
    unsupported: ['formatters', 'json_format_options'],
    oneofs: [{ fields: ['text_format', 'json_format', 'text_format_source'], required: true }],
  },
);

const fileAccessLog = msg(
  'extensions.access_loggers.file.v3.FileAccessLog',
  { path: str(1), format: str(), json_format: struct, typed_json_format: struct, log_format: substitutionFormat },
  { required: ['path'], oneofs: [{ fields: ['format', 'json_format', 'typed_json_format', 'log_format'] }] },
);

const streamAccessLog = (name: string) => msg(name, { log_format: substitutionFormat });

export const accessLog = msg(
  'config.accesslog.v3.AccessLog',
  {
    name: str(),
    typed_config: any({
      [T_FILE_LOG]: fileAccessLog,
      [T_STDOUT_LOG]: streamAccessLog('extensions.access_loggers.stream.v3.StdoutAccessLog'),
      [T_STDERR_LOG]: streamAccessLog('extensions.access_loggers.stream.v3.StderrAccessLog'),
    }, [
      'envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig',
      'envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig',
      'envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig',
      'envoy.extensions.access_loggers.wasm.v3.WasmAccessLog',
    ]),
  },
  { unsupported: ['filter'], required: ['typed_config'] },
);

const routerConfig = msg(
  'extensions.filters.http.router.v3.Router',
  {
    dynamic_stats: bool,
    start_child_span: bool,
    suppress_envoy_headers: bool,
    respect_expected_rq_timeout: bool,
    suppress_grpc_request_failure_code_stats: bool,
  },
  { unsupported: ['upstream_log', 'upstream_log_options', 'strict_check_headers', 'upstream_http_filters'] },
);

const healthCheckFilter = msg(
  'extensions.filters.http.health_check.v3.HealthCheck',
  { pass_through_mode: bool, headers: list(headerMatcher), cache_time: duration() },
  { required: ['pass_through_mode'], unsupported: ['cluster_min_healthy_percentages'] },
);

const httpFilter = msg(
  'extensions.filters.network.http_connection_manager.v3.HttpFilter',
  {
    name: str(1),
    typed_config: any(
      { [T_ROUTER]: routerConfig, [T_HEALTH_CHECK]: healthCheckFilter },
      [
        'envoy.extensions.filters.http.cors.v3.Cors',
        'envoy.extensions.filters.http.compressor.v3.Compressor',
        'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
        'envoy.extensions.filters.http.fault.v3.HTTPFault',
        'envoy.extensions.filters.http.grpc_web.v3.GrpcWeb',
        'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
        'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
        'envoy.extensions.filters.http.lua.v3.Lua',
        'envoy.extensions.filters.http.ratelimit.v3.RateLimit',
        'envoy.extensions.filters.http.rbac.v3.RBAC',
        'envoy.extensions.filters.http.wasm.v3.Wasm',
        'envoy.extensions.filters.http.buffer.v3.Buffer',
      ],
    ),
    is_optional: bool,
    disabled: bool,
  },
  { required: ['name'], unsupported: ['config_discovery'] },
);

const cidrRange = msg('config.core.v3.CidrRange', { address_prefix: str(1), prefix_len: uint(0, 128) });

const hcm = msg(
  'extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  {
    codec_type: enm('AUTO', 'HTTP1', 'HTTP2', 'HTTP3'),
    stat_prefix: str(1),
    route_config: routeConfiguration,
    http_filters: list(httpFilter),
    common_http_protocol_options: commonHttpOptions,
    http_protocol_options: http1Options,
    http2_protocol_options: http2Options,
    server_name: str(),
    server_header_transformation: enm('OVERWRITE', 'APPEND_IF_ABSENT', 'PASS_THROUGH'),
    max_request_headers_kb: uint(1, 8192),
    stream_idle_timeout: duration(),
    request_timeout: duration(),
    request_headers_timeout: duration(),
    drain_timeout: duration(),
    delayed_close_timeout: duration(),
    access_log: list(accessLog),
    use_remote_address: bool,
    xff_num_trusted_hops: uint(),
    internal_address_config: msg('HttpConnectionManager.InternalAddressConfig', {
      unix_sockets: bool,
      cidr_ranges: list(cidrRange),
    }),
    skip_xff_append: bool,
    generate_request_id: bool,
    preserve_external_request_id: bool,
    always_set_request_id_in_response: bool,
    normalize_path: bool,
    merge_slashes: bool,
    path_with_escaped_slashes_action: enm(
      'IMPLEMENTATION_SPECIFIC_DEFAULT',
      'KEEP_UNCHANGED',
      'REJECT_REQUEST',
      'UNESCAPE_AND_REDIRECT',
      'UNESCAPE_AND_FORWARD',
    ),
    strip_matching_host_port: bool,
    strip_any_host_port: bool,
    stream_error_on_invalid_http_message: bool,
  },
  {
    required: ['stat_prefix'],
    unsupported: [
      'rds',
      'scoped_routes',
      'add_user_agent',
      'tracing',
      'http3_protocol_options',
      'scheme_header_transformation',
      'access_log_flush_interval',
      'flush_access_log_on_new_request',
      'access_log_options',
      'original_ip_detection_extensions',
      'early_header_mutation_extensions',
      'via',
      'forward_client_cert_details',
      'set_current_client_cert_details',
      'proxy_100_continue',
      'represent_ipv4_remote_address_as_ipv4_mapped_ipv6',
      'upgrade_configs',
      'request_id_extension',
      'local_reply_config',
      'path_normalization_options',
      'strip_trailing_host_dot',
      'proxy_status_config',
      'typed_header_validation_config',
      'append_x_forwarded_port',
      'add_proxy_protocol_connection_state',
    ],
    oneofs: [
      { fields: ['route_config', 'rds', 'scoped_routes'], required: true },
      { fields: ['strip_matching_host_port', 'strip_any_host_port'] },
    ],
  },
);

const tlsParams = msg(
  'extensions.transport_sockets.tls.v3.TlsParameters',
  {
    tls_minimum_protocol_version: enm('TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'),
    tls_maximum_protocol_version: enm('TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'),
    cipher_suites: list(str(1)),
    ecdh_curves: list(str(1)),
  },
  { unsupported: ['signature_algorithms', 'compliance_policies'] },
);

const tlsCertificate = msg(
  'extensions.transport_sockets.tls.v3.TlsCertificate',
  { certificate_chain: dataSource, private_key: dataSource, password: dataSource },
  {
    required: ['certificate_chain', 'private_key'],
    unsupported: ['pkey', 'ocsp_staple', 'signed_certificate_timestamp', 'watched_directory', 'private_key_provider'],
  },
);

const validationContext = msg(
  'extensions.transport_sockets.tls.v3.CertificateValidationContext',
  { trusted_ca: dataSource, match_subject_alt_names: list(stringMatcher), allow_expired_certificate: bool },
  {
    unsupported: [
      'ca_certificate_provider_instance',
      'watched_directory',
      'verify_certificate_spki',
      'verify_certificate_hash',
      'match_typed_subject_alt_names',
      'require_signed_certificate_timestamp',
      'crl',
      'trust_chain_verification',
      'custom_validator_config',
      'only_verify_leaf_cert_crl',
      'max_verify_depth',
      'system_root_certs',
    ],
  },
);

const commonTls = msg(
  'extensions.transport_sockets.tls.v3.CommonTlsContext',
  {
    tls_params: tlsParams,
    tls_certificates: list(tlsCertificate),
    validation_context: validationContext,
    alpn_protocols: list(str(1)),
  },
  {
    unsupported: [
      'tls_certificate_sds_secret_configs',
      'tls_certificate_provider_instance',
      'tls_certificate_certificate_provider',
      'tls_certificate_certificate_provider_instance',
      'validation_context_sds_secret_config',
      'combined_validation_context',
      'validation_context_certificate_provider',
      'validation_context_certificate_provider_instance',
      'custom_handshaker',
      'key_log',
      'custom_tls_certificate_selector',
    ],
  },
);

const downstreamTls = msg(
  'extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  {
    common_tls_context: commonTls,
    require_client_certificate: bool,
    require_sni: bool,
    disable_stateless_session_resumption: bool,
    disable_stateful_session_resumption: bool,
    session_timeout: duration(),
    prefer_client_ciphers: bool,
    full_scan_certs_on_sni_mismatch: bool,
  },
  { unsupported: ['session_ticket_keys', 'session_ticket_keys_sds_secret_config', 'ocsp_staple_policy'] },
);

const upstreamTls = msg(
  'extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  { common_tls_context: commonTls, sni: str(), allow_renegotiation: bool, max_session_keys: uint() },
  { unsupported: ['enforce_rsa_key_usage', 'auto_host_sni', 'auto_sni_san_validation'] },
);

const transportSocket = (tlsType: string, tls: MsgTy) =>
  msg(
    'config.core.v3.TransportSocket',
    {
      name: str(),
      typed_config: any({ [tlsType]: tls, [T_RAW_BUFFER]: msg('RawBuffer', {}) }, [
        'envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport',
        'envoy.extensions.transport_sockets.alts.v3.Alts',
        'envoy.extensions.transport_sockets.tap.v3.Tap',
        'envoy.extensions.transport_sockets.starttls.v3.StartTlsConfig',
      ]),
    },
    { required: ['typed_config'] },
  );

const networkFilter = msg(
  'config.listener.v3.Filter',
  {
    name: str(1),
    typed_config: any({ [T_HCM]: hcm }, [
      'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
      'envoy.extensions.filters.network.redis_proxy.v3.RedisProxy',
      'envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy',
      'envoy.extensions.filters.network.ratelimit.v3.RateLimit',
      'envoy.extensions.filters.network.rbac.v3.RBAC',
      'envoy.extensions.filters.network.echo.v3.Echo',
    ]),
  },
  { required: ['name'], unsupported: ['config_discovery'] },
);

const filterChainMatch = msg(
  'config.listener.v3.FilterChainMatch',
  { server_names: list(str(1)), transport_protocol: str() },
  {
    unsupported: [
      'destination_port',
      'prefix_ranges',
      'address_suffix',
      'suffix_len',
      'direct_source_prefix_ranges',
      'source_type',
      'source_prefix_ranges',
      'source_ports',
      'application_protocols',
    ],
  },
);

const filterChain = msg(
  'config.listener.v3.FilterChain',
  {
    filter_chain_match: filterChainMatch,
    filters: list(networkFilter),
    transport_socket: transportSocket(T_DOWNSTREAM_TLS, downstreamTls),
    transport_socket_connect_timeout: duration(),
    name: str(),
    metadata: struct,
  },
  { unsupported: ['use_proxy_proto', 'on_demand_configuration'] },
);

const listenerFilter = msg(
  'config.listener.v3.ListenerFilter',
  { name: str(1), typed_config: any({ [T_TLS_INSPECTOR]: msg('TlsInspector', { enable_ja3_fingerprinting: bool }) }, [
    'envoy.extensions.filters.listener.http_inspector.v3.HttpInspector',
    'envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
    'envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol',
  ]) },
  { required: ['name'], unsupported: ['config_discovery', 'filter_disabled'] },
);

const listener = msg(
  'config.listener.v3.Listener',
  {
    name: str(),
    address,
    stat_prefix: str(),
    filter_chains: list(filterChain),
    per_connection_buffer_limit_bytes: uint(),
    metadata: struct,
    drain_type: enm('DEFAULT', 'MODIFY_ONLY'),
    listener_filters: list(listenerFilter),
    listener_filters_timeout: duration(),
    continue_on_listener_filters_timeout: bool,
    traffic_direction: enm('UNSPECIFIED', 'INBOUND', 'OUTBOUND'),
    reuse_port: bool,
    enable_reuse_port: bool,
    tcp_backlog_size: uint(),
    ignore_global_conn_limit: bool,
  },
  {
    required: ['address'],
    unsupported: [
      'additional_addresses',
      'filter_chain_matcher',
      'use_original_dst',
      'default_filter_chain',
      'deprecated_v1',
      'transparent',
      'freebind',
      'socket_options',
      'tcp_fast_open_queue_length',
      'udp_listener_config',
      'api_listener',
      'connection_balance_config',
      'access_log',
      'max_connections_to_accept_per_socket_event',
      'bind_to_port',
      'internal_listener',
      'enable_mptcp',
      'bypass_overload_manager',
    ],
  },
);

const locality = msg('config.core.v3.Locality', { region: str(), zone: str(), sub_zone: str() });

const endpoint = msg(
  'config.endpoint.v3.Endpoint',
  { address, hostname: str() },
  { unsupported: ['health_check_config', 'additional_addresses'] },
);

const lbEndpoint = msg(
  'config.endpoint.v3.LbEndpoint',
  {
    endpoint,
    health_status: enm('UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED'),
    metadata: struct,
    load_balancing_weight: uint(1),
  },
  { unsupported: ['endpoint_name'], oneofs: [{ fields: ['endpoint', 'endpoint_name'], required: true }] },
);

const loadAssignment = msg(
  'config.endpoint.v3.ClusterLoadAssignment',
  {
    cluster_name: str(1),
    endpoints: list(
      msg(
        'config.endpoint.v3.LocalityLbEndpoints',
        {
          locality,
          metadata: struct,
          lb_endpoints: list(lbEndpoint),
          load_balancing_weight: uint(1),
          priority: uint(0, 128),
        },
        { unsupported: ['leds_cluster_locality_config', 'proximity'] },
      ),
    ),
  },
  { required: ['cluster_name'], unsupported: ['named_endpoints', 'policy'] },
);

const thresholds = msg(
  'config.cluster.v3.CircuitBreakers.Thresholds',
  {
    priority: enm('DEFAULT', 'HIGH'),
    max_connections: uint(),
    max_pending_requests: uint(),
    max_requests: uint(),
    max_retries: uint(),
    retry_budget: msg('Thresholds.RetryBudget', { budget_percent: percent, min_retry_concurrency: uint() }),
    track_remaining: bool,
  },
  { unsupported: ['max_connection_pools'] },
);

const healthCheck = msg(
  'config.core.v3.HealthCheck',
  {
    timeout: duration({ gt: 0 }),
    interval: duration({ gt: 0 }),
    initial_jitter: duration(),
    interval_jitter: duration(),
    interval_jitter_percent: uint(),
    unhealthy_threshold: uint(),
    healthy_threshold: uint(),
    reuse_connection: bool,
    http_health_check: msg(
      'config.core.v3.HealthCheck.HttpHealthCheck',
      {
        host: str(),
        path: str(1),
        request_headers_to_add: list(headerValueOption),
        request_headers_to_remove: list(str(1)),
        expected_statuses: list(int64Range),
        codec_client_type: enm('HTTP1', 'HTTP2', 'HTTP3'),
        method: enm('METHOD_UNSPECIFIED', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'),
      },
      {
        required: ['path'],
        unsupported: ['send', 'receive', 'response_buffer_size', 'retriable_statuses', 'service_name_matcher'],
      },
    ),
    no_traffic_interval: duration({ gt: 0 }),
    no_traffic_healthy_interval: duration({ gt: 0 }),
    unhealthy_interval: duration({ gt: 0 }),
    unhealthy_edge_interval: duration({ gt: 0 }),
    healthy_edge_interval: duration({ gt: 0 }),
    always_log_health_check_failures: bool,
    always_log_health_check_success: bool,
  },
  {
    required: ['timeout', 'interval', 'unhealthy_threshold', 'healthy_threshold'],
    unsupported: [
      'alt_port',
      'tcp_health_check',
      'grpc_health_check',
      'custom_health_check',
      'event_log_path',
      'event_logger',
      'event_service',
      'tls_options',
      'transport_socket_match_criteria',
    ],
    oneofs: [{ fields: ['http_health_check', 'tcp_health_check', 'grpc_health_check', 'custom_health_check'], required: true }],
  },
);

const outlierDetection = msg(
  'config.cluster.v3.OutlierDetection',
  {
    consecutive_5xx: uint(),
    interval: duration({ gt: 0 }),
    base_ejection_time: duration({ gt: 0 }),
    max_ejection_percent: uint(0, 100),
    enforcing_consecutive_5xx: uint(0, 100),
    consecutive_gateway_failure: uint(),
    enforcing_consecutive_gateway_failure: uint(0, 100),
    split_external_local_origin_errors: bool,
    consecutive_local_origin_failure: uint(),
    enforcing_consecutive_local_origin_failure: uint(0, 100),
    max_ejection_time: duration({ gt: 0 }),
  },
  {
    unsupported: [
      'enforcing_success_rate',
      'success_rate_minimum_hosts',
      'success_rate_request_volume',
      'success_rate_stdev_factor',
      'enforcing_local_origin_success_rate',
      'failure_percentage_threshold',
      'enforcing_failure_percentage',
      'enforcing_failure_percentage_local_origin',
      'failure_percentage_minimum_hosts',
      'failure_percentage_request_volume',
      'max_ejection_time_jitter',
      'successful_active_health_check_uneject_host',
      'monitors',
      'always_eject_one_host',
      'detect_degraded_hosts',
    ],
  },
);

const dnsResolverOptions = msg('config.core.v3.DnsResolverOptions', {
  use_tcp_for_dns_lookups: bool,
  no_default_search_domain: bool,
});

const caresConfig = msg(
  'extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig',
  {
    resolvers: list(address),
    use_resolvers_as_fallback: bool,
    filter_unroutable_families: bool,
    dns_resolver_options: dnsResolverOptions,
    udp_max_queries: uint(),
    query_timeout_seconds: uint(1),
    query_tries: uint(1),
    rotate_nameservers: bool,
  },
  { unsupported: ['edns0_max_payload_size', 'max_udp_channel_duration', 'reinit_channel_on_timeout'] },
);

export const typedDnsResolverConfig = msg(
  'config.core.v3.TypedExtensionConfig',
  {
    name: str(1),
    typed_config: any({ [T_CARES]: caresConfig, [T_GETADDRINFO]: msg('GetAddrInfoDnsResolverConfig', { num_retries: uint(), num_resolver_threads: uint() }) }, [
      'envoy.extensions.network.dns_resolver.apple.v3.AppleDnsResolverConfig',
    ]),
  },
  { required: ['name', 'typed_config'] },
);

export const dnsResolutionConfig = msg('config.core.v3.DnsResolutionConfig', {
  resolvers: list(address, 1),
  dns_resolver_options: dnsResolverOptions,
});

const upstreamHttpOptions = msg(
  'extensions.upstreams.http.v3.HttpProtocolOptions',
  {
    common_http_protocol_options: commonHttpOptions,
    upstream_http_protocol_options: msg(
      'config.core.v3.UpstreamHttpProtocolOptions',
      { auto_sni: bool, auto_san_validation: bool, override_auto_sni_header: str() },
    ),
    explicit_http_config: msg(
      'HttpProtocolOptions.ExplicitHttpConfig',
      { http_protocol_options: http1Options, http2_protocol_options: http2Options },
      {
        unsupported: ['http3_protocol_options'],
        oneofs: [{ fields: ['http_protocol_options', 'http2_protocol_options', 'http3_protocol_options'], required: true }],
      },
    ),
  },
  {
    unsupported: ['use_downstream_protocol_config', 'auto_config', 'http_filters', 'header_validation_config', 'outlier_detection'],
    oneofs: [{ fields: ['explicit_http_config', 'use_downstream_protocol_config', 'auto_config'], required: true }],
  },
);

const cluster = msg(
  'config.cluster.v3.Cluster',
  {
    name: str(1),
    alt_stat_name: str(),
    type: enm('STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'),
    connect_timeout: duration({ gt: 0 }),
    per_connection_buffer_limit_bytes: uint(),
    lb_policy: enm(
      'ROUND_ROBIN',
      'LEAST_REQUEST',
      'RING_HASH',
      'RANDOM',
      '', // 4: ORIGINAL_DST_LB, removed in v3
      'MAGLEV',
      'CLUSTER_PROVIDED',
      'LOAD_BALANCING_POLICY_CONFIG',
    ),
    load_assignment: loadAssignment,
    health_checks: list(healthCheck),
    max_requests_per_connection: uint(),
    circuit_breakers: msg(
      'config.cluster.v3.CircuitBreakers',
      { thresholds: list(thresholds) },
      { unsupported: ['per_host_thresholds'] },
    ),
    common_http_protocol_options: commonHttpOptions,
    http_protocol_options: http1Options,
    http2_protocol_options: http2Options,
    typed_extension_protocol_options: map(any({ [T_UPSTREAM_HTTP]: upstreamHttpOptions })),
    dns_refresh_rate: duration({ gt: 1 }),
    dns_failure_refresh_rate: msg(
      'Cluster.RefreshRate',
      { base_interval: duration({ gt: 1 }), max_interval: duration({ gt: 1 }) },
      { required: ['base_interval'] },
    ),
    respect_dns_ttl: bool,
    dns_lookup_family: enm('AUTO', 'V4_ONLY', 'V6_ONLY', 'V4_PREFERRED', 'ALL'),
    dns_resolvers: list(address),
    use_tcp_for_dns_lookups: bool,
    dns_resolution_config: dnsResolutionConfig,
    typed_dns_resolver_config: typedDnsResolverConfig,
    outlier_detection: outlierDetection,
    common_lb_config: msg(
      'config.cluster.v3.Cluster.CommonLbConfig',
      { healthy_panic_threshold: percent },
      {
        unsupported: [
          'zone_aware_lb_config',
          'locality_weighted_lb_config',
          'update_merge_window',
          'ignore_new_hosts_until_first_hc',
          'close_connections_on_host_set_change',
          'consistent_hashing_lb_config',
          'override_host_status',
        ],
      },
    ),
    least_request_lb_config: msg(
      'config.cluster.v3.Cluster.LeastRequestLbConfig',
      { choice_count: uint(2) },
      { unsupported: ['active_request_bias', 'slow_start_config', 'locality_lb_config', 'enable_full_scan', 'selection_method'] },
    ),
    round_robin_lb_config: msg('config.cluster.v3.Cluster.RoundRobinLbConfig', {}, { unsupported: ['slow_start_config', 'locality_lb_config'] }),
    transport_socket: transportSocket(T_UPSTREAM_TLS, upstreamTls),
    metadata: struct,
    protocol_selection: enm('USE_CONFIGURED_PROTOCOL', 'USE_DOWNSTREAM_PROTOCOL'),
    wait_for_warm_on_init: bool,
    ignore_health_on_host_removal: bool,
    close_connections_on_host_health_failure: bool,
  },
  {
    required: ['name'],
    deprecated: ['http2_protocol_options', 'http_protocol_options', 'common_http_protocol_options', 'max_requests_per_connection', 'dns_resolvers', 'use_tcp_for_dns_lookups', 'dns_resolution_config'],
    unsupported: [
      'transport_socket_matches',
      'cluster_type',
      'eds_cluster_config',
      'upstream_http_protocol_options',
      'dns_jitter',
      'cleanup_interval',
      'upstream_bind_config',
      'lb_subset_config',
      'ring_hash_lb_config',
      'maglev_lb_config',
      'original_dst_lb_config',
      'upstream_connection_options',
      'filters',
      'load_balancing_policy',
      'lrs_server',
      'track_timeout_budgets',
      'upstream_config',
      'track_cluster_stats',
      'preconnect_policy',
      'connection_pool_per_downstream_connection',
    ],
  },
);

const runtimeLayer = msg(
  'config.bootstrap.v3.RuntimeLayer',
  {
    name: str(1),
    static_layer: struct,
    disk_layer: msg('RuntimeLayer.DiskLayer', { symlink_root: str(), subdirectory: str(), append_service_cluster: bool }),
    admin_layer: msg('RuntimeLayer.AdminLayer', {}),
  },
  {
    required: ['name'],
    unsupported: ['rtds_layer'],
    oneofs: [{ fields: ['static_layer', 'disk_layer', 'admin_layer', 'rtds_layer'], required: true }],
  },
);

const admin = msg(
  'config.bootstrap.v3.Admin',
  { access_log_path: str(), profile_path: str(), address, access_log: list(accessLog), ignore_global_conn_limit: bool },
  { unsupported: ['socket_options', 'allow_paths'] },
);

const node = msg(
  'config.core.v3.Node',
  {
    id: str(),
    cluster: str(),
    metadata: struct,
    locality,
    user_agent_name: str(),
    user_agent_version: str(),
  },
  { unsupported: ['dynamic_parameters', 'user_agent_build_version', 'extensions', 'client_features', 'listening_addresses'] },
);

export const bootstrap: Ty = msg(
  'config.bootstrap.v3.Bootstrap',
  {
    node,
    static_resources: msg(
      'Bootstrap.StaticResources',
      { listeners: list(listener), clusters: list(lazy(() => cluster)) },
      { unsupported: ['secrets'] },
    ),
    admin,
    layered_runtime: msg('config.bootstrap.v3.LayeredRuntime', { layers: list(runtimeLayer) }),
    stats_flush_interval: duration({ gte: 1, lt: 300_000 }),
    stats_flush_on_admin: bool,
    typed_dns_resolver_config: typedDnsResolverConfig,
    dns_resolution_config: dnsResolutionConfig,
    use_tcp_for_dns_lookups: bool,
  },
  {
    unsupported: [
      'node_context_params',
      'dynamic_resources',
      'cluster_manager',
      'hds_config',
      'flags_path',
      'stats_sinks',
      'deferred_stat_options',
      'stats_config',
      'watchdog',
      'watchdogs',
      'tracing',
      'overload_manager',
      'enable_dispatcher_stats',
      'header_prefix',
      'stats_server_version_override',
      'bootstrap_extensions',
      'fatal_actions',
      'config_sources',
      'default_config_source',
      'default_socket_interface',
      'certificate_provider_instances',
      'inline_headers',
      'perf_tracing_file_path',
      'default_regex_engine',
      'xds_delegate_extension',
      'xds_config_tracker_extension',
      'listener_manager',
      'application_log_config',
      'grpc_async_client_manager_config',
      'stats_eviction_interval',
      'memory_allocator_manager',
    ],
  },
);
