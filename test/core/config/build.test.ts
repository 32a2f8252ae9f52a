// What the loader refuses, and the exact message and field path of each refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptWith,
  C0,
  cluster,
  env,
  HCM,
  hcmOf,
  HTTP_OPTIONS_TYPE,
  L0,
  listener,
  R0,
  RC,
  rejectWith,
  route0,
  ROUTER_TYPE,
  socket,
  VH,
} from './fixtures.js';

const LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const CARES = 'type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig';

// ---- types and values ----

test('wrong types', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters[0].connect_timeout = 5;
      b.static_resources.clusters[0].name = 12;
      b.static_resources.listeners[0].address.socket_address.port_value = 'http';
      hcmOf(b).use_remote_address = 'sometimes';
    }),
    [
      `${L0}.address.socket_address.port_value: expected a number, got string "http"`,
      `${HCM}.use_remote_address: expected true or false, got string "sometimes"`,
      `${C0}.name: expected a string, got number 12 (quote it)`,
      `${C0}.connect_timeout: invalid duration number 5 (expected e.g. "0.25s")`,
    ],
  );
});

test('a list where a message goes, a message where a list goes', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.admin.address = [];
      hcmOf(b).route_config.virtual_hosts[0].routes[0].match = 'prefix';
    }),
    [`${R0}.match: expected an object (RouteMatch), got string "prefix"`, 'admin.address: expected an object (Address), got a list'],
  );
});

test('invalid enum values', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters[0].lb_policy = 'ROUND_ROBBIN';
      hcmOf(b).codec_type = 'HTTP4';
      b.static_resources.clusters[0].dns_lookup_family = 9;
    }),
    [
      `${HCM}.codec_type: invalid value string "HTTP4"; expected one of AUTO, HTTP1, HTTP2, HTTP3`,
      `${C0}.lb_policy: invalid value string "ROUND_ROBBIN"; expected one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG`,
      `${C0}.dns_lookup_family: invalid value number 9; expected one of AUTO, V4_ONLY, V6_ONLY, V4_PREFERRED, ALL`,
    ],
  );
  // ORIGINAL_DST_LB is reserved in v3: neither its name nor its number is accepted.
  assert.deepEqual(
    rejectWith((b) => (b.static_resources.clusters[0].lb_policy = 'ORIGINAL_DST_LB')),
    [`${C0}.lb_policy: invalid value string "ORIGINAL_DST_LB"; expected one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG`],
  );
});

test('invalid and out-of-range durations', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters[0].connect_timeout = '250ms';
      b.static_resources.clusters.push(cluster('c1', { connect_timeout: '0s' }));
      b.static_resources.clusters.push(cluster('c2', { connect_timeout: '-1s' }));
      b.static_resources.clusters.push(cluster('c3', { dns_refresh_rate: '0.001s' }));
      b.stats_flush_interval = '300s';
      route0(b).route.timeout = { seconds: 1.5 };
    }),
    [
      `${R0}.route.timeout: invalid duration an object (expected e.g. "0.25s")`,
      `${C0}.connect_timeout: invalid duration string "250ms" (expected e.g. "0.25s")`,
      'static_resources.clusters[1].connect_timeout: value must be greater than 0s',
      'static_resources.clusters[2].connect_timeout: duration must not be negative',
      'static_resources.clusters[3].dns_refresh_rate: value must be greater than 0.001s',
      'stats_flush_interval: value must be less than 300s',
    ],
  );
});

test('negative and out-of-range numbers', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters[0].per_connection_buffer_limit_bytes = -1;
      b.static_resources.listeners[0].address.socket_address.port_value = 70000;
      hcmOf(b).max_request_headers_kb = 9000;
      route0(b).route.retry_policy = { num_retries: -3 };
      hcmOf(b).route_config.virtual_hosts[0].routes.push({ match: { prefix: '/x' }, direct_response: { status: 99 } });
    }),
    [
      `${L0}.address.socket_address.port_value: must be at most 65535, got 70000`,
      `${R0}.route.retry_policy.num_retries: must not be negative, got -3`,
      `${VH}.routes[1].direct_response.status: must be at least 200, got 99`,
      `${HCM}.max_request_headers_kb: must be at most 8192, got 9000`,
      `${C0}.per_connection_buffer_limit_bytes: must not be negative, got -1`,
    ],
  );
});

// ---- required fields and oneofs ----

test('missing required fields: stat_prefix, cluster name, route match, address', () => {
  assert.deepEqual(
    rejectWith((b) => {
      delete hcmOf(b).stat_prefix;
      delete b.static_resources.clusters[0].name;
      delete route0(b).match;
      b.static_resources.listeners.push({ name: 'l1', filter_chains: [] });
    }),
    [
      `${R0}.match: is required`,
      `${HCM}.stat_prefix: is required`,
      'static_resources.listeners[1].address: is required',
      `${C0}.name: is required`,
    ],
  );
});

test('an empty required string and a null required field are one error each', () => {
  assert.deepEqual(
    rejectWith((b) => {
      hcmOf(b).stat_prefix = '';
      b.static_resources.clusters[0].name = null;
      route0(b).match = null;
    }),
    [`${HCM}.stat_prefix: must be a non-empty string`, `${R0}.match: is required`, `${C0}.name: is required`],
  );
});

test('oneof violations: two match kinds, cluster and weighted_clusters, no action, no path specifier', () => {
  assert.deepEqual(
    rejectWith((b) => {
      const r = route0(b);
      r.match = { prefix: '/', path: '/x' };
      r.route = { cluster: 'c0', weighted_clusters: { clusters: [{ name: 'c0', weight: 1 }] } };
      hcmOf(b).route_config.virtual_hosts[0].routes.push({ match: {}, route: {} });
      hcmOf(b).route_config.virtual_hosts[0].routes.push({ match: { prefix: '/' } });
    }),
    [
      `${R0}.match: only one of prefix, path, safe_regex, path_separated_prefix, connect_matcher, path_match_policy may be set (got prefix, path)`,
      `${R0}.route: only one of cluster, cluster_header, weighted_clusters, cluster_specifier_plugin, inline_cluster_specifier_plugin may be set (got cluster, weighted_clusters)`,
      `${VH}.routes[1].match: one of prefix, path, safe_regex, path_separated_prefix, connect_matcher, path_match_policy is required`,
      `${VH}.routes[1].route: one of cluster, cluster_header, weighted_clusters, cluster_specifier_plugin, inline_cluster_specifier_plugin is required`,
      `${VH}.routes[2]: one of route, redirect, direct_response, filter_action, non_forwarding_action is required`,
    ],
  );
});

// ---- cross references and duplicates ----

test('a route to an undefined cluster', () => {
  assert.deepEqual(
    rejectWith((b) => (route0(b).route.cluster = 'x')),
    [`${R0}.route.cluster: route: unknown cluster 'x'`],
  );
  assert.deepEqual(
    rejectWith((b) => (route0(b).route = { weighted_clusters: { clusters: [{ name: 'c0', weight: 1 }, { name: 'y', weight: 1 }] } })),
    [`${R0}.route.weighted_clusters.clusters[1].name: route: unknown weighted cluster 'y'`],
  );
  // validate_clusters: false, and cluster_header, are checked at request time instead.
  acceptWith((b) => {
    hcmOf(b).route_config.validate_clusters = false;
    route0(b).route.cluster = 'x';
  });
  acceptWith((b) => (route0(b).route = { cluster_header: 'x-cluster' }));
});

test('duplicate cluster names, listener names and listener addresses', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters.push(cluster('c0'));
      b.static_resources.listeners.push(listener('l0', 10001));
      b.static_resources.listeners.push(listener('l2', 10000));
    }),
    [
      "static_resources.clusters[1].name: cluster manager: duplicate cluster 'c0' (also clusters[0])",
      "static_resources.listeners[1].name: error adding listener named 'l0': duplicate listener (also listeners[0])",
      "static_resources.listeners[2].address: error adding listener '127.0.0.1:10000': address already used by listeners[0]",
    ],
  );
  // Port 0 (any free port) may repeat.
  acceptWith((b) => {
    b.static_resources.listeners = [listener('a', 0), listener('b', 0)];
  });
});

test('duplicate runtime layer names, and too many admin layers', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.layered_runtime = {
        layers: [
          { name: 'a', static_layer: {} },
          { name: 'a', admin_layer: {} },
          { name: 'b', admin_layer: {} },
        ],
      };
    }),
    ['layered_runtime.layers[1].name: Duplicate layer name: a', 'layered_runtime.layers: Too many admin layers specified in LayeredRuntime, at most one may be specified'],
  );
});

test('runtime: lists and nulls are invalid entries; layered_runtime without layers gets an admin layer', () => {
  assert.deepEqual(
    rejectWith((b) => (b.layered_runtime = { layers: [{ name: 's', static_layer: { a: { b: [1] }, c: null } }] })),
    ['layered_runtime.layers[0].static_layer: Invalid runtime entry value for a.b', 'layered_runtime.layers[0].static_layer: Invalid runtime entry value for c'],
  );
  const s = acceptWith((b) => (b.layered_runtime = {}));
  assert.deepEqual(s.runtime.layers, [{ name: '', kind: 'admin', values: {} }]);
  const s2 = acceptWith((b) => (b.layered_runtime = { layers: [{ name: 'disk', disk_layer: { symlink_root: '/srv/runtime', subdirectory: 'envoy' } }] }));
  assert.deepEqual(s2.runtime.layers, [{ name: 'disk', kind: 'disk', values: {}, directory: '/srv/runtime/envoy' }]);
});

// ---- HTTP filters ----

test('the router must be the last HTTP filter', () => {
  assert.deepEqual(
    rejectWith((b) => {
      hcmOf(b).http_filters = [
        { name: 'envoy.filters.http.router' },
        {
          name: 'hc',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck', pass_through_mode: true },
        },
      ];
    }),
    [
      `${HCM}.http_filters[0]: Error: terminal filter named envoy.filters.http.router of type envoy.filters.http.router must be the last filter in a http filter chain.`,
      `${HCM}.http_filters[1]: Error: non-terminal filter named hc of type envoy.filters.http.health_check is the last filter in a http filter chain.`,
    ],
  );
});

test('HTTP filters without typed_config: unknown names, Envoy filters nuncio lacks, health_check', () => {
  assert.deepEqual(
    rejectWith((b) => {
      hcmOf(b).http_filters = [
        { name: 'my.filter' },
        { name: 'envoy.filters.http.cors' },
        { name: 'envoy.lua' },
        { name: 'envoy.filters.http.health_check' },
        { name: 'optional.filter', is_optional: true },
        { name: 'envoy.filters.http.router' },
      ];
    }),
    [
      `${HCM}.http_filters[0]: Didn't find a registered implementation for 'my.filter' with type URL: ''`,
      `${HCM}.http_filters[1]: HTTP filter envoy.filters.http.cors is not supported by nuncio`,
      `${HCM}.http_filters[2]: HTTP filter envoy.lua is not supported by nuncio`,
      `${HCM}.http_filters[3].typed_config.pass_through_mode: is required`,
    ],
  );
});

test('HTTP filter types nuncio does not implement are refused by type name', () => {
  assert.deepEqual(
    rejectWith((b) => {
      hcmOf(b).http_filters.unshift({ name: 'envoy.filters.http.cors', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } });
    }),
    [`${HCM}.http_filters[0].typed_config.@type: "envoy.extensions.filters.http.cors.v3.Cors" is not supported by nuncio`],
  );
  assert.deepEqual(
    rejectWith((b) => (hcmOf(b).http_filters[0].typed_config = { '@type': 'type.googleapis.com/some.Other' })),
    [
      `${HCM}.http_filters[0].typed_config.@type: unsupported type "some.Other" here; expected one of envoy.extensions.filters.http.router.v3.Router, envoy.extensions.filters.http.health_check.v3.HealthCheck`,
    ],
  );
});

test('an empty http_filters list, and a disabled filter', () => {
  assert.deepEqual(
    rejectWith((b) => (hcmOf(b).http_filters = [])),
    [`${HCM}.http_filters: an HTTP filter chain without envoy.filters.http.router is not supported by nuncio`],
  );
  assert.deepEqual(
    rejectWith((b) => (hcmOf(b).http_filters[0].disabled = true)),
    [`${HCM}.http_filters[0].disabled: disabled filters are not supported by nuncio`],
  );
});

test('a Router config with unknown or unsupported fields', () => {
  assert.deepEqual(
    rejectWith((b) => (hcmOf(b).http_filters[0].typed_config = { '@type': ROUTER_TYPE, suppress_envoy_header: true, upstream_log: [] })),
    [
      `${HCM}.http_filters[0].typed_config.suppress_envoy_header: unknown field`,
      `${HCM}.http_filters[0].typed_config.upstream_log: Router.upstream_log is not supported by nuncio`,
    ],
  );
});

// ---- network filters and listeners ----

test('network filters: tcp_proxy and other types, names without typed_config, HCM not last', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.listeners[0].filter_chains[0].filters.unshift({
        name: 'envoy.filters.network.tcp_proxy',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 't', cluster: 'c0' },
      });
    }),
    [`${L0}.filter_chains[0].filters[0].typed_config.@type: "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy" is not supported by nuncio`],
  );
  assert.deepEqual(
    rejectWith((b) => {
      const fs = b.static_resources.listeners[0].filter_chains[0].filters;
      fs.push({ name: 'envoy.tcp_proxy' }, { name: 'envoy.http_connection_manager' }, { name: 'x.y' });
    }),
    [
      `${L0}.filter_chains[0].filters[0]: Error: terminal filter named envoy.filters.network.http_connection_manager of type envoy.filters.network.http_connection_manager must be the last filter in a network filter chain.`,
      `${L0}.filter_chains[0].filters[1]: network filter envoy.tcp_proxy is not supported by nuncio`,
      `${L0}.filter_chains[0].filters[2].typed_config.stat_prefix: is required`,
      `${L0}.filter_chains[0].filters[3]: Didn't find a registered implementation for 'x.y' with type URL: ''`,
    ],
  );
  assert.deepEqual(
    rejectWith((b) => (b.static_resources.listeners[0].filter_chains[0].filters = [])),
    [`${L0}.filter_chains[0].filters: a filter chain without envoy.filters.network.http_connection_manager is not supported by nuncio`],
  );
  assert.deepEqual(
    rejectWith((b) => (b.static_resources.listeners[0].filter_chains = [])),
    [`${L0}.filter_chains: error adding listener '127.0.0.1:10000': no filter chains specified`],
  );
});

test('listener and admin addresses must be IP literals', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.listeners[0].address = socket('localhost', 10000);
      b.admin.address = socket('admin.local', 9901);
    }),
    [`${L0}.address.socket_address.address: malformed IP address: localhost`, 'admin.address.socket_address.address: malformed IP address: admin.local'],
  );
  const s = acceptWith((b) => {
    b.static_resources.listeners[0].address = socket('::1', 10000);
    b.admin.address = socket('::', 9901);
  });
  assert.equal(s.listeners[0].statPrefix, '[__1]_10000');
});

test('listener filters: tls_inspector by name or type; others refused', () => {
  acceptWith((b) => {
    b.static_resources.listeners[0].listener_filters = [
      { name: 'envoy.filters.listener.tls_inspector' },
      { name: 't', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } },
    ];
  });
  assert.deepEqual(
    rejectWith((b) => (b.static_resources.listeners[0].listener_filters = [{ name: 'envoy.filters.listener.proxy_protocol' }, { name: 'nope' }])),
    [
      `${L0}.listener_filters[0]: listener filter envoy.filters.listener.proxy_protocol is not supported by nuncio`,
      `${L0}.listener_filters[1]: Didn't find a registered implementation for 'nope' with type URL: ''`,
    ],
  );
});

// ---- real Envoy features nuncio does not implement ----

test('unsupported HCM fields: rds, tracing, HTTP/3', () => {
  assert.deepEqual(
    rejectWith((b) => {
      const h = hcmOf(b);
      delete h.route_config;
      h.rds = { route_config_name: 'r', config_source: { ads: {} } };
      h.tracing = {};
      h.codec_type = 'HTTP3';
    }),
    [`${HCM}.rds: HttpConnectionManager.rds is not supported by nuncio`, `${HCM}.tracing: HttpConnectionManager.tracing is not supported by nuncio`],
  );
  assert.deepEqual(rejectWith((b) => (hcmOf(b).codec_type = 'HTTP3')), [`${HCM}.codec_type: HTTP3 is not supported by nuncio`]);
});

test('unsupported cluster features: lb_policy RING_HASH and MAGLEV, type EDS and ORIGINAL_DST', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters[0].lb_policy = 'RING_HASH';
      b.static_resources.clusters.push(cluster('c1', { lb_policy: 'maglev' }));
      b.static_resources.clusters.push(cluster('c2', { type: 'EDS' }));
      b.static_resources.clusters.push(cluster('c3', { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' }));
    }),
    [
      `${C0}.lb_policy: lb_policy RING_HASH is not supported by nuncio`,
      'static_resources.clusters[1].lb_policy: lb_policy MAGLEV is not supported by nuncio',
      'static_resources.clusters[2].type: cluster type EDS is not supported by nuncio',
      'static_resources.clusters[3].type: cluster type ORIGINAL_DST is not supported by nuncio',
      'static_resources.clusters[3].lb_policy: lb_policy CLUSTER_PROVIDED is not supported by nuncio',
    ],
  );
  assert.deepEqual(
    rejectWith((b) => (b.static_resources.clusters[0].eds_cluster_config = {})),
    [`${C0}.eds_cluster_config: Cluster.eds_cluster_config is not supported by nuncio`],
  );
});

test('unsupported route features and bootstrap sections', () => {
  assert.deepEqual(
    rejectWith((b) => {
      route0(b).route.hash_policy = [];
      route0(b).typed_per_filter_config = {};
      hcmOf(b).route_config.virtual_hosts[0].cors = {};
      b.dynamic_resources = {};
      b.stats_sinks = [];
    }),
    [
      `${R0}.route.hash_policy: RouteAction.hash_policy is not supported by nuncio`,
      `${R0}.typed_per_filter_config: Route.typed_per_filter_config is not supported by nuncio`,
      `${VH}.cors: VirtualHost.cors is not supported by nuncio`,
      'dynamic_resources: Bootstrap.dynamic_resources is not supported by nuncio',
      'stats_sinks: Bootstrap.stats_sinks is not supported by nuncio',
    ],
  );
});

// ---- clusters ----

test('a STATIC cluster with a hostname', () => {
  assert.deepEqual(
    rejectWith((b) => (b.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address = socket('backend', 80))),
    [
      `${C0}.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: malformed IP address: backend (STATIC clusters need IP addresses; use STRICT_DNS for names)`,
    ],
  );
});

test('LOGICAL_DNS needs exactly one locality with exactly one endpoint', () => {
  const ep = (host: string) => ({ endpoint: { address: socket(host, 80) } });
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters[0].type = 'LOGICAL_DNS';
      b.static_resources.clusters[0].load_assignment.endpoints = [{ lb_endpoints: [ep('a.example'), ep('b.example')] }];
      b.static_resources.clusters.push(cluster('c1', { type: 'LOGICAL_DNS', load_assignment: { cluster_name: 'c1', endpoints: [{ lb_endpoints: [ep('a')] }, { lb_endpoints: [ep('b')] }] } }));
    }),
    [
      `${C0}.load_assignment: LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint`,
      'static_resources.clusters[1].load_assignment: LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint',
    ],
  );
  const s = acceptWith((b) => {
    b.static_resources.clusters[0].type = 'LOGICAL_DNS';
    b.static_resources.clusters[0].load_assignment.endpoints = [{ lb_endpoints: [ep('a.example')] }];
  });
  assert.equal(s.clusters[0].endpoints[0].address, 'a.example');
});

test('DNS resolvers must be IP addresses (cares resolvers, dns_resolution_config, dns_resolvers)', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters[0].typed_dns_resolver_config = {
        name: 'envoy.network.dns_resolver.cares',
        typed_config: { '@type': CARES, resolvers: [socket('8.8.8.8', 53), socket('dns.google', 53)] },
      };
      b.static_resources.clusters.push(cluster('c1', { dns_resolution_config: { resolvers: [socket('resolver', 0)] } }));
    }),
    [
      `${C0}.typed_dns_resolver_config.typed_config.resolvers[1].socket_address.address: DNS resolver address must be an IP address, got "dns.google"`,
      'static_resources.clusters[1].dns_resolution_config.resolvers[0].socket_address.address: DNS resolver address must be an IP address, got "resolver"',
    ],
  );
  const s = acceptWith((b) => {
    b.typed_dns_resolver_config = { name: 'cares', typed_config: { '@type': CARES, resolvers: [socket('127.0.0.53', 0), socket('::1', 5353)] } };
    b.static_resources.clusters.push(cluster('c1', { dns_resolvers: [socket('10.0.0.2', 53)] }));
  });
  assert.deepEqual(s.clusters[0].dnsResolvers, [
    { address: '127.0.0.53', port: 53 },
    { address: '::1', port: 5353 },
  ]);
  assert.deepEqual(s.clusters[1].dnsResolvers, [{ address: '10.0.0.2', port: 53 }]);
});

test('deprecated cluster protocol options cannot be combined with typed_extension_protocol_options', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters[0].http2_protocol_options = {};
      b.static_resources.clusters[0].typed_extension_protocol_options = {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_OPTIONS_TYPE, explicit_http_config: { http2_protocol_options: {} } },
      };
    }),
    [`${C0}.typed_extension_protocol_options: cannot be combined with the deprecated http_protocol_options / http2_protocol_options / common_http_protocol_options`],
  );
});

// ---- header mutations ----

test('header mutations Envoy forbids: pseudo-headers and host, added or removed', () => {
  assert.deepEqual(
    rejectWith((b) => {
      const r = route0(b);
      r.request_headers_to_add = [{ header: { key: ':path', value: '/x' } }, { header: { key: 'Host', value: 'h' } }, { header: { key: 'x-ok', value: 'v' } }];
      r.request_headers_to_remove = [':authority', 'HOST', 'x-ok'];
      hcmOf(b).route_config.response_headers_to_add = [{ header: { key: ':status', value: '200' } }];
    }),
    [
      `${R0}.request_headers_to_add[0].header.key: :-prefixed or host headers may not be modified`,
      `${R0}.request_headers_to_add[1].header.key: :-prefixed or host headers may not be modified`,
      `${R0}.request_headers_to_remove[0]: :-prefixed or host headers may not be removed`,
      `${R0}.request_headers_to_remove[1]: :-prefixed or host headers may not be removed`,
      `${RC}.response_headers_to_add[0].header.key: :-prefixed or host headers may not be modified`,
    ],
  );
});

test('header values: %COMMAND% substitution is refused, %% is a literal, malformed formats fail', () => {
  assert.deepEqual(
    rejectWith((b) => {
      route0(b).response_headers_to_add = [
        { header: { key: 'x-a', value: '%REQ(x-request-id)%' } },
        { header: { key: 'x-b', value: 'up %UPSTREAM_HOST% ok' } },
        { header: { key: 'x-c', value: '100%' } },
        { header: { key: 'x-d', value: '%NOT_AN_OPERATOR%' } },
      ];
    }),
    [
      `${R0}.response_headers_to_add[0].header.value: header value substitution (%REQ(x-request-id)%) is not supported by nuncio yet; write %% for a literal %`,
      `${R0}.response_headers_to_add[1].header.value: header value substitution (%UPSTREAM_HOST%) is not supported by nuncio yet; write %% for a literal %`,
      `${R0}.response_headers_to_add[2].header.value: Incorrect configuration: 100%. Couldn't find valid command at position 3`,
      `${R0}.response_headers_to_add[3].header.value: Not supported field in StreamInfo: NOT_AN_OPERATOR`,
    ],
  );
  const s = acceptWith((b) => (route0(b).response_headers_to_add = [{ header: { key: 'X-Pct', value: '100%%' } }]));
  assert.deepEqual(s.listeners[0].filterChains[0].hcm.routeConfig.virtualHosts[0].routes[0].responseHeadersToAdd, [
    { key: 'x-pct', value: '100%%', appendAction: 'APPEND_IF_EXISTS_OR_ADD', keepEmptyValue: false },
  ]);
});

test('header values and names with CR, LF or NUL', () => {
  assert.deepEqual(
    rejectWith((b) => {
      route0(b).request_headers_to_add = [{ header: { key: 'x-a', value: 'a\r\nb' } }, { header: { key: 'x\nb', value: 'v' } }];
    }),
    [
      `${R0}.request_headers_to_add[0].header.value: value does not match regex pattern for HTTP header value (no NUL, CR or LF)`,
      `${R0}.request_headers_to_add[1].header.key: value does not match regex pattern for HTTP header name (no NUL, CR or LF)`,
    ],
  );
});

test('append and append_action: both only if append_action is the default', () => {
  const s = acceptWith((b) => {
    route0(b).request_headers_to_add = [
      { header: { key: 'a', value: '1' }, append: false },
      { header: { key: 'b', value: '2' }, append: true, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
      { header: { key: 'c', value: '3' }, append: false, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
      { header: { key: 'd', value: '' }, append_action: 'overwrite_if_exists', keep_empty_value: true },
      { header: { key: 'e', raw_value: Buffer.from('raw').toString('base64') } },
    ];
  });
  assert.deepEqual(
    s.listeners[0].filterChains[0].hcm.routeConfig.virtualHosts[0].routes[0].requestHeadersToAdd.map((h) => [h.key, h.value, h.appendAction, h.keepEmptyValue]),
    [
      ['a', '1', 'OVERWRITE_IF_EXISTS_OR_ADD', false],
      ['b', '2', 'APPEND_IF_EXISTS_OR_ADD', false],
      ['c', '3', 'OVERWRITE_IF_EXISTS_OR_ADD', false],
      ['d', '', 'OVERWRITE_IF_EXISTS', true],
      ['e', 'raw', 'APPEND_IF_EXISTS_OR_ADD', false],
    ],
  );
  assert.deepEqual(
    rejectWith((b) => (route0(b).request_headers_to_add = [{ header: { key: 'a', value: '1' }, append: true, append_action: 'ADD_IF_ABSENT' }])),
    [`${R0}.request_headers_to_add[0]: Both append and append_action are set and it's not allowed`],
  );
});

test('health check request headers follow the same rules', () => {
  assert.deepEqual(
    rejectWith((b) => {
      b.static_resources.clusters[0].health_checks = [
        {
          timeout: '1s',
          interval: '5s',
          unhealthy_threshold: 2,
          healthy_threshold: 1,
          http_health_check: { path: '/hc', request_headers_to_add: [{ header: { key: 'host', value: 'x' } }], request_headers_to_remove: [':path'] },
        },
      ];
    }),
    [
      `${C0}.health_checks[0].http_health_check.request_headers_to_add[0].header.key: :-prefixed or host headers may not be modified`,
      `${C0}.health_checks[0].http_health_check.request_headers_to_remove[0]: :-prefixed or host headers may not be removed`,
    ],
  );
});

// ---- retry policy ----

test('retry_on: unknown names are ignored as Envoy does; gRPC conditions are refused by name', () => {
  const s = acceptWith((b) => (route0(b).route.retry_policy = { retry_on: ' 5xx ,gateway-error,, made-up ', num_retries: 2 }));
  const a = s.listeners[0].filterChains[0].hcm.routeConfig.virtualHosts[0].routes[0].action;
  assert.deepEqual(a.type === 'route' && a.retryPolicy?.retryOn, ['5xx', 'gateway-error', 'made-up']);
  assert.deepEqual(
    rejectWith((b) => (hcmOf(b).route_config.virtual_hosts[0].retry_policy = { retry_on: '5xx,unavailable,cancelled' })),
    [
      `${VH}.retry_policy.retry_on: retry_on condition 'unavailable' (gRPC) is not supported by nuncio`,
      `${VH}.retry_policy.retry_on: retry_on condition 'cancelled' (gRPC) is not supported by nuncio`,
    ],
  );
});

test('retry back-off: max_interval below base_interval, base_interval required', () => {
  assert.deepEqual(
    rejectWith((b) => {
      route0(b).route.retry_policy = { retry_back_off: { base_interval: '1s', max_interval: '0.5s' } };
      hcmOf(b).route_config.virtual_hosts[0].retry_policy = { retry_back_off: { max_interval: '1s' } };
    }),
    [`${VH}.retry_policy.retry_back_off.base_interval: is required`],
  );
  assert.deepEqual(
    rejectWith((b) => (route0(b).route.retry_policy = { retry_back_off: { base_interval: '1s', max_interval: '0.5s' } })),
    [`${R0}.route.retry_policy.retry_back_off: retry_policy.max_interval must greater than or equal to the base_interval`],
  );
});

// ---- access logs, stats, misc ----

test('access logs: typed_config required, unsupported logger types and filters', () => {
  assert.deepEqual(
    rejectWith((b) => {
      hcmOf(b).access_log = [
        { name: 'a' },
        { name: 'b', typed_config: {} },
        { name: 'c', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig' } },
        { name: 'd', typed_config: { '@type': LOG, path: '/tmp/x' }, filter: { status_code_filter: {} } },
        { name: 'e', typed_config: { '@type': LOG } },
      ];
    }),
    [
      `${HCM}.access_log[0].typed_config: is required`,
      `${HCM}.access_log[1].typed_config: is required`,
      `${HCM}.access_log[2].typed_config.@type: "envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig" is not supported by nuncio`,
      `${HCM}.access_log[3].filter: AccessLog.filter is not supported by nuncio`,
      `${HCM}.access_log[4].typed_config.path: is required`,
    ],
  );
});

test('stats_flush_on_admin: must be true, not with stats_flush_interval', () => {
  assert.deepEqual(rejectWith((b) => (b.stats_flush_on_admin = false)), ['stats_flush_on_admin: value must equal true']);
  assert.deepEqual(
    rejectWith((b) => {
      b.stats_flush_on_admin = true;
      b.stats_flush_interval = '1s';
    }),
    ['stats_flush_on_admin: Only one of stats_flush_interval or stats_flush_on_admin should be set!'],
  );
});

test('weighted clusters: weights summing to zero (core/router/check.ts)', () => {
  assert.deepEqual(
    rejectWith((b) => (route0(b).route = { weighted_clusters: { clusters: [{ name: 'c0', weight: 0 }] } })),
    [`${R0}.route.weighted_clusters: Sum of weights in the weighted_cluster must be greater than 0.`],
  );
});

test('path_separated_prefix is checked once (core/router/check.ts)', () => {
  assert.deepEqual(
    rejectWith((b) => (route0(b).match = { path_separated_prefix: '/a/' })),
    [`${R0}.match.path_separated_prefix: value does not match regex pattern "^[^?#]+[^?#/]$"`],
  );
});

test('an env with the file for a DownstreamTlsContext filename data source is not read at load', () => {
  // TLS material is resolved by workers/tls; the loader keeps the data source as given.
  const s = acceptWith(
    (b) => {
      b.static_resources.listeners[0].filter_chains[0].transport_socket = {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
          common_tls_context: { tls_certificates: [{ certificate_chain: { filename: '/c.pem' }, private_key: { filename: '/k.pem' } }] },
        },
      };
    },
    {},
    env(),
  );
  const tls = s.listeners[0].filterChains[0].tls;
  assert.deepEqual(tls?.common.tlsCertificates[0].certificateChain, { kind: 'filename', value: '/c.pem' });
});

test('two unnamed listeners on one address: one error, for the address', () => {
  assert.deepEqual(
    rejectWith((b) => {
      const l = listener('', 10000);
      delete l.name;
      const l2 = listener('', 10000);
      delete l2.name;
      b.static_resources.listeners = [l, l2];
    }),
    ["static_resources.listeners[1].address: error adding listener '127.0.0.1:10000': address already used by listeners[0]"],
  );
});

test('PGV header name and value rules on route fields', () => {
  assert.deepEqual(
    rejectWith((b) => {
      route0(b).route.prefix_rewrite = '/a\nb';
      route0(b).match.headers = [{ name: 'x\r', present_match: true }];
    }),
    [
      `${R0}.match.headers[0].name: value does not match regex pattern for HTTP header name (no NUL, CR or LF)`,
      `${R0}.route.prefix_rewrite: value does not match regex pattern for HTTP header value (no NUL, CR or LF)`,
    ],
  );
});

test('empty redirect and rewrite strings count as unset, as in Envoy', () => {
  const s = acceptWith((b) => {
    route0(b).route.host_rewrite_literal = '';
    hcmOf(b).route_config.virtual_hosts[0].routes.push({ match: { prefix: '/r' }, redirect: { host_redirect: '', path_redirect: '', scheme_redirect: '' } });
  });
  const [r0, r1] = s.listeners[0].filterChains[0].hcm.routeConfig.virtualHosts[0].routes;
  assert.equal(r0.action.type === 'route' && r0.action.hostRewriteLiteral, null);
  assert.deepEqual(r1.action.type === 'redirect' && [r1.action.scheme, r1.action.host, r1.action.path, r1.action.responseCode], [null, null, null, 301]);
});

test('a typed_extension_protocol_options entry written as {} has no type', () => {
  assert.deepEqual(
    rejectWith((b) => (b.static_resources.clusters[0].typed_extension_protocol_options = { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {} })),
    [`${C0}.typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions: missing "@type"`],
  );
});

// ---- fields nuncio parses but does not implement: refused by name unless set to Envoy's default ----

const HC = {
  timeout: '1s',
  interval: '5s',
  unhealthy_threshold: 2,
  healthy_threshold: 2,
  http_health_check: { path: '/health' },
};

test('HCM, route config and router fields without an implementation are refused by name', () => {
  assert.deepEqual(
    rejectWith((b) => {
      const h = hcmOf(b);
      h.http_filters[0].typed_config.dynamic_stats = false;
      h.common_http_protocol_options = { max_stream_duration: '30s' };
      h.drain_timeout = '5s';
      h.delayed_close_timeout = '0s';
      h.route_config.most_specific_header_mutations_wins = true;
      route0(b).route.retry_policy = { retry_on: '5xx', per_try_idle_timeout: '1s' };
      h.route_config.virtual_hosts[0].retry_policy = { retry_on: '5xx', per_try_idle_timeout: '2s' };
    }),
    [
      `${HCM}.http_filters[0].typed_config.dynamic_stats: Router.dynamic_stats is not supported by nuncio (only true is)`,
      `${HCM}.common_http_protocol_options.max_stream_duration: HttpProtocolOptions.max_stream_duration is not supported by nuncio (only 0s is)`,
      `${HCM}.drain_timeout: HttpConnectionManager.drain_timeout is not supported by nuncio (only 0s is)`,
      `${HCM}.delayed_close_timeout: HttpConnectionManager.delayed_close_timeout is not supported by nuncio`,
      `${RC}.most_specific_header_mutations_wins: RouteConfiguration.most_specific_header_mutations_wins is not supported by nuncio (only false is)`,
      `${R0}.route.retry_policy.per_try_idle_timeout: RetryPolicy.per_try_idle_timeout is not supported by nuncio (only 0s is)`,
      `${VH}.retry_policy.per_try_idle_timeout: RetryPolicy.per_try_idle_timeout is not supported by nuncio (only 0s is)`,
    ],
  );
});

test('Http1ProtocolOptions nuncio lacks are refused by name, downstream and upstream; Envoy\'s defaults pass', () => {
  assert.deepEqual(
    rejectWith((b) => {
      hcmOf(b).http_protocol_options = { allow_absolute_url: false, enable_trailers: true, allow_custom_methods: true, override_stream_error_on_invalid_http_message: true };
      b.static_resources.clusters[0].http_protocol_options = { enable_trailers: true, accept_http_10: true };
    }),
    [
      'static_resources.clusters[0].http_protocol_options.enable_trailers: Http1ProtocolOptions.enable_trailers is not supported by nuncio (only false is)',
      'static_resources.clusters[0].http_protocol_options.accept_http_10: Http1ProtocolOptions.accept_http_10 is not supported by nuncio (only false is)',
      `${HCM}.http_protocol_options.allow_absolute_url: Http1ProtocolOptions.allow_absolute_url is not supported by nuncio (only true is)`,
      `${HCM}.http_protocol_options.enable_trailers: Http1ProtocolOptions.enable_trailers is not supported by nuncio (only false is)`,
      `${HCM}.http_protocol_options.allow_custom_methods: Http1ProtocolOptions.allow_custom_methods is not supported by nuncio (only false is)`,
      `${HCM}.http_protocol_options.override_stream_error_on_invalid_http_message: Http1ProtocolOptions.override_stream_error_on_invalid_http_message is not supported by nuncio (only false is)`,
    ],
  );
  const s = acceptWith((b) => {
    hcmOf(b).http_protocol_options = { allow_absolute_url: true, enable_trailers: false, accept_http_10: true, use_balsa_parser: true };
    b.static_resources.clusters[0].http_protocol_options = { enable_trailers: false, accept_http_10: false };
  });
  assert.equal(s.listeners[0].filterChains[0].hcm.acceptHttp10, true);
});

test('the value nuncio has anyway is accepted: false, true, 0s', () => {
  const s = acceptWith((b) => {
    const h = hcmOf(b);
    h.http_filters[0].typed_config.dynamic_stats = true;
    h.http_filters[0].typed_config.respect_expected_rq_timeout = true;
    h.common_http_protocol_options = { max_stream_duration: '0s' };
    h.drain_timeout = '0s';
    h.http_protocol_options = { send_fully_qualified_url: true }; // a client-codec option: Envoy's HCM ignores it too
    h.route_config.most_specific_header_mutations_wins = false;
    h.route_config.virtual_hosts[0].include_request_attempt_count = true;
    h.route_config.virtual_hosts[0].include_attempt_count_in_response = true;
    route0(b).route.retry_policy = { per_try_idle_timeout: '0s' };
    b.static_resources.listeners[0].ignore_global_conn_limit = true;
    Object.assign(b.static_resources.clusters[0], {
      respect_dns_ttl: false,
      close_connections_on_host_health_failure: false,
      circuit_breakers: { thresholds: [{ track_remaining: false }] },
      health_checks: [{ ...HC, interval_jitter_percent: 0, initial_jitter: '0s' }],
    });
  });
  const fc = s.listeners[0].filterChains[0];
  assert.equal(fc.hcm.respectExpectedRqTimeout, true);
  assert.equal(fc.hcm.routeConfig.virtualHosts[0].includeRequestAttemptCount, true);
  assert.equal(fc.hcm.routeConfig.virtualHosts[0].includeAttemptCountInResponse, true);
  assert.equal(s.listeners[0].ignoreGlobalConnLimit, true);
  const d = acceptWith(() => {});
  assert.equal(d.listeners[0].filterChains[0].hcm.respectExpectedRqTimeout, false);
  assert.equal(d.listeners[0].filterChains[0].hcm.routeConfig.virtualHosts[0].includeRequestAttemptCount, false);
  assert.equal(d.listeners[0].ignoreGlobalConnLimit, false);
});

test('cluster fields without an implementation are refused by name', () => {
  assert.deepEqual(
    rejectWith((b) => {
      Object.assign(b.static_resources.clusters[0], {
        respect_dns_ttl: true,
        close_connections_on_host_health_failure: true,
        circuit_breakers: { thresholds: [{ max_connections: 10, track_remaining: true }] },
        common_http_protocol_options: { max_stream_duration: '10s' },
        http_protocol_options: { send_fully_qualified_url: true },
        health_checks: [
          {
            ...HC,
            unhealthy_edge_interval: '1s',
            healthy_edge_interval: '1s',
            no_traffic_healthy_interval: '60s',
            interval_jitter_percent: 10,
            initial_jitter: '1s',
          },
        ],
      });
      b.static_resources.clusters.push(
        cluster('c1', {
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': HTTP_OPTIONS_TYPE,
              common_http_protocol_options: { max_stream_duration: '1s' },
              explicit_http_config: { http_protocol_options: { send_fully_qualified_url: true } },
            },
          },
        }),
      );
    }),
    [
      `${C0}.http_protocol_options.send_fully_qualified_url: Http1ProtocolOptions.send_fully_qualified_url is not supported by nuncio (only false is)`,
      `${C0}.common_http_protocol_options.max_stream_duration: HttpProtocolOptions.max_stream_duration is not supported by nuncio (only 0s is)`,
      `${C0}.respect_dns_ttl: Cluster.respect_dns_ttl is not supported by nuncio (only false is)`,
      `${C0}.close_connections_on_host_health_failure: Cluster.close_connections_on_host_health_failure is not supported by nuncio (only false is)`,
      `${C0}.health_checks[0].unhealthy_edge_interval: HealthCheck.unhealthy_edge_interval is not supported by nuncio`,
      `${C0}.health_checks[0].healthy_edge_interval: HealthCheck.healthy_edge_interval is not supported by nuncio`,
      `${C0}.health_checks[0].no_traffic_healthy_interval: HealthCheck.no_traffic_healthy_interval is not supported by nuncio`,
      `${C0}.health_checks[0].interval_jitter_percent: HealthCheck.interval_jitter_percent is not supported by nuncio (only 0 is)`,
      `${C0}.health_checks[0].initial_jitter: HealthCheck.initial_jitter is not supported by nuncio (only 0s is)`,
      `${C0}.circuit_breakers.thresholds[0].track_remaining: CircuitBreakers.Thresholds.track_remaining is not supported by nuncio (only false is)`,
      `static_resources.clusters[1].typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.explicit_http_config.http_protocol_options.send_fully_qualified_url: Http1ProtocolOptions.send_fully_qualified_url is not supported by nuncio (only false is)`,
      `static_resources.clusters[1].typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.common_http_protocol_options.max_stream_duration: HttpProtocolOptions.max_stream_duration is not supported by nuncio (only 0s is)`,
    ],
  );
});

test('HTTP/2 connection_keepalive is refused on listeners and clusters, whatever its value', () => {
  assert.deepEqual(
    rejectWith((b) => {
      hcmOf(b).http2_protocol_options = { connection_keepalive: { interval: '10s', timeout: '5s' } };
      b.static_resources.clusters[0].http2_protocol_options = { connection_keepalive: { timeout: '1s' } };
    }),
    [
      `${HCM}.http2_protocol_options.connection_keepalive: Http2ProtocolOptions.connection_keepalive is not supported by nuncio`,
      `${C0}.http2_protocol_options.connection_keepalive: Http2ProtocolOptions.connection_keepalive is not supported by nuncio`,
    ],
  );
});
