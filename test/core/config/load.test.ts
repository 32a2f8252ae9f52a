import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, mergeTrees, parseConfigText } from '../../../core/config/load.js';
import { bootstrap } from '../../../core/config/schema.js';
import { stableListenerName } from '../../../core/config/listener-name.js';
import {
  acceptWith,
  base,
  C0,
  cluster,
  env,
  errors,
  hcmOf,
  HTTP_OPTIONS_TYPE,
  loadJson,
  loadObj,
  loadYaml,
  ok,
  R0,
  rejectWith,
  route0,
  seed,
} from './fixtures.js';

// ---- the seed configs ----

test('front-envoy.yaml: two listeners, codec AUTO, stat_prefix, routes and TLS on 8443', () => {
  const s = ok(loadYaml(seed('front-envoy.yaml')));
  assert.equal(s.listeners.length, 2);
  assert.deepEqual(
    s.listeners.map((l) => [l.address.address, l.address.port, l.statPrefix]),
    [
      ['0.0.0.0', 8080, '0.0.0.0_8080'],
      ['0.0.0.0', 8443, '0.0.0.0_8443'],
    ],
  );
  // Unnamed listeners get a stable UUID-shaped name derived from the address.
  assert.equal(s.listeners[0].name, stableListenerName({ address: '0.0.0.0', port: 8080 }));
  assert.match(s.listeners[0].name, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(s.listeners[0].name, s.listeners[1].name);
  for (const l of s.listeners) {
    assert.equal(l.filterChains.length, 1);
    const h = l.filterChains[0].hcm;
    assert.equal(h.codec, 'AUTO');
    assert.equal(h.statPrefix, 'ingress_http');
    assert.equal(h.routeConfig.name, 'local_route');
    assert.equal(h.routeConfig.validateClusters, true);
    const vh = h.routeConfig.virtualHosts[0];
    assert.equal(vh.name, 'backend');
    assert.deepEqual(vh.domains, ['*']);
    assert.deepEqual(
      vh.routes.map((r) => [r.match.kind, r.match.value, r.action.type === 'route' ? r.action.cluster : null, r.action.type === 'route' ? r.action.timeoutMs : 0]),
      [
        ['prefix', '/service/1', 'service1', 15000],
        ['prefix', '/service/2', 'service2', 15000],
      ],
    );
    // `typed_config: {}` on the router: an empty Any, looked up by name.
    assert.equal(h.suppressEnvoyHeaders, false);
    assert.equal(h.healthCheck, null);
  }
  assert.equal(s.listeners[0].filterChains[0].tls, null);
  const tls = s.listeners[1].filterChains[0].tls;
  assert.ok(tls);
  assert.equal(tls.common.tlsCertificates.length, 1);
  assert.equal(tls.common.tlsCertificates[0].certificateChain.kind, 'inline_string');
  assert.match(tls.common.tlsCertificates[0].certificateChain.value, /^-----BEGIN CERTIFICATE-----\n/);
  assert.match(tls.common.tlsCertificates[0].privateKey.value, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.deepEqual(tls.common.alpnProtocols, []);
  assert.equal(tls.requireClientCertificate, false);
});

test('front-envoy.yaml: STRICT_DNS round-robin clusters over HTTP/2 with a 250 ms connect timeout', () => {
  const s = ok(loadYaml(seed('front-envoy.yaml')));
  assert.deepEqual(
    s.clusters.map((c) => [c.name, c.type, c.lbPolicy, c.protocol, c.connectTimeoutMs]),
    [
      ['service1', 'STRICT_DNS', 'ROUND_ROBIN', 'http2', 250],
      ['service2', 'STRICT_DNS', 'ROUND_ROBIN', 'http2', 250],
    ],
  );
  assert.deepEqual(
    s.clusters.map((c) => c.endpoints.map((e) => [e.address, e.port, e.weight])),
    [[['service1', 8000, 1]], [['service2', 8000, 1]]],
  );
  const c = s.clusters[0];
  assert.equal(c.dnsRefreshRateMs, 5000);
  assert.equal(c.dnsFailureRefreshRateMs, 5000);
  assert.equal(c.dnsLookupFamily, 'AUTO');
  assert.deepEqual(c.dnsResolvers, []);
  assert.equal(c.circuitBreakers.default.maxConnections, 1024);
  assert.equal(c.http2.maxConcurrentStreams, 2147483647);
});

test('front-envoy.yaml: admin address and access log path, runtime layer flattened', () => {
  const s = ok(loadYaml(seed('front-envoy.yaml')));
  assert.deepEqual(s.admin?.address, { address: '0.0.0.0', port: 8001 });
  assert.deepEqual(s.admin?.accessLogs, [{ path: '/dev/null', textFormat: null, jsonFormat: null, typedJson: false, omitEmptyValues: false }]);
  assert.deepEqual(s.runtime.layers, [
    {
      name: 'static_layer_0',
      kind: 'static',
      values: { 'envoy.resource_limits.listener.example_listener_name.connection_limit': 10000 },
    },
  ]);
  assert.equal(s.statsFlushIntervalMs, 5000);
  assert.deepEqual(s.node, { id: '', cluster: '', locality: { region: '', zone: '', subZone: '' } });
});

test('service-envoy.yaml: a router without typed_config, a freely named HCM filter, /tmp/access.log', () => {
  const s = ok(loadYaml(seed('service-envoy.yaml')));
  assert.equal(s.listeners.length, 1);
  const l = s.listeners[0];
  assert.deepEqual(l.address, { address: '0.0.0.0', port: 8000 });
  const h = l.filterChains[0].hcm;
  assert.equal(h.codec, 'AUTO');
  assert.equal(h.statPrefix, 'ingress_http');
  assert.equal(h.routeConfig.name, 'cr7_route');
  const r = h.routeConfig.virtualHosts[0].routes[0];
  assert.deepEqual([r.match.kind, r.match.value], ['prefix', '/service']);
  assert.equal(r.action.type === 'route' && r.action.cluster, 'cr7_cluster');
  assert.deepEqual(
    s.clusters.map((c) => [c.name, c.type, c.lbPolicy, c.protocol, c.connectTimeoutMs, c.endpoints[0].address, c.endpoints[0].port]),
    [['cr7_cluster', 'STRICT_DNS', 'ROUND_ROBIN', 'http1', 250, '127.0.0.1', 8080]],
  );
  assert.deepEqual(s.admin?.address, { address: '0.0.0.0', port: 8001 });
  assert.equal(s.admin?.accessLogs[0].path, '/tmp/access.log');
  assert.deepEqual(s.runtime.layers, []);
});

test('the snapshot is deeply frozen', () => {
  const s = ok(loadYaml(seed('front-envoy.yaml')));
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(s.listeners[0].filterChains[0].hcm.routeConfig.virtualHosts[0].routes[0].match));
  assert.ok(Object.isFrozen(s.clusters[0].endpoints));
});

// ---- input forms Envoy accepts ----

test('JSON input, with camelCase field names', () => {
  const text = JSON.stringify({
    staticResources: {
      listeners: [
        {
          name: 'l0',
          address: { socketAddress: { address: '127.0.0.1', portValue: 10000 } },
          filterChains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typedConfig: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    codecType: 'HTTP1',
                    statPrefix: 'in',
                    routeConfig: {
                      virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c0', timeout: '2s' } }] }],
                    },
                    httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                    streamIdleTimeout: '30s',
                    useRemoteAddress: true,
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: 'c0',
          connectTimeout: '0.5s',
          lbPolicy: 'LEAST_REQUEST',
          leastRequestLbConfig: { choiceCount: 3 },
          loadAssignment: { clusterName: 'c0', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 80 } } } }] }] },
        },
      ],
    },
  });
  const s = ok(loadConfig([{ name: 'envoy.json', text }], env()));
  const h = s.listeners[0].filterChains[0].hcm;
  assert.equal(h.codec, 'HTTP1');
  assert.equal(h.statPrefix, 'in');
  assert.equal(h.streamIdleTimeoutMs, 30000);
  assert.equal(h.useRemoteAddress, true);
  const a = h.routeConfig.virtualHosts[0].routes[0].action;
  assert.equal(a.type === 'route' && a.timeoutMs, 2000);
  assert.equal(s.clusters[0].connectTimeoutMs, 500);
  assert.equal(s.clusters[0].lbPolicy, 'LEAST_REQUEST');
  assert.equal(s.clusters[0].leastRequestChoiceCount, 3);
  assert.equal(s.clusters[0].type, 'STATIC');
  assert.equal(s.admin, null);
});

test('a .json file that is not JSON is a JSON error; YAML files may be written as JSON', () => {
  assert.match(errors(loadConfig([{ name: 'x.json', text: 'a: 1' }], env()))[0], /^x\.json: invalid JSON: /);
  ok(loadConfig([{ name: 'x.yaml', text: JSON.stringify(base()) }], env()));
});

test('enum values in any case, and by number', () => {
  const s = acceptWith((b) => {
    hcmOf(b).codec_type = 'http2';
    b.static_resources.clusters[0].lb_policy = 'Random';
    b.static_resources.clusters[0].dns_lookup_family = 'v4_only';
    b.static_resources.clusters.push(cluster('c1', { type: 1, lb_policy: '1' }));
  });
  assert.equal(s.listeners[0].filterChains[0].hcm.codec, 'HTTP2');
  assert.equal(s.clusters[0].lbPolicy, 'RANDOM');
  assert.equal(s.clusters[0].dnsLookupFamily, 'V4_ONLY');
  assert.equal(s.clusters[1].type, 'STRICT_DNS');
  assert.equal(s.clusters[1].lbPolicy, 'LEAST_REQUEST');
});

test('durations as strings and as {seconds, nanos}', () => {
  const s = acceptWith((b) => {
    b.static_resources.clusters[0].connect_timeout = '0.25s';
    b.static_resources.clusters.push(cluster('c1', { connect_timeout: { seconds: 2, nanos: 500000000 } }));
    b.static_resources.clusters.push(cluster('c2', { connect_timeout: { nanos: 1000000 } }));
    b.static_resources.clusters.push(cluster('c3', { connect_timeout: '3.000000001s' }));
    hcmOf(b).stream_idle_timeout = '0s';
    hcmOf(b).request_timeout = { seconds: '7' };
    route0(b).route.timeout = '1.5s';
  });
  assert.deepEqual(
    s.clusters.map((c) => c.connectTimeoutMs),
    [250, 2500, 1, 3000.000001],
  );
  const h = s.listeners[0].filterChains[0].hcm;
  assert.equal(h.streamIdleTimeoutMs, 0);
  assert.equal(h.requestTimeoutMs, 7000);
  const a = h.routeConfig.virtualHosts[0].routes[0].action;
  assert.equal(a.type === 'route' && a.timeoutMs, 1500);
});

test('legacy filter names: envoy.http_connection_manager and envoy.router', () => {
  const s = acceptWith((b) => {
    const f = b.static_resources.listeners[0].filter_chains[0].filters[0];
    f.name = 'envoy.http_connection_manager';
    f.typed_config.http_filters = [{ name: 'envoy.router' }];
  });
  assert.equal(s.listeners[0].filterChains[0].hcm.statPrefix, 'ingress_http');
});

test('a router without typed_config, with {} and with a Router config', () => {
  for (const f of [
    { name: 'envoy.filters.http.router' },
    { name: 'envoy.filters.http.router', typed_config: {} },
    { name: 'anything', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppress_envoy_headers: true } },
  ]) {
    const s = acceptWith((b) => (hcmOf(b).http_filters = [f]));
    assert.equal(s.listeners[0].filterChains[0].hcm.suppressEnvoyHeaders, f.name === 'anything');
  }
});

test('"@type" URLs: any host part before the last "/" is ignored', () => {
  acceptWith((b) => {
    hcmOf(b)['@type'] = 'example.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
  });
});

test('health_check filter before the router', () => {
  const s = acceptWith((b) => {
    hcmOf(b).http_filters.unshift({
      name: 'envoy.filters.http.health_check',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck',
        pass_through_mode: false,
        headers: [{ name: ':path', string_match: { exact: '/healthz' } }],
      },
    });
  });
  const hc = s.listeners[0].filterChains[0].hcm.healthCheck;
  assert.equal(hc?.passThroughMode, false);
  assert.deepEqual(hc?.headers.map((h) => [h.name, h.string?.value]), [[':path', '/healthz']]);
});

test('typed_extension_protocol_options HttpProtocolOptions explicit_http_config http2', () => {
  const s = acceptWith((b) => {
    b.static_resources.clusters[0].typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': HTTP_OPTIONS_TYPE,
        common_http_protocol_options: { idle_timeout: '30s', max_requests_per_connection: 100 },
        explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 50, initial_stream_window_size: 65536 } },
      },
    };
    b.static_resources.clusters.push(
      cluster('c1', {
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_OPTIONS_TYPE, explicit_http_config: { http_protocol_options: {} } },
        },
      }),
    );
  });
  const [c0, c1] = s.clusters;
  assert.equal(c0.protocol, 'http2');
  assert.equal(c0.http2.maxConcurrentStreams, 50);
  assert.equal(c0.http2.initialStreamWindowSize, 65536);
  assert.equal(c0.upstreamIdleTimeoutMs, 30000);
  assert.equal(c0.maxRequestsPerConnection, 100);
  assert.equal(c1.protocol, 'http1');
});

test('HttpProtocolOptions without an upstream protocol choice is an error, as in Envoy', () => {
  const e = rejectWith((b) => {
    b.static_resources.clusters[0].typed_extension_protocol_options = {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_OPTIONS_TYPE, common_http_protocol_options: { idle_timeout: '1s' } },
    };
  });
  assert.deepEqual(e, [
    `${C0}.typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions: one of explicit_http_config, use_downstream_protocol_config, auto_config is required`,
  ]);
});

test('a single element in place of a list, as protobuf\'s legacy JSON parser allows', () => {
  const s = acceptWith((b) => {
    hcmOf(b).route_config.virtual_hosts[0].domains = 'example.com';
  });
  assert.deepEqual(s.listeners[0].filterChains[0].hcm.routeConfig.virtualHosts[0].domains, ['example.com']);
});

test('null leaves a field unset; quoted numbers and booleans are taken', () => {
  const s = acceptWith((b) => {
    b.static_resources.clusters[0].lb_policy = null;
    b.static_resources.clusters[0].per_connection_buffer_limit_bytes = '32768';
    hcmOf(b).use_remote_address = 'true';
    hcmOf(b).xff_num_trusted_hops = { value: 2 };
  });
  assert.equal(s.clusters[0].lbPolicy, 'ROUND_ROBIN');
  assert.equal(s.clusters[0].perConnectionBufferLimitBytes, 32768);
  assert.equal(s.listeners[0].filterChains[0].hcm.useRemoteAddress, true);
  assert.equal(s.listeners[0].filterChains[0].hcm.xffNumTrustedHops, 2);
});

// ---- --config-yaml merge ----

test('--config-yaml merges over the file: repeated fields append, messages merge, scalars replace', () => {
  const file = base();
  const over = {
    static_resources: { clusters: [cluster('c1')] },
    admin: { access_log_path: '/tmp/admin.log' },
    node: { id: 'n1' },
    stats_flush_interval: '10s',
  };
  const s = ok(
    loadConfig(
      [
        { name: 'envoy.yaml', text: JSON.stringify(file) },
        { name: '--config-yaml', text: JSON.stringify(over) },
      ],
      env(),
    ),
  );
  assert.deepEqual(s.clusters.map((c) => c.name), ['c0', 'c1']);
  assert.deepEqual(s.admin?.address, { address: '127.0.0.1', port: 9901 });
  assert.equal(s.admin?.accessLogs[0].path, '/tmp/admin.log');
  assert.equal(s.node.id, 'n1');
  assert.equal(s.statsFlushIntervalMs, 10000);
});

test('--config-yaml alone is a complete config', () => {
  const s = ok(loadConfig([{ name: '--config-yaml', text: JSON.stringify(base()) }], env()));
  assert.equal(s.listeners.length, 1);
});

test('--config-yaml errors are prefixed with the source name', () => {
  const e = errors(
    loadConfig(
      [
        { name: 'envoy.yaml', text: JSON.stringify(base()) },
        { name: '--config-yaml', text: 'admin: { bogus: 1 }' },
      ],
      env(),
    ),
  );
  assert.deepEqual(e, ['--config-yaml: admin.bogus: unknown field']);
});

test('--config-yaml adding a listener whose name is taken is a duplicate', () => {
  const over = { static_resources: { listeners: [base().static_resources.listeners[0]] } };
  over.static_resources.listeners[0].address.socket_address.port_value = 10001;
  const e = errors(
    loadConfig(
      [
        { name: 'envoy.yaml', text: JSON.stringify(base()) },
        { name: '--config-yaml', text: JSON.stringify(over) },
      ],
      env(),
    ),
  );
  assert.deepEqual(e, ["static_resources.listeners[1].name: error adding listener named 'l0': duplicate listener (also listeners[0])"]);
});

test('mergeTrees: lists append, objects merge, scalars replace', () => {
  assert.deepEqual(mergeTrees({ a: [1], b: { c: 1, d: 2 }, e: 'x' }, { a: [2], b: { d: 3 }, e: 'y', f: true }), {
    a: [1, 2],
    b: { c: 1, d: 3 },
    e: 'y',
    f: true,
  });
  assert.equal(mergeTrees(1, undefined), 1);
  assert.deepEqual(mergeTrees(undefined, { a: 1 }), { a: 1 });
});

test('mergeTrees with the schema: map and Struct entries replace, an Any of another type replaces', () => {
  const merged = mergeTrees(
    {
      node: { metadata: { a: { x: 1, y: 2 } } },
      static_resources: { clusters: [{ name: 'c' }] },
    },
    { node: { metadata: { a: { x: 3 } }, id: 'n' } },
    bootstrap,
  );
  assert.deepEqual(merged, { node: { metadata: { a: { x: 3 } }, id: 'n' }, static_resources: { clusters: [{ name: 'c' }] } });
  const any = mergeTrees(
    { admin: { access_log: [] }, typed_dns_resolver_config: { name: 'r', typed_config: { '@type': 'a.B', x: 1 } } },
    { typed_dns_resolver_config: { typed_config: { '@type': 'c.D', y: 2 } } },
    bootstrap,
  );
  assert.deepEqual(any, { admin: { access_log: [] }, typed_dns_resolver_config: { name: 'r', typed_config: { '@type': 'c.D', y: 2 } } });
});

// ---- text errors ----

test('bad YAML, empty text, several documents, a non-mapping top level', () => {
  assert.match(errors(loadYaml('static_resources: [\n'))[0], /^test\.yaml: invalid YAML: /);
  assert.deepEqual(errors(loadYaml('')), ['test.yaml: configuration is empty']);
  assert.deepEqual(errors(loadYaml('  \n\n')), ['test.yaml: configuration is empty']);
  assert.deepEqual(errors(loadYaml('# only a comment\n')), ['test.yaml: configuration is empty']);
  assert.deepEqual(errors(loadYaml('admin: {}\n---\nadmin: {}\n')), ['test.yaml: expected exactly one YAML document, found 2']);
  assert.deepEqual(errors(loadYaml('- a\n- b\n')), ['test.yaml: the bootstrap must be a mapping at the top level']);
  assert.match(errors(loadYaml('admin: {}\nadmin: {}\n'))[0], /^test\.yaml: invalid YAML: Map keys must be unique/);
  assert.deepEqual(errors(loadConfig([], env())), ['no configuration given: use -c <path> and/or --config-yaml <yaml>']);
});

test('binary and text protobuf configs are refused by name', () => {
  assert.deepEqual(parseConfigText({ name: 'envoy.pb', text: 'x' }), {
    error: 'envoy.pb: binary and text protobuf configs are not supported by nuncio; use YAML or JSON',
  });
});

test('an empty bootstrap is valid (Envoy starts with nothing configured)', () => {
  const s = ok(loadYaml('{}'));
  assert.deepEqual([s.listeners.length, s.clusters.length, s.admin], [0, 0, null]);
});

// ---- unknown fields ----

test('an unknown field is an error naming its path', () => {
  const e = rejectWith((b) => (b.static_resources.clusters[0].lb_polcy = 'ROUND_ROBIN'));
  assert.deepEqual(e, ['static_resources.clusters[0].lb_polcy: unknown field']);
});

test('unknown top-level fields', () => {
  assert.deepEqual(errors(loadYaml('static_resource: {}\nadmn: {}\n')), ['static_resource: unknown field', 'admn: unknown field']);
});

test('--allow-unknown-static-fields: unknown fields are dropped and listed; other errors stay fatal', () => {
  const b = base();
  b.static_resources.clusters[0].lb_polcy = 'RANDOM';
  b.bogus = 1;
  route0(b).route.retry_polcy = {};
  const r = loadObj(b, { allowUnknownFields: true });
  const s = ok(r);
  assert.equal(s.clusters[0].lbPolicy, 'ROUND_ROBIN');
  assert.deepEqual(r.ok && r.unknownFields, [`${R0}.route.retry_polcy`, 'static_resources.clusters[0].lb_polcy', 'bogus']);
  assert.deepEqual(
    errors(loadObj({ ...b, admin: { address: { socket_address: { address: '127.0.0.1', port_value: 'x' } } } }, { allowUnknownFields: true })),
    ['admin.address.socket_address.port_value: expected a number, got string "x"'],
  );
  assert.deepEqual(ok(loadObj(base())).clusters.length, 1);
  const plain = loadObj(base(), { allowUnknownFields: true });
  assert.deepEqual(plain.ok && plain.unknownFields, []);
});

// ---- data sources ----

test('direct_response bodies from inline_string, inline_bytes, filename and environment_variable', () => {
  const bodies = [{ inline_string: 'hello' }, { inline_bytes: Buffer.from('bytes!').toString('base64') }, { filename: '/etc/body.txt' }, { environment_variable: 'BODY' }];
  const s = acceptWith(
    (b) => {
      hcmOf(b).route_config.virtual_hosts[0].routes = bodies.map((body, i) => ({ match: { path: `/${i}` }, direct_response: { status: 200 + i, body } }));
    },
    {},
    env({ '/etc/body.txt': 'from a file' }, { BODY: 'from the environment' }),
  );
  const routes = s.listeners[0].filterChains[0].hcm.routeConfig.virtualHosts[0].routes;
  assert.deepEqual(
    routes.map((r) => (r.action.type === 'direct_response' ? [r.action.status, r.action.body] : null)),
    [
      [200, 'hello'],
      [201, 'bytes!'],
      [202, 'from a file'],
      [203, 'from the environment'],
    ],
  );
});

test('data sources that cannot be read, or name no source', () => {
  const e = rejectWith((b) => {
    hcmOf(b).route_config.virtual_hosts[0].routes = [
      { match: { path: '/a' }, direct_response: { status: 200, body: { filename: '/nope' } } },
      { match: { path: '/b' }, direct_response: { status: 200, body: { environment_variable: 'UNSET' } } },
      { match: { path: '/c' }, direct_response: { status: 200, body: {} } },
      { match: { path: '/d' }, direct_response: { status: 200, body: { inline_string: 'x', filename: '/y' } } },
    ];
  });
  const V = R0.replace(/routes\[0\]$/, 'routes');
  assert.deepEqual(e, [
    `${V}[2].direct_response.body: one of filename, inline_bytes, inline_string, environment_variable is required`,
    `${V}[3].direct_response.body: only one of filename, inline_bytes, inline_string, environment_variable may be set (got filename, inline_string)`,
  ]);
  const e2 = rejectWith((b) => {
    hcmOf(b).route_config.virtual_hosts[0].routes = [
      { match: { path: '/a' }, direct_response: { status: 200, body: { filename: '/nope' } } },
      { match: { path: '/b' }, direct_response: { status: 200, body: { environment_variable: 'UNSET' } } },
    ];
  });
  assert.deepEqual(e2, [
    `${V}[0].direct_response.body: cannot read file "/nope"`,
    `${V}[1].direct_response.body: environment variable "UNSET" is not set`,
  ]);
});

test('direct_response body size limit (4096 by default, max_direct_response_body_size_bytes)', () => {
  const big = 'x'.repeat(4097);
  const e = rejectWith((b) => (hcmOf(b).route_config.virtual_hosts[0].routes = [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: big } } }]));
  assert.deepEqual(e, [`${R0}.direct_response.body: response body size is 4097 bytes; maximum is 4096`]);
  const s = acceptWith((b) => {
    hcmOf(b).route_config.max_direct_response_body_size_bytes = 5000;
    hcmOf(b).route_config.virtual_hosts[0].routes = [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: big } } }];
  });
  assert.equal(s.listeners[0].filterChains[0].hcm.routeConfig.maxDirectResponseBodySizeBytes, 5000);
  const e2 = rejectWith(
    (b) => (hcmOf(b).route_config.virtual_hosts[0].routes = [{ match: { prefix: '/' }, direct_response: { status: 200, body: { filename: '/big' } } }]),
    {},
    env({ '/big': 'é'.repeat(2049) }),
  );
  assert.deepEqual(e2, [`${R0}.direct_response.body: response body size is 4098 bytes; maximum is 4096`]);
});

test('access log formats: text_format_source from a file, and format errors from checkFormat', () => {
  const T = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
  const s = acceptWith(
    (b) => {
      hcmOf(b).access_log = [
        { name: 'a', typed_config: { '@type': T, path: '/tmp/a.log', log_format: { text_format_source: { filename: '/fmt' } } } },
        { name: 'b', typed_config: { '@type': T, path: '/tmp/b.log', log_format: { json_format: { code: '%RESPONSE_CODE%' }, omit_empty_values: true } } },
        { name: 'c', typed_config: { '@type': T, path: '/tmp/c.log', format: '' } },
        { name: 'd', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog' } },
      ];
    },
    {},
    env({ '/fmt': '%RESPONSE_CODE% %PROTOCOL%\n' }),
  );
  assert.deepEqual(s.listeners[0].filterChains[0].hcm.accessLogs, [
    { path: '/tmp/a.log', textFormat: '%RESPONSE_CODE% %PROTOCOL%\n', jsonFormat: null, typedJson: false, omitEmptyValues: false },
    { path: '/tmp/b.log', textFormat: null, jsonFormat: { code: '%RESPONSE_CODE%' }, typedJson: true, omitEmptyValues: true },
    { path: '/tmp/c.log', textFormat: null, jsonFormat: null, typedJson: false, omitEmptyValues: false },
    { path: '/dev/stdout', textFormat: null, jsonFormat: null, typedJson: false, omitEmptyValues: false },
  ]);
  const e = rejectWith((b) => {
    hcmOf(b).access_log = [{ name: 'a', typed_config: { '@type': T, path: '/tmp/a.log', log_format: { text_format: '%BOGUS%' } } }];
    b.admin.access_log = [{ name: 'b', typed_config: { '@type': T, path: '/tmp/b.log', format: '%START_TIME' } }];
  });
  assert.deepEqual(e, [
    'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.access_log[0]: Not supported field in StreamInfo: BOGUS',
    "admin.access_log[0]: Incorrect configuration: %START_TIME. Couldn't find valid command at position 0",
  ]);
});

test('route config errors from core/router/check.ts come with their path', () => {
  const e = rejectWith((b) => {
    const vhs = hcmOf(b).route_config.virtual_hosts;
    vhs.push({ name: 'other', domains: ['*'], routes: [{ match: { safe_regex: { regex: '(' } }, route: { cluster: 'c0' } }] });
  });
  assert.equal(e.length, 2);
  assert.equal(e[0], `${R0.replace(/virtual_hosts\[0\]\.routes\[0\]$/, 'virtual_hosts[1]')}.domains[0]: only a single wildcard domain "*" is permitted (also in virtual host "backend")`);
  assert.match(e[1], /virtual_hosts\[1\]\.routes\[0\]\.match\.safe_regex\.regex: /);
});

test('service cluster, node and zone from the command line override node', () => {
  const b = base();
  b.node = { id: 'file-id', cluster: 'file-cluster', locality: { region: 'r', zone: 'z', sub_zone: 's' } };
  const s = ok(loadObj(b, {}, { ...env(), serviceCluster: 'cli-cluster', serviceNode: 'cli-node', serviceZone: 'cli-zone' }));
  assert.deepEqual(s.node, { id: 'cli-node', cluster: 'cli-cluster', locality: { region: 'r', zone: 'cli-zone', subZone: 's' } });
});
