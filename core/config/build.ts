// Turns the normalised bootstrap tree (see schema.ts) into the frozen Snapshot, filling Envoy's defaults
// and checking what a schema cannot: cross references, duplicates, filter order, features that exist in
// Envoy but not here. File and environment data sources are read through the injected `ConfigEnv`.
import type * as C from './types.js';
import { T_CARES, T_DOWNSTREAM_TLS, T_FILE_LOG, T_GETADDRINFO, T_ROUTER, T_STDERR_LOG, T_STDOUT_LOG, T_UPSTREAM_HTTP, T_UPSTREAM_TLS } from './schema.js';
import type { WalkIssue } from './schema-dsl.js';
import { DEFAULT_HTTP2, DEFAULT_THRESHOLDS } from './defaults.js';
import { flattenRuntime } from './runtime.js';
import { stableListenerName } from './listener-name.js';
import { headersToRemove, headerValueOptions } from './header-mutations.js';
import { isIp } from './ip.js';
import {
  GRPC_RETRY_ON,
  HCM_NAMES,
  HEALTH_CHECK_NAMES,
  ROUTER_NAMES,
  TLS_INSPECTOR_NAMES,
  isEnvoyHttpFilter,
  isEnvoyListenerFilter,
  isEnvoyNetworkFilter,
  noImplementation,
} from './extension-names.js';
import { RETRY_ON_NAMES } from '../http/retry.js';

export { isIp, isIpv4 } from './ip.js';

/** What the pure loader needs from the outside world. */
export interface ConfigEnv {
  /** Reads a file for a `filename` data source; returns null if it cannot be read. */
  readFile(path: string): string | null;
  getEnv(name: string): string | undefined;
  serviceCluster?: string;
  serviceNode?: string;
  serviceZone?: string;
}

// The normalised tree is checked JSON; `any` keeps the walker's output readable here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type N = any;

class Builder {
  constructor(
    readonly env: ConfigEnv,
    readonly issues: WalkIssue[],
  ) {}

  err(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  readonly report = (path: string, message: string): void => this.err(path, message);

  /**
   * Refuses `msgName.field` when `o` sets it to anything but `allowed` (a value whose Envoy behaviour is
   * what nuncio does anyway): a feature nuncio lacks is refused by name, never ignored (issue 2).
   */
  refuseSet(o: N, field: string, path: string, msgName: string, allowed?: boolean | number, shown = String(allowed)): void {
    const v = o?.[field];
    if (v === undefined || v === allowed) return;
    const only = allowed === undefined ? '' : ` (only ${shown} is)`;
    this.err(`${path}.${field}`, `${msgName}.${field} is not supported by nuncio${only}`);
  }

  /**
   * Http1ProtocolOptions nuncio does not implement, downstream and upstream alike: only the values whose
   * Envoy behaviour is what nuncio does (absolute URLs accepted, trailers dropped, Envoy's method list,
   * an invalid message closes the connection). use_balsa_parser picks Envoy's parser: nothing to do.
   */
  h1OptionsNuncioLacks(o: N, path: string): void {
    this.refuseSet(o, 'allow_absolute_url', path, 'Http1ProtocolOptions', true);
    this.refuseSet(o, 'enable_trailers', path, 'Http1ProtocolOptions', false);
    this.refuseSet(o, 'allow_custom_methods', path, 'Http1ProtocolOptions', false);
    this.refuseSet(o, 'override_stream_error_on_invalid_http_message', path, 'Http1ProtocolOptions', false);
  }

  dataSource(ds: N, path: string): C.DataSource | null {
    if (!ds) return null;
    if (ds.filename !== undefined) return { kind: 'filename', value: ds.filename };
    if (ds.inline_string !== undefined) return { kind: 'inline_string', value: ds.inline_string };
    if (ds.inline_bytes !== undefined) return { kind: 'inline_bytes', value: ds.inline_bytes };
    if (ds.environment_variable !== undefined) return { kind: 'environment_variable', value: ds.environment_variable };
    this.err(path, 'empty data source');
    return null;
  }

  /** Resolves a data source to text now (used for direct_response bodies and format sources). */
  resolveText(ds: C.DataSource | null, path: string): string {
    if (!ds) return '';
    switch (ds.kind) {
      case 'inline_string':
        return ds.value;
      case 'inline_bytes':
        return Buffer.from(ds.value, 'base64').toString('utf8');
      case 'environment_variable': {
        const v = this.env.getEnv(ds.value);
        if (v === undefined) this.err(path, `environment variable "${ds.value}" is not set`);
        return v ?? '';
      }
      case 'filename': {
        const v = this.env.readFile(ds.value);
        if (v === null) this.err(path, `cannot read file "${ds.value}"`);
        return v ?? '';
      }
    }
  }

  /** `ip`: the address is resolved without DNS (listeners, admin), so it must be an IP literal. */
  socketAddress(a: N, path: string, ip = false): C.SocketAddress {
    const sa = a?.socket_address;
    if (!sa) {
      this.err(path, 'socket_address is required');
      return { address: '0.0.0.0', port: 0 };
    }
    if (sa.protocol === 'UDP') this.err(`${path}.socket_address.protocol`, 'UDP is not supported by nuncio');
    const address: string = sa.address ?? '';
    if (ip && !isIp(address)) this.err(`${path}.socket_address.address`, `malformed IP address: ${address}`);
    return { address, port: sa.port_value ?? 0 };
  }

  accessLogs(list: N[] | undefined, path: string): C.AccessLogConfig[] {
    const out: C.AccessLogConfig[] = [];
    (list ?? []).forEach((al: N, i: number) => {
      const p = `${path}[${i}]`;
      const tc = al.typed_config;
      if (!tc) return;
      const type = tc['@type'];
      let filePath = '';
      if (type === T_FILE_LOG) filePath = tc.path;
      else if (type === T_STDOUT_LOG) filePath = '/dev/stdout';
      else if (type === T_STDERR_LOG) filePath = '/dev/stderr';
      let textFormat: string | null = null;
      let jsonFormat: Record<string, unknown> | null = null;
      let typedJson = false;
      let omitEmpty = false;
      const lf = tc.log_format;
      if (lf) {
        omitEmpty = lf.omit_empty_values === true;
        if (lf.text_format !== undefined) textFormat = lf.text_format;
        else if (lf.text_format_source) {
          textFormat = this.resolveText(this.dataSource(lf.text_format_source, `${p}.typed_config.log_format.text_format_source`), `${p}.typed_config.log_format.text_format_source`);
        } else if (lf.json_format) {
          jsonFormat = lf.json_format;
          typedJson = true; // SubstitutionFormatString.json_format keeps value types
        }
      } else if (tc.format) textFormat = tc.format; // FileAccessLog: an empty format is the default one
      else if (tc.json_format) jsonFormat = tc.json_format;
      else if (tc.typed_json_format) {
        jsonFormat = tc.typed_json_format;
        typedJson = true;
      }
      // Both null: Envoy's default format (see compileFormat).
      out.push({ path: filePath, textFormat, jsonFormat, typedJson, omitEmptyValues: omitEmpty });
    });
    return out;
  }

  headerOptions(list: N[] | undefined, path: string): C.HeaderValueOption[] {
    return headerValueOptions(list, path, this.report);
  }

  mutations(o: N, path: string): C.HeaderMutations {
    return {
      requestHeadersToAdd: this.headerOptions(o.request_headers_to_add, `${path}.request_headers_to_add`),
      requestHeadersToRemove: headersToRemove(o.request_headers_to_remove, `${path}.request_headers_to_remove`, this.report),
      responseHeadersToAdd: this.headerOptions(o.response_headers_to_add, `${path}.response_headers_to_add`),
      responseHeadersToRemove: headersToRemove(o.response_headers_to_remove, `${path}.response_headers_to_remove`, this.report),
    };
  }

  stringMatch(m: N): C.StringMatch | null {
    if (!m) return null;
    const ic = m.ignore_case === true;
    if (m.exact !== undefined) return { kind: 'exact', value: m.exact, ignoreCase: ic };
    if (m.prefix !== undefined) return { kind: 'prefix', value: m.prefix, ignoreCase: ic };
    if (m.suffix !== undefined) return { kind: 'suffix', value: m.suffix, ignoreCase: ic };
    if (m.contains !== undefined) return { kind: 'contains', value: m.contains, ignoreCase: ic };
    if (m.safe_regex !== undefined) return { kind: 'regex', value: m.safe_regex.regex, ignoreCase: false };
    return null;
  }

  headerMatch(h: N): C.HeaderMatch {
    let kind: C.HeaderMatch['kind'] = 'present';
    let sm: C.StringMatch | null = null;
    let presentValue = true;
    let rs = 0;
    let re = 0;
    if (h.string_match) {
      kind = 'string';
      sm = this.stringMatch(h.string_match);
    } else if (h.exact_match !== undefined) {
      kind = 'string';
      sm = { kind: 'exact', value: h.exact_match, ignoreCase: false };
    } else if (h.prefix_match !== undefined) {
      kind = 'string';
      sm = { kind: 'prefix', value: h.prefix_match, ignoreCase: false };
    } else if (h.suffix_match !== undefined) {
      kind = 'string';
      sm = { kind: 'suffix', value: h.suffix_match, ignoreCase: false };
    } else if (h.contains_match !== undefined) {
      kind = 'string';
      sm = { kind: 'contains', value: h.contains_match, ignoreCase: false };
    } else if (h.safe_regex_match !== undefined) {
      kind = 'string';
      sm = { kind: 'regex', value: h.safe_regex_match.regex, ignoreCase: false };
    } else if (h.range_match) {
      kind = 'range';
      rs = h.range_match.start ?? 0;
      re = h.range_match.end ?? 0;
    } else if (h.present_match !== undefined) {
      presentValue = h.present_match;
    }
    return {
      name: String(h.name).toLowerCase(),
      kind,
      presentValue,
      string: sm,
      rangeStart: rs,
      rangeEnd: re,
      invert: h.invert_match === true,
      treatMissingAsEmpty: h.treat_missing_header_as_empty === true,
    };
  }

  retryPolicy(r: N, path: string): C.RetryPolicy | null {
    if (!r) return null;
    const base = r.retry_back_off?.base_interval ?? 25;
    // Envoy splits on ',' and trims; names it does not know are ignored (RetryPolicyImpl keeps only
    // the bits), so only the real conditions nuncio lacks are refused.
    const retryOn = String(r.retry_on ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const name of retryOn) {
      if (GRPC_RETRY_ON.has(name) && !RETRY_ON_NAMES.includes(name)) {
        this.err(`${path}.retry_on`, `retry_on condition '${name}' (gRPC) is not supported by nuncio`);
      }
    }
    // 0 is Envoy's "no per-try idle timeout", which nuncio has.
    this.refuseSet(r, 'per_try_idle_timeout', path, 'RetryPolicy', 0, '0s');
    const maxBackOff = r.retry_back_off?.max_interval ?? base * 10;
    if (maxBackOff < base) {
      this.err(`${path}.retry_back_off`, 'retry_policy.max_interval must greater than or equal to the base_interval');
    }
    return {
      retryOn,
      numRetries: r.num_retries ?? 1,
      perTryTimeoutMs: r.per_try_timeout ?? 0,
      perTryIdleTimeoutMs: r.per_try_idle_timeout ?? 0,
      retriableStatusCodes: r.retriable_status_codes ?? [],
      backOffBaseMs: base,
      backOffMaxMs: maxBackOff,
      hostSelectionRetryMaxAttempts: r.host_selection_retry_max_attempts ?? 1,
    };
  }

  route(r: N, path: string, maxBody: number): C.Route {
    const m = r.match ?? {};
    let kind: C.RouteMatch['kind'] = 'prefix';
    let value = '';
    if (m.prefix !== undefined) value = m.prefix;
    else if (m.path !== undefined) (kind = 'path'), (value = m.path);
    else if (m.safe_regex !== undefined) (kind = 'regex'), (value = m.safe_regex.regex);
    else if (m.path_separated_prefix !== undefined) {
      // Its PGV pattern is checked with the other route rules in core/router/check.ts.
      kind = 'path_separated_prefix';
      value = m.path_separated_prefix;
    }
    const match: C.RouteMatch = {
      kind,
      value,
      caseSensitive: m.case_sensitive !== false,
      headers: (m.headers ?? []).map((h: N) => this.headerMatch(h)),
      queryParameters: (m.query_parameters ?? []).map((q: N) => ({
        name: q.name,
        kind: q.string_match ? 'string' : 'present',
        string: this.stringMatch(q.string_match),
      })),
      tlsPresented: m.tls_context?.presented ?? null,
    };
    if (m.tls_context?.validated !== undefined) this.err(`${path}.match.tls_context.validated`, 'not supported by nuncio');
    let action: C.Route['action'];
    if (r.route) action = this.routeAction(r.route, `${path}.route`);
    else if (r.redirect) {
      const d = r.redirect;
      const codes: Record<string, number> = {
        MOVED_PERMANENTLY: 301,
        FOUND: 302,
        SEE_OTHER: 303,
        TEMPORARY_REDIRECT: 307,
        PERMANENT_REDIRECT: 308,
      };
      action = {
        type: 'redirect',
        // Envoy treats empty redirect strings as unset.
        scheme: d.https_redirect ? 'https' : d.scheme_redirect || null,
        host: d.host_redirect || null,
        port: d.port_redirect ?? 0,
        path: d.path_redirect || null,
        prefixRewrite: d.prefix_rewrite ?? null,
        regexRewrite: d.regex_rewrite ? { pattern: d.regex_rewrite.pattern.regex, substitution: d.regex_rewrite.substitution ?? '' } : null,
        responseCode: codes[d.response_code ?? 'MOVED_PERMANENTLY'],
        stripQuery: d.strip_query === true,
      };
    } else {
      const dr = r.direct_response ?? {};
      const body = this.resolveText(this.dataSource(dr.body, `${path}.direct_response.body`), `${path}.direct_response.body`);
      if (Buffer.byteLength(body) > maxBody) {
        this.err(`${path}.direct_response.body`, `response body size is ${Buffer.byteLength(body)} bytes; maximum is ${maxBody}`);
      }
      action = { type: 'direct_response', status: dr.status ?? 200, body };
    }
    return { name: r.name ?? '', match, action, ...this.mutations(r, path) };
  }

  routeAction(a: N, path: string): C.RouteAction {
    const notFound: Record<string, number> = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 };
    let weighted: C.WeightedClusterEntry[] | null = null;
    if (a.weighted_clusters) {
      weighted = (a.weighted_clusters.clusters ?? []).map((c: N, i: number) => ({
        name: c.name,
        weight: c.weight ?? 0,
        ...this.mutations(c, `${path}.weighted_clusters.clusters[${i}]`),
      }));
      // Sums of weights are checked with the other route rules in core/router/check.ts.
      if (a.weighted_clusters.runtime_key_prefix) this.err(`${path}.weighted_clusters.runtime_key_prefix`, 'not supported by nuncio');
      (a.weighted_clusters.clusters ?? []).forEach((c: N, i: number) => {
        if (c.host_rewrite_literal) this.err(`${path}.weighted_clusters.clusters[${i}].host_rewrite_literal`, 'not supported by nuncio');
      });
    }
    if (a.priority === 'HIGH') this.err(`${path}.priority`, 'HIGH priority routing is not supported by nuncio');
    if (a.append_x_forwarded_host) this.err(`${path}.append_x_forwarded_host`, 'not supported by nuncio');
    return {
      type: 'route',
      cluster: a.cluster ?? null,
      clusterHeader: a.cluster_header ? String(a.cluster_header).toLowerCase() : null,
      weightedClusters: weighted,
      clusterNotFoundResponseCode: notFound[a.cluster_not_found_response_code ?? 'SERVICE_UNAVAILABLE'],
      prefixRewrite: a.prefix_rewrite ?? null,
      regexRewrite: a.regex_rewrite ? { pattern: a.regex_rewrite.pattern.regex, substitution: a.regex_rewrite.substitution ?? '' } : null,
      pathRewrite: null,
      hostRewriteLiteral: a.host_rewrite_literal || null,
      autoHostRewrite: a.auto_host_rewrite === true,
      hostRewriteHeader: a.host_rewrite_header ? String(a.host_rewrite_header).toLowerCase() : null,
      timeoutMs: a.timeout ?? 15000,
      idleTimeoutMs: a.idle_timeout ?? 0,
      retryPolicy: this.retryPolicy(a.retry_policy, `${path}.retry_policy`),
    };
  }

  routeConfig(rc: N, path: string): C.RouteConfig {
    const maxBody = rc.max_direct_response_body_size_bytes ?? 4096;
    // false: mutations from most to least specific (route, virtual host, route config), nuncio's order.
    this.refuseSet(rc, 'most_specific_header_mutations_wins', path, 'RouteConfiguration', false);
    return {
      name: rc.name ?? '',
      virtualHosts: (rc.virtual_hosts ?? []).map((vh: N, i: number) => {
        const p = `${path}.virtual_hosts[${i}]`;
        return {
          name: vh.name ?? '',
          domains: (vh.domains ?? []).map((d: string) => d.toLowerCase()),
          routes: (vh.routes ?? []).map((r: N, j: number) => this.route(r, `${p}.routes[${j}]`, maxBody)),
          requireTls: vh.require_tls ?? 'NONE',
          retryPolicy: this.retryPolicy(vh.retry_policy, `${p}.retry_policy`),
          includeRequestAttemptCount: vh.include_request_attempt_count === true,
          includeAttemptCountInResponse: vh.include_attempt_count_in_response === true,
          ...this.mutations(vh, p),
        };
      }),
      internalOnlyHeaders: (rc.internal_only_headers ?? []).map((h: string) => h.toLowerCase()),
      validateClusters: rc.validate_clusters !== false,
      ignorePortInHostMatching: rc.ignore_port_in_host_matching === true,
      maxDirectResponseBodySizeBytes: maxBody,
      ...this.mutations(rc, path),
    };
  }

  http2(o: N): C.Http2Options {
    if (!o) return DEFAULT_HTTP2;
    return {
      maxConcurrentStreams: o.max_concurrent_streams ?? DEFAULT_HTTP2.maxConcurrentStreams,
      initialStreamWindowSize: o.initial_stream_window_size ?? DEFAULT_HTTP2.initialStreamWindowSize,
      initialConnectionWindowSize: o.initial_connection_window_size ?? DEFAULT_HTTP2.initialConnectionWindowSize,
      maxOutboundFrames: o.max_outbound_frames ?? DEFAULT_HTTP2.maxOutboundFrames,
      maxOutboundControlFrames: o.max_outbound_control_frames ?? DEFAULT_HTTP2.maxOutboundControlFrames,
      maxConsecutiveInboundFramesWithEmptyPayload:
        o.max_consecutive_inbound_frames_with_empty_payload ?? DEFAULT_HTTP2.maxConsecutiveInboundFramesWithEmptyPayload,
      maxInboundPriorityFramesPerStream: o.max_inbound_priority_frames_per_stream ?? DEFAULT_HTTP2.maxInboundPriorityFramesPerStream,
      maxInboundWindowUpdateFramesPerDataFrameSent:
        o.max_inbound_window_update_frames_per_data_frame_sent ?? DEFAULT_HTTP2.maxInboundWindowUpdateFramesPerDataFrameSent,
    };
  }

  hcm(h: N, path: string): C.HcmConfig {
    let healthCheck: C.HcmConfig['healthCheck'] = null;
    let suppressEnvoyHeaders = false;
    let respectExpectedRqTimeout = false;
    const filters: N[] = h.http_filters ?? [];
    if (filters.length === 0) {
      // Envoy accepts an empty chain (and then never answers); nuncio always routes.
      this.err(`${path}.http_filters`, 'an HTTP filter chain without envoy.filters.http.router is not supported by nuncio');
    }
    filters.forEach((f: N, i: number) => {
      const p = `${path}.http_filters[${i}]`;
      const last = i === filters.length - 1;
      if (f.disabled) {
        this.err(`${p}.disabled`, 'disabled filters are not supported by nuncio');
        return;
      }
      const tc = f.typed_config;
      // A filter with a typed_config is the type's (the walker refused other types); without one,
      // the name decides, legacy names included.
      let kind: 'router' | 'health_check';
      if (tc !== undefined) kind = tc['@type'] === T_ROUTER ? 'router' : 'health_check';
      else if (ROUTER_NAMES.has(f.name)) kind = 'router';
      else if (HEALTH_CHECK_NAMES.has(f.name)) {
        this.err(`${p}.typed_config.pass_through_mode`, 'is required');
        return;
      } else if (isEnvoyHttpFilter(f.name)) {
        this.err(p, `HTTP filter ${f.name} is not supported by nuncio`);
        return;
      } else {
        if (!f.is_optional) this.err(p, noImplementation(f.name));
        return;
      }
      if (kind === 'router') {
        if (!last) {
          this.err(p, `Error: terminal filter named ${f.name} of type envoy.filters.http.router must be the last filter in a http filter chain.`);
        }
        suppressEnvoyHeaders = tc?.suppress_envoy_headers === true;
        respectExpectedRqTimeout = tc?.respect_expected_rq_timeout === true;
        // true: nuncio always keeps the per-cluster response code and timing stats.
        this.refuseSet(tc, 'dynamic_stats', `${p}.typed_config`, 'Router', true);
        return;
      }
      if (last) {
        this.err(p, `Error: non-terminal filter named ${f.name} of type envoy.filters.http.health_check is the last filter in a http filter chain.`);
      }
      healthCheck = {
        passThroughMode: tc.pass_through_mode === true,
        headers: (tc.headers ?? []).map((x: N) => this.headerMatch(x)),
      };
    });
    if (h.codec_type === 'HTTP3') this.err(`${path}.codec_type`, 'HTTP3 is not supported by nuncio');
    const common = h.common_http_protocol_options ?? {};
    const h1 = h.http_protocol_options ?? {};
    this.h1OptionsNuncioLacks(h.http_protocol_options, `${path}.http_protocol_options`);
    if (h1.default_host_for_http_10) this.err(`${path}.http_protocol_options.default_host_for_http_10`, 'not supported by nuncio');
    // http_protocol_options.send_fully_qualified_url is a client-codec option: Envoy's downstream codec
    // does not read it either, so here it changes nothing in Envoy or nuncio.
    // 0 is Envoy's "no limit"; a stream limit is not implemented.
    this.refuseSet(common, 'max_stream_duration', `${path}.common_http_protocol_options`, 'HttpProtocolOptions', 0, '0s');
    // 0: the final GOAWAY at once when draining, which is what nuncio sends; the two-step drain is not implemented.
    this.refuseSet(h, 'drain_timeout', path, 'HttpConnectionManager', 0, '0s');
    this.refuseSet(h, 'delayed_close_timeout', path, 'HttpConnectionManager');
    if (common.max_response_headers_kb !== undefined) {
      // Accepted: upstream response heads are limited to this size.
    }
    const cidrs = (h.internal_address_config?.cidr_ranges ?? []).map((c: N) => `${c.address_prefix}/${c.prefix_len ?? 32}`);
    return {
      codec: h.codec_type ?? 'AUTO',
      statPrefix: h.stat_prefix ?? '',
      routeConfig: this.routeConfig(h.route_config ?? {}, `${path}.route_config`),
      serverName: h.server_name || 'envoy',
      serverHeaderTransformation: h.server_header_transformation ?? 'OVERWRITE',
      useRemoteAddress: h.use_remote_address === true,
      xffNumTrustedHops: h.xff_num_trusted_hops ?? 0,
      skipXffAppend: h.skip_xff_append === true,
      generateRequestId: h.generate_request_id !== false,
      preserveExternalRequestId: h.preserve_external_request_id === true,
      idleTimeoutMs: common.idle_timeout ?? 3600_000,
      streamIdleTimeoutMs: h.stream_idle_timeout ?? 300_000,
      requestTimeoutMs: h.request_timeout ?? 0,
      requestHeadersTimeoutMs: h.request_headers_timeout ?? 0,
      drainTimeoutMs: h.drain_timeout ?? 5000,
      maxRequestHeadersKb: h.max_request_headers_kb ?? 60,
      maxHeadersCount: common.max_headers_count ?? 100,
      maxConnectionDurationMs: common.max_connection_duration ?? 0,
      maxStreamDurationMs: common.max_stream_duration ?? 0,
      headersWithUnderscoresAction: common.headers_with_underscores_action ?? 'ALLOW',
      normalizePath: h.normalize_path === true,
      mergeSlashes: h.merge_slashes === true,
      pathWithEscapedSlashesAction: h.path_with_escaped_slashes_action ?? 'IMPLEMENTATION_SPECIFIC_DEFAULT',
      stripMatchingHostPort: h.strip_matching_host_port === true,
      stripAnyHostPort: h.strip_any_host_port === true,
      acceptHttp10: h1.accept_http_10 === true,
      http2: this.http2(h.http2_protocol_options),
      accessLogs: this.accessLogs(h.access_log, `${path}.access_log`),
      healthCheck,
      internalCidrs: cidrs,
      suppressEnvoyHeaders,
      alwaysSetRequestIdInResponse: h.always_set_request_id_in_response === true,
      respectExpectedRqTimeout,
    };
  }

  commonTls(c: N, path: string): C.CommonTlsContext {
    const vc = c?.validation_context;
    const tp = c?.tls_params ?? {};
    const ver = (v: string | undefined): C.TlsParams['minVersion'] =>
      !v || v === 'TLS_AUTO' ? 'AUTO' : (v.replace('TLSV', 'TLSv') as C.TlsParams['minVersion']);
    return {
      tlsCertificates: (c?.tls_certificates ?? []).map((t: N, i: number) => ({
        certificateChain: this.dataSource(t.certificate_chain, `${path}.tls_certificates[${i}].certificate_chain`)!,
        privateKey: this.dataSource(t.private_key, `${path}.tls_certificates[${i}].private_key`)!,
        password: this.dataSource(t.password, `${path}.tls_certificates[${i}].password`),
      })),
      validationContext: vc
        ? {
            trustedCa: this.dataSource(vc.trusted_ca, `${path}.validation_context.trusted_ca`),
            matchSubjectAltNames: (vc.match_subject_alt_names ?? []).map((m: N) => this.stringMatch(m)!),
          }
        : null,
      alpnProtocols: c?.alpn_protocols ?? [],
      params: {
        minVersion: ver(tp.tls_minimum_protocol_version),
        maxVersion: ver(tp.tls_maximum_protocol_version),
        cipherSuites: tp.cipher_suites ?? [],
        ecdhCurves: tp.ecdh_curves ?? [],
      },
    };
  }

  listener(l: N, i: number, names: Map<string, number>, addrs: Map<string, number>): C.ListenerConfig {
    const path = `static_resources.listeners[${i}]`;
    const address = this.socketAddress(l.address, `${path}.address`, true);
    const key = address.address.includes(':') ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
    const name = l.name || stableListenerName(address);
    // An unnamed listener's name comes from its address, which the address check below covers.
    if (l.name && names.has(name)) this.err(`${path}.name`, `error adding listener named '${name}': duplicate listener (also listeners[${names.get(name)}])`);
    names.set(name, i);
    if (address.port !== 0) {
      if (addrs.has(key)) {
        this.err(`${path}.address`, `error adding listener '${key}': address already used by listeners[${addrs.get(key)}]`);
      }
      addrs.set(key, i);
    }
    const chains: N[] = l.filter_chains ?? [];
    if (chains.length === 0) this.err(`${path}.filter_chains`, `error adding listener '${key}': no filter chains specified`);
    const seenNames = new Set<string>();
    const filterChains: C.FilterChain[] = [];
    chains.forEach((fc: N, j: number) => {
      const p = `${path}.filter_chains[${j}]`;
      const filters: N[] = fc.filters ?? [];
      if (filters.length === 0) {
        // Envoy accepts it and closes every connection; nuncio only serves HTTP.
        this.err(`${p}.filters`, 'a filter chain without envoy.filters.network.http_connection_manager is not supported by nuncio');
        return;
      }
      // The walker let only HttpConnectionManager typed configs through; without one the name decides.
      let hcmAt = -1;
      filters.forEach((f: N, k: number) => {
        const fp = `${p}.filters[${k}]`;
        if (f.typed_config === undefined) {
          if (HCM_NAMES.has(f.name)) this.err(`${fp}.typed_config.stat_prefix`, 'is required');
          else if (isEnvoyNetworkFilter(f.name)) this.err(fp, `network filter ${f.name} is not supported by nuncio`);
          else this.err(fp, noImplementation(f.name));
          return;
        }
        if (k !== filters.length - 1) {
          this.err(fp, `Error: terminal filter named ${f.name} of type envoy.filters.network.http_connection_manager must be the last filter in a network filter chain.`);
        }
        if (hcmAt < 0) hcmAt = k;
      });
      if (hcmAt < 0) return;
      const serverNames: string[] = (fc.filter_chain_match?.server_names ?? []).map((s: string) => s.toLowerCase());
      const matchKey = serverNames.slice().sort().join(',');
      if (seenNames.has(matchKey)) {
        this.err(`${p}.filter_chain_match`, `multiple filter chains with the same matching rules are defined`);
      }
      seenNames.add(matchKey);
      const tp = fc.filter_chain_match?.transport_protocol;
      if (tp && tp !== 'tls' && tp !== 'raw_buffer') this.err(`${p}.filter_chain_match.transport_protocol`, `unknown transport protocol "${tp}"`);
      let tls: C.DownstreamTlsContext | null = null;
      const ts = fc.transport_socket?.typed_config;
      if (ts && ts['@type'] === T_DOWNSTREAM_TLS) {
        const tp2 = `${p}.transport_socket.typed_config`;
        const common = this.commonTls(ts.common_tls_context, `${tp2}.common_tls_context`);
        if (common.tlsCertificates.length === 0) {
          this.err(`${tp2}.common_tls_context.tls_certificates`, 'a DownstreamTlsContext needs at least one certificate');
        }
        if (ts.require_client_certificate && !common.validationContext?.trustedCa) {
          this.err(`${tp2}.require_client_certificate`, 'requires validation_context.trusted_ca');
        }
        tls = { common, requireClientCertificate: ts.require_client_certificate === true, requireSni: ts.require_sni === true };
      }
      const hcm = this.hcm(filters[hcmAt].typed_config, `${p}.filters[${hcmAt}].typed_config`);
      filterChains.push({ name: fc.name ?? '', serverNames, tls, hcm });
    });
    (l.listener_filters ?? []).forEach((lf: N, k: number) => {
      if (lf.typed_config !== undefined || TLS_INSPECTOR_NAMES.has(lf.name)) return;
      const lp = `${path}.listener_filters[${k}]`;
      if (isEnvoyListenerFilter(lf.name)) this.err(lp, `listener filter ${lf.name} is not supported by nuncio`);
      else this.err(lp, noImplementation(lf.name));
    });
    const statPrefix = l.stat_prefix || `${address.address.includes(':') ? `[${address.address}]` : address.address}_${address.port}`.replace(/:/g, '_');
    return {
      name,
      address,
      statPrefix,
      filterChains,
      perConnectionBufferLimitBytes: l.per_connection_buffer_limit_bytes ?? 1024 * 1024,
      ignoreGlobalConnLimit: l.ignore_global_conn_limit === true,
    };
  }

  thresholds(list: N[] | undefined, path: string): C.ClusterConfig['circuitBreakers'] {
    let def: C.CircuitBreakerThresholds = DEFAULT_THRESHOLDS;
    let high: C.CircuitBreakerThresholds = DEFAULT_THRESHOLDS;
    const seen = new Set<string>();
    (list ?? []).forEach((t: N, i: number) => {
      const pr = t.priority ?? 'DEFAULT';
      if (seen.has(pr)) this.err(`${path}[${i}].priority`, `duplicate thresholds for priority ${pr}`);
      seen.add(pr);
      this.refuseSet(t, 'track_remaining', `${path}[${i}]`, 'CircuitBreakers.Thresholds', false);
      const v: C.CircuitBreakerThresholds = {
        maxConnections: t.max_connections ?? 1024,
        maxPendingRequests: t.max_pending_requests ?? 1024,
        maxRequests: t.max_requests ?? 1024,
        maxRetries: t.max_retries ?? 3,
        retryBudget: t.retry_budget
          ? { budgetPercent: t.retry_budget.budget_percent?.value ?? 20, minRetryConcurrency: t.retry_budget.min_retry_concurrency ?? 3 }
          : null,
      };
      if (pr === 'HIGH') high = v;
      else def = v;
    });
    return { default: def, high };
  }

  dnsResolvers(c: N, path: string, fallback: C.SocketAddress[]): C.SocketAddress[] {
    const tdrc = c.typed_dns_resolver_config;
    if (tdrc) {
      const tc = tdrc.typed_config ?? {};
      if (tc['@type'] === T_GETADDRINFO) return [];
      if (tc['@type'] === T_CARES) {
        if (tc.use_resolvers_as_fallback) this.err(`${path}.typed_dns_resolver_config.typed_config.use_resolvers_as_fallback`, 'not supported by nuncio');
        if (tc.dns_resolver_options?.use_tcp_for_dns_lookups) {
          this.err(`${path}.typed_dns_resolver_config.typed_config.dns_resolver_options.use_tcp_for_dns_lookups`, 'not supported by nuncio');
        }
        return (tc.resolvers ?? []).map((a: N, i: number) => this.resolverAddress(a, `${path}.typed_dns_resolver_config.typed_config.resolvers[${i}]`));
      }
      return [];
    }
    if (c.dns_resolution_config) {
      return (c.dns_resolution_config.resolvers ?? []).map((a: N, i: number) => this.resolverAddress(a, `${path}.dns_resolution_config.resolvers[${i}]`));
    }
    if (c.dns_resolvers) return c.dns_resolvers.map((a: N, i: number) => this.resolverAddress(a, `${path}.dns_resolvers[${i}]`));
    if (c.use_tcp_for_dns_lookups) this.err(`${path}.use_tcp_for_dns_lookups`, 'not supported by nuncio');
    return fallback;
  }

  resolverAddress(a: N, path: string): C.SocketAddress {
    const sa = this.socketAddress(a, path);
    if (!isIp(sa.address)) this.err(`${path}.socket_address.address`, `DNS resolver address must be an IP address, got "${sa.address}"`);
    return { address: sa.address, port: sa.port || 53 };
  }

  cluster(c: N, i: number, defaultResolvers: C.SocketAddress[]): C.ClusterConfig {
    const path = `static_resources.clusters[${i}]`;
    const type: string = c.type ?? 'STATIC';
    if (type === 'EDS' || type === 'ORIGINAL_DST') this.err(`${path}.type`, `cluster type ${type} is not supported by nuncio`);
    const lb: string = c.lb_policy ?? 'ROUND_ROBIN';
    if (!['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM'].includes(lb)) this.err(`${path}.lb_policy`, `lb_policy ${lb} is not supported by nuncio`);
    const endpoints: C.Endpoint[] = [];
    const la = c.load_assignment;
    (la?.endpoints ?? []).forEach((le: N, j: number) => {
      (le.lb_endpoints ?? []).forEach((e: N, k: number) => {
        const p = `${path}.load_assignment.endpoints[${j}].lb_endpoints[${k}].endpoint`;
        const sa = this.socketAddress(e.endpoint?.address, `${p}.address`);
        if (type === 'STATIC' && !isIp(sa.address)) {
          this.err(`${p}.address.socket_address.address`, `malformed IP address: ${sa.address} (STATIC clusters need IP addresses; use STRICT_DNS for names)`);
        }
        if (sa.port === 0) this.err(`${p}.address.socket_address.port_value`, 'port must be set');
        if (e.health_status && e.health_status !== 'UNKNOWN' && e.health_status !== 'HEALTHY') {
          this.err(`${path}.load_assignment.endpoints[${j}].lb_endpoints[${k}].health_status`, `static health_status ${e.health_status} is not supported by nuncio`);
        }
        endpoints.push({
          address: sa.address,
          port: sa.port,
          hostname: e.endpoint?.hostname ?? '',
          weight: e.load_balancing_weight ?? 1,
          priority: le.priority ?? 0,
          locality: { region: le.locality?.region ?? '', zone: le.locality?.zone ?? '', subZone: le.locality?.sub_zone ?? '' },
        });
      });
      if (le.priority) this.err(`${path}.load_assignment.endpoints[${j}].priority`, 'endpoint priorities other than 0 are not supported by nuncio');
      if (le.load_balancing_weight !== undefined) this.err(`${path}.load_assignment.endpoints[${j}].load_balancing_weight`, 'locality weights are not supported by nuncio');
    });
    if (type === 'LOGICAL_DNS' && ((la?.endpoints ?? []).length !== 1 || (la.endpoints[0].lb_endpoints ?? []).length !== 1)) {
      this.err(`${path}.load_assignment`, 'LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint');
    }
    let protocol: C.UpstreamProtocol = 'http1';
    let h2: N = c.http2_protocol_options;
    let common: N = c.common_http_protocol_options ?? {};
    const teo = c.typed_extension_protocol_options ?? {};
    for (const [key, v] of Object.entries(teo) as [string, N][]) {
      if (!v) continue;
      if (key !== 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions' && v['@type'] !== T_UPSTREAM_HTTP) {
        this.err(`${path}.typed_extension_protocol_options.${key}`, `unknown protocol options "${key}"`);
        continue;
      }
      if (c.http2_protocol_options || c.http_protocol_options || c.common_http_protocol_options) {
        this.err(`${path}.typed_extension_protocol_options`, 'cannot be combined with the deprecated http_protocol_options / http2_protocol_options / common_http_protocol_options');
      }
      if (v.explicit_http_config?.http2_protocol_options) h2 = v.explicit_http_config.http2_protocol_options;
      const h1p = `${path}.typed_extension_protocol_options.${key}.explicit_http_config.http_protocol_options`;
      this.refuseSet(v.explicit_http_config?.http_protocol_options, 'send_fully_qualified_url', h1p, 'Http1ProtocolOptions', false);
      this.h1OptionsNuncioLacks(v.explicit_http_config?.http_protocol_options, h1p);
      this.refuseSet(v.explicit_http_config?.http_protocol_options, 'accept_http_10', h1p, 'Http1ProtocolOptions', false);
      const cp = `${path}.typed_extension_protocol_options.${key}.common_http_protocol_options`;
      this.refuseSet(v.common_http_protocol_options, 'max_stream_duration', cp, 'HttpProtocolOptions', 0, '0s');
      if (v.common_http_protocol_options) common = v.common_http_protocol_options;
      if (v.upstream_http_protocol_options) this.err(`${path}.typed_extension_protocol_options.${key}.upstream_http_protocol_options`, 'not supported by nuncio');
    }
    if (h2) protocol = 'http2';
    this.refuseSet(c.http_protocol_options, 'send_fully_qualified_url', `${path}.http_protocol_options`, 'Http1ProtocolOptions', false);
    this.h1OptionsNuncioLacks(c.http_protocol_options, `${path}.http_protocol_options`);
    this.refuseSet(c.http_protocol_options, 'accept_http_10', `${path}.http_protocol_options`, 'Http1ProtocolOptions', false);
    this.refuseSet(c.common_http_protocol_options, 'max_stream_duration', `${path}.common_http_protocol_options`, 'HttpProtocolOptions', 0, '0s');
    this.refuseSet(c, 'respect_dns_ttl', path, 'Cluster', false);
    this.refuseSet(c, 'close_connections_on_host_health_failure', path, 'Cluster', false);
    if (c.protocol_selection === 'USE_DOWNSTREAM_PROTOCOL') this.err(`${path}.protocol_selection`, 'USE_DOWNSTREAM_PROTOCOL is not supported by nuncio');
    let tls: C.UpstreamTlsContext | null = null;
    const ts = c.transport_socket?.typed_config;
    if (ts && ts['@type'] === T_UPSTREAM_TLS) {
      tls = { common: this.commonTls(ts.common_tls_context, `${path}.transport_socket.typed_config.common_tls_context`), sni: ts.sni ?? '' };
    }
    const hcs: C.HealthCheckConfig[] = (c.health_checks ?? []).map((h: N, j: number) => {
      const hh = h.http_health_check ?? {};
      const p = `${path}.health_checks[${j}]`;
      if (hh.codec_client_type === 'HTTP3') this.err(`${p}.http_health_check.codec_client_type`, 'HTTP3 is not supported by nuncio');
      if (hh.method && !['METHOD_UNSPECIFIED', 'GET', 'HEAD'].includes(hh.method)) this.err(`${p}.http_health_check.method`, `method ${hh.method} is not supported`);
      const interval = h.interval ?? 1000;
      for (const f of ['unhealthy_edge_interval', 'healthy_edge_interval', 'no_traffic_healthy_interval']) this.refuseSet(h, f, p, 'HealthCheck');
      this.refuseSet(h, 'interval_jitter_percent', p, 'HealthCheck', 0);
      this.refuseSet(h, 'initial_jitter', p, 'HealthCheck', 0, '0s');
      return {
        timeoutMs: h.timeout ?? 1000,
        intervalMs: interval,
        intervalJitterMs: h.interval_jitter ?? 0,
        unhealthyThreshold: h.unhealthy_threshold ?? 1,
        healthyThreshold: h.healthy_threshold ?? 1,
        noTrafficIntervalMs: h.no_traffic_interval ?? 60_000,
        unhealthyIntervalMs: h.unhealthy_interval ?? interval,
        healthyEdgeIntervalMs: h.healthy_edge_interval ?? interval,
        unhealthyEdgeIntervalMs: h.unhealthy_edge_interval ?? h.unhealthy_interval ?? interval,
        reuseConnection: h.reuse_connection !== false,
        http: {
          path: hh.path ?? '/',
          host: hh.host ?? '',
          expectedStatuses: (hh.expected_statuses ?? [{ start: 200, end: 201 }]).map((r: N) => [r.start ?? 0, r.end ?? 0] as const),
          requestHeadersToAdd: this.headerOptions(hh.request_headers_to_add, `${p}.http_health_check.request_headers_to_add`),
          requestHeadersToRemove: headersToRemove(hh.request_headers_to_remove, `${p}.http_health_check.request_headers_to_remove`, this.report),
          codecClientType: hh.codec_client_type === 'HTTP2' ? 'HTTP2' : 'HTTP1',
        },
      };
    });
    const od = c.outlier_detection;
    const refresh = c.dns_refresh_rate ?? 5000;
    return {
      name: c.name,
      altStatName: c.alt_stat_name ?? '',
      type: (type === 'EDS' || type === 'ORIGINAL_DST' ? 'STATIC' : type) as C.ClusterType,
      connectTimeoutMs: c.connect_timeout ?? 5000,
      lbPolicy: (['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM'].includes(lb) ? lb : 'ROUND_ROBIN') as C.LbPolicy,
      leastRequestChoiceCount: c.least_request_lb_config?.choice_count ?? 2,
      endpoints,
      dnsRefreshRateMs: refresh,
      dnsFailureRefreshRateMs: c.dns_failure_refresh_rate?.base_interval ?? refresh,
      respectDnsTtl: c.respect_dns_ttl === true,
      dnsLookupFamily: c.dns_lookup_family ?? 'AUTO',
      dnsResolvers: this.dnsResolvers(c, path, defaultResolvers),
      protocol,
      http2: this.http2(h2),
      upstreamIdleTimeoutMs: common.idle_timeout ?? 3600_000,
      maxRequestsPerConnection: common.max_requests_per_connection ?? c.max_requests_per_connection ?? 0,
      perConnectionBufferLimitBytes: c.per_connection_buffer_limit_bytes ?? 1024 * 1024,
      circuitBreakers: this.thresholds(c.circuit_breakers?.thresholds, `${path}.circuit_breakers.thresholds`),
      healthChecks: hcs,
      outlierDetection: od
        ? {
            consecutive5xx: od.consecutive_5xx ?? 5,
            consecutiveGatewayFailure: od.consecutive_gateway_failure ?? 5,
            consecutiveLocalOriginFailure: od.consecutive_local_origin_failure ?? 5,
            intervalMs: od.interval ?? 10_000,
            baseEjectionTimeMs: od.base_ejection_time ?? 30_000,
            maxEjectionTimeMs: od.max_ejection_time ?? 300_000,
            maxEjectionPercent: od.max_ejection_percent ?? 10,
            enforcingConsecutive5xx: od.enforcing_consecutive_5xx ?? 100,
            enforcingConsecutiveGatewayFailure: od.enforcing_consecutive_gateway_failure ?? 0,
            splitExternalLocalOriginErrors: od.split_external_local_origin_errors === true,
          }
        : null,
      healthyPanicThresholdPercent: c.common_lb_config?.healthy_panic_threshold?.value ?? 50,
      tls,
    };
  }
}

/** Builds the snapshot; problems are appended to `issues` (the snapshot is only valid if none were). */
export function buildSnapshot(tree: N, env: ConfigEnv, issues: WalkIssue[]): C.Snapshot {
  const b = new Builder(env, issues);
  const sr = tree.static_resources ?? {};
  let defaultResolvers: C.SocketAddress[] = [];
  if (tree.typed_dns_resolver_config || tree.dns_resolution_config) {
    defaultResolvers = b.dnsResolvers(tree, '', []);
  }
  const clusterNames = new Map<string, number>();
  const clusters: C.ClusterConfig[] = (sr.clusters ?? []).map((c: N, i: number) => {
    if (clusterNames.has(c.name)) {
      b.err(`static_resources.clusters[${i}].name`, `cluster manager: duplicate cluster '${c.name}' (also clusters[${clusterNames.get(c.name)}])`);
    }
    clusterNames.set(c.name, i);
    return b.cluster(c, i, defaultResolvers);
  });
  const names = new Map<string, number>();
  const addrs = new Map<string, number>();
  const listeners: C.ListenerConfig[] = (sr.listeners ?? []).map((l: N, i: number) => b.listener(l, i, names, addrs));

  // Route -> cluster references (validate_clusters defaults to true for inline route configs).
  listeners.forEach((l, i) =>
    l.filterChains.forEach((fc, j) => {
      const rc = fc.hcm.routeConfig;
      if (!rc.validateClusters) return;
      const base = `static_resources.listeners[${i}].filter_chains[${j}].filters[0].typed_config.route_config`;
      rc.virtualHosts.forEach((vh, k) =>
        vh.routes.forEach((r, m) => {
          if (r.action.type !== 'route') return;
          const p = `${base}.virtual_hosts[${k}].routes[${m}].route`;
          if (r.action.cluster !== null && !clusterNames.has(r.action.cluster)) {
            b.err(`${p}.cluster`, `route: unknown cluster '${r.action.cluster}'`);
          }
          r.action.weightedClusters?.forEach((w, n) => {
            if (!clusterNames.has(w.name)) b.err(`${p}.weighted_clusters.clusters[${n}].name`, `route: unknown weighted cluster '${w.name}'`);
          });
        }),
      );
    }),
  );

  let admin: C.AdminConfig | null = null;
  if (tree.admin?.address) {
    const logs = b.accessLogs(tree.admin.access_log, 'admin.access_log');
    if (tree.admin.access_log_path) {
      logs.unshift({ path: tree.admin.access_log_path, textFormat: null, jsonFormat: null, typedJson: false, omitEmptyValues: false });
    }
    admin = { address: b.socketAddress(tree.admin.address, 'admin.address', true), accessLogs: logs };
  }

  const rawLayers: N[] = tree.layered_runtime?.layers ?? [];
  const layers: C.RuntimeLayer[] = rawLayers.map((l: N, i: number) => {
    if (l.static_layer) {
      const errors: string[] = [];
      const values = flattenRuntime(l.static_layer, '', {}, errors);
      for (const e of errors) b.err(`layered_runtime.layers[${i}].static_layer`, e);
      return { name: l.name, kind: 'static', values };
    }
    if (l.disk_layer) {
      const d = l.disk_layer;
      let dir = `${d.symlink_root ?? ''}/${d.subdirectory ?? ''}`.replace(/\/+/g, '/');
      if (d.append_service_cluster && env.serviceCluster) dir = `${dir}/${env.serviceCluster}`;
      if (!d.symlink_root) b.err(`layered_runtime.layers[${i}].disk_layer.symlink_root`, 'is required');
      return { name: l.name, kind: 'disk', values: {}, directory: dir };
    }
    return { name: l.name, kind: 'admin', values: {} };
  });
  // Envoy gives a layered_runtime without layers one (unnamed) admin layer.
  if (tree.layered_runtime !== undefined && layers.length === 0) layers.push({ name: '', kind: 'admin', values: {} });
  const layerNames = new Set<string>();
  layers.forEach((l, i) => {
    if (layerNames.has(l.name)) b.err(`layered_runtime.layers[${i}].name`, `Duplicate layer name: ${l.name}`);
    layerNames.add(l.name);
  });
  if (layers.filter((l) => l.kind === 'admin').length > 1) b.err('layered_runtime.layers', 'Too many admin layers specified in LayeredRuntime, at most one may be specified');

  if (tree.stats_flush_on_admin !== undefined) {
    if (tree.stats_flush_on_admin !== true) b.err('stats_flush_on_admin', 'value must equal true');
    else if (tree.stats_flush_interval !== undefined) b.err('stats_flush_on_admin', 'Only one of stats_flush_interval or stats_flush_on_admin should be set!');
  }

  const n = tree.node ?? {};
  return deepFreeze({
    node: {
      id: env.serviceNode ?? n.id ?? '',
      cluster: env.serviceCluster ?? n.cluster ?? '',
      locality: {
        region: n.locality?.region ?? '',
        zone: env.serviceZone ?? n.locality?.zone ?? '',
        subZone: n.locality?.sub_zone ?? '',
      },
    },
    admin,
    listeners,
    clusters,
    runtime: { layers },
    statsFlushIntervalMs: tree.stats_flush_interval ?? 5000,
    bootstrap: tree,
  });
}

export function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

export { T_DOWNSTREAM_TLS };
