// Envoy's stat sets, one list per scope (as Envoy's ALL_*_STATS macros). The position in a list is the
// stat's slot in its block, so the hot path increments `row[CLUSTER.upstream_rq_total]` and nothing
// is looked up by name after config load. Names follow Envoy's docs and source.

export type Kind = 'c' | 'g';
export type StatList = readonly (readonly [string, Kind])[];

/** Builds `{ name: slot }` for a list, e.g. CLUSTER.upstream_rq_total. */
export function slots<const L extends StatList>(list: L): { readonly [K in L[number][0]]: number } {
  const out: Record<string, number> = {};
  list.forEach(([n], i) => (out[n] = i));
  return Object.freeze(out) as { readonly [K in L[number][0]]: number };
}

const c = (n: string) => [n, 'c'] as const;
const g = (n: string) => [n, 'g'] as const;

export const CLUSTER_LIST = [
  c('assignment_stale'),
  c('assignment_timeout_received'),
  c('bind_errors'),
  g('circuit_breakers.default.cx_open'),
  g('circuit_breakers.default.cx_pool_open'),
  g('circuit_breakers.default.rq_open'),
  g('circuit_breakers.default.rq_pending_open'),
  g('circuit_breakers.default.rq_retry_open'),
  g('circuit_breakers.high.cx_open'),
  g('circuit_breakers.high.cx_pool_open'),
  g('circuit_breakers.high.rq_open'),
  g('circuit_breakers.high.rq_pending_open'),
  g('circuit_breakers.high.rq_retry_open'),
  c('default.total_match_count'),
  c('external.upstream_rq_completed'),
  c('external.upstream_rq_1xx'),
  c('external.upstream_rq_2xx'),
  c('external.upstream_rq_3xx'),
  c('external.upstream_rq_4xx'),
  c('external.upstream_rq_5xx'),
  c('internal.upstream_rq_completed'),
  c('internal.upstream_rq_1xx'),
  c('internal.upstream_rq_2xx'),
  c('internal.upstream_rq_3xx'),
  c('internal.upstream_rq_4xx'),
  c('internal.upstream_rq_5xx'),
  c('lb_healthy_panic'),
  c('lb_local_cluster_not_ok'),
  c('lb_recalculate_zone_structures'),
  c('lb_subsets_created'),
  c('lb_subsets_fallback'),
  c('lb_subsets_fallback_panic'),
  c('lb_subsets_removed'),
  c('lb_subsets_selected'),
  c('lb_zone_cluster_too_small'),
  c('lb_zone_no_capacity_left'),
  c('lb_zone_number_differs'),
  c('lb_zone_routing_all_directly'),
  c('lb_zone_routing_cross_zone'),
  c('lb_zone_routing_sampled'),
  g('max_host_weight'),
  c('membership_change'),
  g('membership_degraded'),
  g('membership_excluded'),
  g('membership_healthy'),
  g('membership_total'),
  c('original_dst_host_invalid'),
  c('retry_or_shadow_abandoned'),
  c('update_attempt'),
  c('update_empty'),
  c('update_failure'),
  c('update_no_rebuild'),
  c('update_success'),
  c('upstream_cx_close_notify'),
  c('upstream_cx_connect_attempts_exceeded'),
  c('upstream_cx_connect_fail'),
  c('upstream_cx_connect_timeout'),
  c('upstream_cx_connect_with_0_rtt'),
  g('upstream_cx_active'),
  c('upstream_cx_destroy'),
  c('upstream_cx_destroy_local'),
  c('upstream_cx_destroy_local_with_active_rq'),
  c('upstream_cx_destroy_remote'),
  c('upstream_cx_destroy_remote_with_active_rq'),
  c('upstream_cx_destroy_with_active_rq'),
  c('upstream_cx_http1_total'),
  c('upstream_cx_http2_total'),
  c('upstream_cx_http3_total'),
  c('upstream_cx_idle_timeout'),
  c('upstream_cx_max_duration_reached'),
  c('upstream_cx_max_requests'),
  c('upstream_cx_none_healthy'),
  c('upstream_cx_overflow'),
  c('upstream_cx_pool_overflow'),
  c('upstream_cx_protocol_error'),
  g('upstream_cx_rx_bytes_buffered'),
  c('upstream_cx_rx_bytes_total'),
  c('upstream_cx_total'),
  g('upstream_cx_tx_bytes_buffered'),
  c('upstream_cx_tx_bytes_total'),
  c('upstream_flow_control_backed_up_total'),
  c('upstream_flow_control_drained_total'),
  c('upstream_flow_control_paused_reading_total'),
  c('upstream_flow_control_resumed_reading_total'),
  c('upstream_http3_broken'),
  c('upstream_internal_redirect_failed_total'),
  c('upstream_internal_redirect_succeeded_total'),
  c('upstream_rq_1xx'),
  c('upstream_rq_2xx'),
  c('upstream_rq_3xx'),
  c('upstream_rq_4xx'),
  c('upstream_rq_5xx'),
  g('upstream_rq_active'),
  c('upstream_rq_cancelled'),
  c('upstream_rq_completed'),
  c('upstream_rq_maintenance_mode'),
  c('upstream_rq_max_duration_reached'),
  g('upstream_rq_pending_active'),
  c('upstream_rq_pending_failure_eject'),
  c('upstream_rq_pending_overflow'),
  c('upstream_rq_pending_total'),
  c('upstream_rq_per_try_idle_timeout'),
  c('upstream_rq_per_try_timeout'),
  c('upstream_rq_retry'),
  g('upstream_rq_retry_active'),
  c('upstream_rq_retry_backoff_exponential'),
  c('upstream_rq_retry_backoff_ratelimited'),
  c('upstream_rq_retry_limit_exceeded'),
  c('upstream_rq_retry_overflow'),
  c('upstream_rq_retry_success'),
  c('upstream_rq_rx_reset'),
  c('upstream_rq_timeout'),
  c('upstream_rq_total'),
  c('upstream_rq_tx_reset'),
  g('version'),
] as const;
export const CLUSTER = slots(CLUSTER_LIST);

/** Router-emitted per-code counters live after the fixed list: three tables of 500 (codes 100-599). */
export const CODE_MIN = 100;
export const CODE_MAX = 599;
export const CODE_SPAN = CODE_MAX - CODE_MIN + 1;
export const CODE_BASE_PLAIN = CLUSTER_LIST.length;
export const CODE_BASE_INTERNAL = CODE_BASE_PLAIN + CODE_SPAN;
export const CODE_BASE_EXTERNAL = CODE_BASE_INTERNAL + CODE_SPAN;
export const CLUSTER_BLOCK_SIZE = CODE_BASE_EXTERNAL + CODE_SPAN;

export const HEALTH_CHECK_LIST = [
  c('health_check.attempt'),
  c('health_check.degraded'),
  c('health_check.failure'),
  g('health_check.healthy'),
  c('health_check.network_failure'),
  c('health_check.passive_failure'),
  c('health_check.success'),
  c('health_check.verify_cluster'),
] as const;
export const HEALTH_CHECK = slots(HEALTH_CHECK_LIST);

export const OUTLIER_LIST = [
  g('outlier_detection.ejections_active'),
  c('outlier_detection.ejections_consecutive_5xx'),
  c('outlier_detection.ejections_detected_consecutive_5xx'),
  c('outlier_detection.ejections_detected_consecutive_gateway_failure'),
  c('outlier_detection.ejections_detected_consecutive_local_origin_failure'),
  c('outlier_detection.ejections_enforced_consecutive_5xx'),
  c('outlier_detection.ejections_enforced_consecutive_gateway_failure'),
  c('outlier_detection.ejections_enforced_consecutive_local_origin_failure'),
  c('outlier_detection.ejections_enforced_total'),
  c('outlier_detection.ejections_overflow'),
  c('outlier_detection.ejections_total'),
] as const;
export const OUTLIER = slots(OUTLIER_LIST);

/** http.<stat_prefix>.* — connection manager plus the router filter's own counters. */
export const HCM_LIST = [
  c('downstream_cx_delayed_close_timeout'),
  c('downstream_cx_destroy'),
  g('downstream_cx_active'),
  c('downstream_cx_destroy_active_rq'),
  c('downstream_cx_destroy_local'),
  c('downstream_cx_destroy_local_active_rq'),
  c('downstream_cx_destroy_remote'),
  c('downstream_cx_destroy_remote_active_rq'),
  c('downstream_cx_drain_close'),
  g('downstream_cx_http1_active'),
  c('downstream_cx_http1_total'),
  g('downstream_cx_http2_active'),
  c('downstream_cx_http2_total'),
  g('downstream_cx_http3_active'),
  c('downstream_cx_http3_total'),
  c('downstream_cx_idle_timeout'),
  c('downstream_cx_max_duration_reached'),
  c('downstream_cx_max_requests_reached'),
  c('downstream_cx_overload_disable_keepalive'),
  c('downstream_cx_protocol_error'),
  g('downstream_cx_rx_bytes_buffered'),
  c('downstream_cx_rx_bytes_total'),
  g('downstream_cx_ssl_active'),
  c('downstream_cx_ssl_total'),
  c('downstream_cx_total'),
  g('downstream_cx_tx_bytes_buffered'),
  c('downstream_cx_tx_bytes_total'),
  g('downstream_cx_upgrades_active'),
  c('downstream_cx_upgrades_total'),
  c('downstream_flow_control_paused_reading_total'),
  c('downstream_flow_control_resumed_reading_total'),
  c('downstream_rq_1xx'),
  c('downstream_rq_2xx'),
  c('downstream_rq_3xx'),
  c('downstream_rq_4xx'),
  c('downstream_rq_5xx'),
  g('downstream_rq_active'),
  c('downstream_rq_completed'),
  c('downstream_rq_failed_path_normalization'),
  c('downstream_rq_header_timeout'),
  c('downstream_rq_http1_total'),
  c('downstream_rq_http2_total'),
  c('downstream_rq_http3_total'),
  c('downstream_rq_idle_timeout'),
  c('downstream_rq_max_duration_reached'),
  c('downstream_rq_non_relative_path'),
  c('downstream_rq_overload_close'),
  c('downstream_rq_redirected_with_normalized_path'),
  c('downstream_rq_rejected_via_ip_detection'),
  c('downstream_rq_response_before_rq_complete'),
  c('downstream_rq_rx_reset'),
  c('downstream_rq_timeout'),
  c('downstream_rq_too_large'),
  c('downstream_rq_too_many_premature_resets'),
  c('downstream_rq_total'),
  c('downstream_rq_tx_reset'),
  c('downstream_rq_ws_on_non_ws_route'),
  c('no_cluster'),
  c('no_route'),
  c('passthrough_internal_redirect_bad_location'),
  c('passthrough_internal_redirect_no_route'),
  c('passthrough_internal_redirect_predicate'),
  c('passthrough_internal_redirect_too_many_redirects'),
  c('passthrough_internal_redirect_unsafe_scheme'),
  c('rq_direct_response'),
  c('rq_redirect'),
  c('rq_reset_after_downstream_response_started'),
  c('rq_total'),
  c('rs_too_large'),
  c('health_check.request_total'),
  c('health_check.failed'),
  c('health_check.ok'),
  c('health_check.no_cluster_found'),
] as const;
export const HCM = slots(HCM_LIST);

/** listener.<address or stat_prefix>.* */
export const LISTENER_LIST = [
  c('downstream_cx_destroy'),
  g('downstream_cx_active'),
  c('downstream_cx_overflow'),
  c('downstream_cx_overload_reject'),
  c('downstream_cx_total'),
  c('downstream_global_cx_overflow'),
  g('downstream_pre_cx_active'),
  c('downstream_pre_cx_timeout'),
  c('extension_config_missing'),
  c('network_extension_config_missing'),
  c('no_filter_chain_match'),
] as const;
export const LISTENER = slots(LISTENER_LIST);

export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export const LISTENER_TLS_LIST = [
  c('ssl.connection_error'),
  c('ssl.fail_verify_cert_hash'),
  c('ssl.fail_verify_error'),
  c('ssl.fail_verify_no_cert'),
  c('ssl.fail_verify_san'),
  c('ssl.handshake'),
  c('ssl.no_certificate'),
  c('ssl.ocsp_staple_failed'),
  c('ssl.ocsp_staple_omitted'),
  c('ssl.ocsp_staple_requests'),
  c('ssl.ocsp_staple_responses'),
  c('ssl.session_reused'),
  ...TLS_VERSIONS.map((v) => c(`ssl.versions.${v}`)),
] as const;

/** Root-level codec stats (Envoy puts these at `http1.` / `http2.`). */
export const CODEC_LIST = [
  c('http1.dropped_headers_with_underscores'),
  c('http1.metadata_not_supported_error'),
  c('http1.requests_rejected_with_underscores_in_headers'),
  c('http1.response_flood'),
  c('http2.dropped_headers_with_underscores'),
  c('http2.header_overflow'),
  c('http2.headers_cb_no_stream'),
  c('http2.inbound_empty_frames_flood'),
  c('http2.inbound_priority_frames_flood'),
  c('http2.inbound_window_update_frames_flood'),
  c('http2.keepalive_timeout'),
  c('http2.metadata_empty_frames'),
  c('http2.outbound_control_flood'),
  c('http2.outbound_flood'),
  c('http2.requests_rejected_with_underscores_in_headers'),
  c('http2.rx_messaging_error'),
  c('http2.rx_reset'),
  c('http2.stream_refused_errors'),
  c('http2.too_many_header_frames'),
  c('http2.trailers'),
  c('http2.tx_flush_timeout'),
  c('http2.tx_reset'),
  g('http2.streams_active'),
  g('http2.pending_send_bytes'),
  g('http2.deferred_stream_close'),
  g('http2.outbound_frames_active'),
  g('http2.outbound_control_frames_active'),
] as const;
export const CODEC = slots(CODEC_LIST);

export const SERVER_LIST = [
  g('server.concurrency'),
  g('server.days_until_first_cert_expiring'),
  c('server.debug_assertion_failures'),
  c('server.dynamic_unknown_fields'),
  c('server.envoy_bug_failures'),
  c('server.envoy_notifications'),
  g('server.hot_restart_epoch'),
  g('server.hot_restart_generation'),
  g('server.live'),
  c('server.main_thread.watchdog_mega_miss'),
  c('server.main_thread.watchdog_miss'),
  g('server.memory_allocated'),
  g('server.memory_heap_size'),
  g('server.memory_physical_size'),
  g('server.parent_connections'),
  g('server.seconds_until_first_ocsp_response_expiring'),
  g('server.state'),
  c('server.static_unknown_fields'),
  g('server.stats_recent_lookups'),
  g('server.total_connections'),
  g('server.uptime'),
  g('server.version'),
  c('server.wip_protos'),
  c('cluster_manager.cluster_added'),
  c('cluster_manager.cluster_modified'),
  c('cluster_manager.cluster_removed'),
  c('cluster_manager.cluster_updated'),
  c('cluster_manager.cluster_updated_via_merge'),
  c('cluster_manager.update_merge_cancelled'),
  c('cluster_manager.update_out_of_merge_window'),
  g('cluster_manager.active_clusters'),
  g('cluster_manager.warming_clusters'),
  c('listener_manager.listener_added'),
  c('listener_manager.listener_create_failure'),
  c('listener_manager.listener_create_success'),
  c('listener_manager.listener_in_place_updated'),
  c('listener_manager.listener_modified'),
  c('listener_manager.listener_removed'),
  c('listener_manager.listener_stopped'),
  g('listener_manager.total_filter_chains_draining'),
  g('listener_manager.total_listeners_active'),
  g('listener_manager.total_listeners_draining'),
  g('listener_manager.total_listeners_warming'),
  g('listener_manager.workers_started'),
  g('runtime.admin_overrides_active'),
  c('runtime.deprecated_feature_seen_since_process_start'),
  c('runtime.deprecated_feature_use'),
  c('runtime.load_error'),
  c('runtime.load_success'),
  g('runtime.num_keys'),
  g('runtime.num_layers'),
  c('runtime.override_dir_exists'),
  c('runtime.override_dir_not_exists'),
  c('filesystem.flushed_by_timer'),
  c('filesystem.reopen_failed'),
  c('filesystem.write_buffered'),
  c('filesystem.write_completed'),
  c('filesystem.write_failed'),
  g('filesystem.write_total_buffered'),
  c('nuncio.config_reload_total'),
  c('nuncio.config_reload_success'),
  c('nuncio.config_reload_failure'),
  c('nuncio.worker_restarts'),
] as const;
export const SERVER = slots(SERVER_LIST);

/** Per-host stats, shown only in /clusters (as Envoy). */
export const HOST_LIST = [
  g('cx_active'),
  c('cx_connect_fail'),
  c('cx_total'),
  g('rq_active'),
  c('rq_error'),
  c('rq_success'),
  c('rq_timeout'),
  c('rq_total'),
] as const;
export const HOST = slots(HOST_LIST);
export const HOST_BLOCK_SIZE = HOST_LIST.length;

/** Histograms per scope (recorded per worker, merged on the admin thread). */
export const CLUSTER_HISTOGRAMS = [
  'upstream_cx_connect_ms',
  'upstream_cx_length_ms',
  'upstream_rq_time',
  'internal.upstream_rq_time',
  'external.upstream_rq_time',
] as const;
export const CLUSTER_H = slots(CLUSTER_HISTOGRAMS.map((n) => [n, 'c'] as const));
export const HCM_HISTOGRAMS = ['downstream_cx_length_ms', 'downstream_rq_time'] as const;
export const HCM_H = slots(HCM_HISTOGRAMS.map((n) => [n, 'c'] as const));
export const LISTENER_HISTOGRAMS = ['downstream_cx_length_ms'] as const;
export const LISTENER_H = slots(LISTENER_HISTOGRAMS.map((n) => [n, 'c'] as const));

/** Optional cluster sections follow the per-code tables in the same block. */
export const HC_BASE = CLUSTER_BLOCK_SIZE;
export const OD_BASE = HC_BASE + HEALTH_CHECK_LIST.length;
export const CLUSTER_FULL_SIZE = OD_BASE + OUTLIER_LIST.length;
/** Listener TLS stats follow the plain listener stats. */
export const LISTENER_TLS_BASE = LISTENER_LIST.length;
export const LISTENER_FULL_SIZE = LISTENER_TLS_BASE + LISTENER_TLS_LIST.length;
