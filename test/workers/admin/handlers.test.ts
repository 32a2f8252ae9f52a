import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createAdminHandler, flushHistograms, refreshServerGauges } from '../../../workers/admin/handlers.js';
import type { AdminContext, CommandLineOptions, ServerState } from '../../../workers/admin/context.js';
import { StatsRegistry } from '../../../core/stats/registry.js';
import { CLUSTER, HOST, HOST_BLOCK_SIZE, LISTENER, SERVER } from '../../../core/stats/defs.js';
import { HealthFlag, type HostSpec } from '../../../core/cluster/host.js';
import { HOSTS_PER_PAGE } from '../../../core/cluster/runtime.js';
import type { RuntimeEntry } from '../../../core/config/runtime.js';
import { fixtureSnapshot } from '../../core/stats/fixture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The self-signed front-envoy certificate and key shipped in config/front-envoy.yaml. */
function frontEnvoyPem(): { cert: string; key: string } {
  const yaml = fs.readFileSync(path.join(ROOT, 'config/front-envoy.yaml'), 'utf8');
  const block = (kind: string): string => {
    const m = new RegExp(`-----BEGIN ${kind}-----[\\s\\S]*?-----END ${kind}-----`).exec(yaml);
    if (!m) throw new Error(`no ${kind} in front-envoy.yaml`);
    return m[0].split('\n').map((l) => l.trim()).join('\n');
  };
  return { cert: block('CERTIFICATE'), key: block('PRIVATE KEY') };
}

const snap = fixtureSnapshot(frontEnvoyPem());
const NOW = Date.now();

const options: CommandLineOptions = {
  configPath: '/etc/envoy.yaml',
  configYaml: '',
  mode: 'serve',
  concurrency: 2,
  serviceCluster: '',
  serviceNode: '',
  serviceZone: '',
  logLevel: 'info',
  componentLogLevel: '',
  logPath: '',
  logFormat: '[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v',
  drainTimeS: 600,
  parentShutdownTimeS: 900,
  drainStrategy: 'gradual',
  baseId: 0,
  restartEpoch: 0,
  disableHotRestart: false,
  localAddressIpVersion: 'v4',
  fileFlushIntervalMsec: 10000,
  allowUnknownStaticFields: false,
  http1Engine: 'uws',
};

/** A fake server behind the AdminContext interface, recording what the handlers asked it to do. */
class FakeServer {
  readonly registry = new StatsRegistry(3);
  state: ServerState = 0;
  hcFailed = false;
  level = 'info';
  quits = 0;
  resets = 0;
  drains: { graceful: boolean; inboundOnly: boolean; skipExit: boolean }[] = [];
  modified: Record<string, string>[] = [];
  runtimeError: string | null = null;
  readonly hostMap = new Map<string, HostSpec[]>();

  constructor() {
    this.registry.prepare(snap);
  }

  hostIndex(id: string): number {
    return this.registry.hostSlot(id).index;
  }

  context(): AdminContext {
    const entries = new Map<string, RuntimeEntry>([
      ['a.b', { finalValue: '1', layerValues: ['1', ''] }],
      ['c', { finalValue: 'y', layerValues: ['x', 'y'] }],
    ]);
    return {
      version: 'abc123/0.1.0/Clean/RELEASE/nuncio',
      startedAtMs: NOW - 5_000,
      options,
      hostname: 'test-host',
      snapshot: () => snap,
      registry: this.registry,
      concurrency: 2,
      hosts: (c) => this.hostMap.get(c) ?? [],
      state: () => this.state,
      runtime: () => ({ layers: ['static_layer_0', 'admin'], entries }),
      runtimeModify: (v) => {
        if (this.runtimeError !== null) return this.runtimeError;
        this.modified.push(v);
        return null;
      },
      healthCheckFailed: () => this.hcFailed,
      setHealthCheckFailed: (f) => {
        this.hcFailed = f;
      },
      drainListeners: (o) => {
        this.drains.push(o);
      },
      quit: () => {
        this.quits++;
      },
      logLevel: () => this.level,
      setLogLevel: (l) => {
        if (!['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'].includes(l)) return false;
        this.level = l;
        return true;
      },
      resetCounters: () => {
        this.resets++;
      },
      memory: () => ({ allocated: 1000, heapSize: 2000, physicalSize: 3000, pageheapUnmapped: 0, pageheapFree: 0, totalThreadCache: 0 }),
      firstCertExpiryMs: () => NOW + 10.5 * 86_400_000,
      listenerAddresses: () => new Map([[snap.listeners[0].name, '0.0.0.0:18080']]),
    };
  }
}

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let fake: FakeServer;
let server: http.Server;
let port = 0;

function request(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, headers, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const get = (url: string): Promise<Res> => request('GET', url);
const post = (url: string, body?: string, headers?: Record<string, string>): Promise<Res> => request('POST', url, body, headers);

function assertCommonHeaders(r: Res, type = 'text/plain; charset=UTF-8'): void {
  assert.equal(r.headers['content-type'], type);
  assert.equal(r.headers['cache-control'], 'no-cache, max-age=0');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
}

before(async () => {
  fake = new FakeServer();
  server = http.createServer(createAdminHandler(fake.context()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
});

test('unknown paths get 404 with the help text; paths match exactly', async () => {
  for (const url of ['/nope', '/stats/', '/STATS', '/stats/prometheus/x']) {
    const r = await get(url);
    assert.equal(r.status, 404, url);
    assertCommonHeaders(r);
    assert.ok(r.body.startsWith('invalid path. admin commands are:\n  /: Admin home page\n'), url);
  }
});

test('endpoints that change state need POST (405 otherwise) and do nothing on GET', async () => {
  for (const url of ['/quitquitquit', '/reset_counters', '/healthcheck/fail', '/healthcheck/ok', '/runtime_modify?a=b', '/drain_listeners', '/logging?level=debug']) {
    const r = await get(url);
    assert.equal(r.status, 405, url);
    assert.equal(r.body, 'Method GET not allowed, POST required.');
    assertCommonHeaders(r);
  }
  assert.equal((await request('PUT', '/healthcheck/fail')).body, 'Method PUT not allowed, POST required.');
  assert.equal(fake.quits, 0);
  assert.equal(fake.resets, 0);
  assert.equal(fake.hcFailed, false);
  assert.equal(fake.modified.length, 0);
  assert.equal(fake.level, 'info');
});

test('/help lists the commands sorted, POST ones marked, with their parameters', async () => {
  const r = await get('/help');
  assert.equal(r.status, 200);
  assertCommonHeaders(r);
  const lines = r.body.split('\n');
  assert.equal(lines[0], 'admin commands are:');
  const cmds = lines.filter((l) => /^ {2}\//.test(l)).map((l) => l.trim().split(/[ :]/)[0]);
  assert.deepEqual([...cmds].sort(), cmds);
  for (const p of ['/', '/certs', '/clusters', '/config_dump', '/listeners', '/memory', '/ready', '/runtime', '/server_info', '/stats', '/stats/prometheus']) {
    assert.ok(cmds.includes(p), p);
  }
  assert.ok(lines.includes('  /quitquitquit (POST): exit the server'));
  assert.ok(lines.includes('  /reset_counters (POST): reset all counters to zero'));
  assert.ok(lines.includes('  /healthcheck/fail (POST): cause the server to fail health checks'));
  assert.ok(lines.includes('  /stats: print server stats'));
  assert.ok(lines.includes('      filter: Regular expression (Google re2) for filtering stats'));
  assert.ok(lines.includes('      histogram_buckets: Histogram bucket display mode; One of (cumulative, disjoint, none)'));
  const home = await get('/');
  assert.equal(home.status, 200);
  assertCommonHeaders(home, 'text/html; charset=UTF-8');
  assert.match(home.body, /<a href='\/stats'>stats<\/a>/);
  assert.match(home.body, /<form action='\/quitquitquit' method='post'/);
});

test('/stats: text with refreshed server gauges; filter keeps a literal +; errors as Envoy', async () => {
  fake.registry.get('listener.0.0.0.0_8080')!.row(0)[LISTENER.downstream_cx_active] = 2;
  fake.registry.get('listener.0.0.0.0_8443')!.row(1)[LISTENER.downstream_cx_active] = 1;
  fake.registry.get('listener.admin')!.row(2)[LISTENER.downstream_cx_active] = 1;
  fake.registry.get('cluster.service1')!.row(0)[CLUSTER.upstream_rq_total] = 4;
  const r = await get('/stats');
  assert.equal(r.status, 200);
  assertCommonHeaders(r);
  const lines = r.body.trimEnd().split('\n');
  assert.ok(lines.includes('cluster.service1.upstream_rq_total: 4'));
  assert.ok(lines.includes('server.concurrency: 2'));
  assert.ok(lines.includes('server.live: 1'));
  assert.ok(lines.includes('server.state: 0'));
  assert.ok(lines.includes('server.memory_allocated: 1000'));
  assert.ok(lines.includes('server.memory_heap_size: 2000'));
  assert.ok(lines.includes('server.memory_physical_size: 3000'));
  assert.ok(lines.includes('server.days_until_first_cert_expiring: 10'));
  assert.ok(lines.includes('server.total_connections: 3'), 'listener connections, not the admin one');
  const uptime = Number(lines.find((l) => l.startsWith('server.uptime: '))!.split(': ')[1]);
  assert.ok(uptime >= 5 && uptime < 60);
  assert.ok(lines.every((l) => l.includes(': ')));

  const f = await get('/stats?filter=%5Eserver%5C.uptim%2Be%24|server.stat+e$');
  assert.match(f.body, /^server\.state: 0\nserver\.uptime: \d+\n$/);
  const bad = await get('/stats?filter=(');
  assert.equal(bad.status, 400);
  assert.equal(bad.body, 'Invalid re2 regex');
  assertCommonHeaders(bad);
  assert.equal((await get('/stats?type=nope')).status, 400);

  const j = await get('/stats?format=json&filter=server.uptime');
  assertCommonHeaders(j, 'application/json');
  assert.deepEqual(Object.keys(JSON.parse(j.body)), ['stats']);
  assert.equal(JSON.parse(j.body).stats[0].name, 'server.uptime');

  const u = await get('/stats?usedonly&filter=^cluster');
  assert.equal(u.body, 'cluster.service1.upstream_rq_total: 4\n');
});

test('/stats/prometheus and /stats?format=prometheus', async () => {
  const a = await get('/stats/prometheus?filter=upstream_rq_total');
  const b = await get('/stats?format=prometheus&filter=upstream_rq_total');
  assert.equal(a.status, 200);
  assertCommonHeaders(a);
  assert.equal(a.body, b.body);
  assert.equal(
    a.body,
    '# TYPE envoy_cluster_upstream_rq_total counter\n' +
      'envoy_cluster_upstream_rq_total{envoy_cluster_name="service1"} 4\n' +
      'envoy_cluster_upstream_rq_total{envoy_cluster_name="svc2"} 0\n\n',
  );
  assert.equal((await get('/stats/prometheus?filter=[')).status, 400);
});

test('/clusters: Envoy text lines, per-host stats from the shared slots, and JSON', async () => {
  const i1 = fake.hostIndex('service1|10.0.0.1:8000');
  const i2 = fake.hostIndex('service2|10.0.0.2:9000');
  const page = fake.registry.hostPages[0];
  const slot = (i: number, s: number): number => (i % HOSTS_PER_PAGE) * HOST_BLOCK_SIZE + s;
  page.row(0)[slot(i1, HOST.cx_total)] = 2;
  page.row(1)[slot(i1, HOST.cx_total)] = 3;
  page.row(1)[slot(i1, HOST.rq_active)] = 1;
  page.row(0)[slot(i2, HOST.rq_error)] = 7;
  fake.hostMap.set('service1', [{ address: '10.0.0.1', port: 8000, hostname: 'one.local', weight: 3, statIndex: i1, healthFlags: 0 }]);
  fake.hostMap.set('service2', [
    { address: '10.0.0.2', port: 9000, hostname: '', weight: 1, statIndex: i2, healthFlags: HealthFlag.FAILED_ACTIVE_HC | HealthFlag.FAILED_OUTLIER_CHECK },
  ]);
  const r = await get('/clusters');
  assert.equal(r.status, 200);
  assertCommonHeaders(r);
  const cb = (c: string, p: string, a: number[]): string[] =>
    ['max_connections', 'max_pending_requests', 'max_requests', 'max_retries'].map((n, k) => `${c}::${p}_priority::${n}::${a[k]}`);
  const host = (c: string, h: string, v: Record<string, string>): string[] => [
    ...['cx_active', 'cx_connect_fail', 'cx_total', 'rq_active', 'rq_error', 'rq_success', 'rq_timeout', 'rq_total'].map((s) => `${c}::${h}::${s}::${v[s] ?? '0'}`),
    `${c}::${h}::hostname::${v.hostname}`,
    `${c}::${h}::health_flags::${v.flags}`,
    `${c}::${h}::weight::${v.weight}`,
    `${c}::${h}::region::${v.region ?? ''}`,
    `${c}::${h}::zone::${v.zone ?? ''}`,
    `${c}::${h}::sub_zone::${v.sub_zone ?? ''}`,
    `${c}::${h}::canary::false`,
    `${c}::${h}::priority::0`,
    `${c}::${h}::success_rate::-1`,
    `${c}::${h}::local_origin_success_rate::-1`,
  ];
  const expected = [
    'service1::observability_name::service1',
    ...cb('service1', 'default', [1024, 1024, 1024, 3]),
    ...cb('service1', 'high', [1024, 1024, 1024, 3]),
    'service1::added_via_api::false',
    ...host('service1', '10.0.0.1:8000', { cx_total: '5', rq_active: '1', hostname: 'one.local', flags: 'healthy', weight: '3', region: 'r1', zone: 'z1', sub_zone: 's1' }),
    'service2::observability_name::svc2',
    'service2::outlier::success_rate_average::-1',
    'service2::outlier::success_rate_ejection_threshold::-1',
    'service2::outlier::local_origin_success_rate_average::-1',
    'service2::outlier::local_origin_success_rate_ejection_threshold::-1',
    ...cb('service2', 'default', [1024, 1024, 1024, 3]),
    ...cb('service2', 'high', [7, 8, 9, 10]),
    'service2::added_via_api::false',
    ...host('service2', '10.0.0.2:9000', { rq_error: '7', hostname: '', flags: '/failed_active_hc/failed_outlier_check', weight: '1' }),
  ];
  assert.equal(r.body, expected.join('\n') + '\n');

  const j = await get('/clusters?format=json');
  assertCommonHeaders(j, 'application/json');
  assert.ok(j.body.startsWith('{\n "cluster_statuses": [\n  {\n   "name": "service1",'), 'one-space protobuf indent');
  const parsed = JSON.parse(j.body);
  const s1 = parsed.cluster_statuses[0];
  assert.deepEqual(Object.keys(s1), ['name', 'host_statuses', 'circuit_breakers', 'observability_name']);
  assert.deepEqual(s1.circuit_breakers.thresholds[1], { priority: 'HIGH', max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3 });
  const h = s1.host_statuses[0];
  assert.deepEqual(h.address, { socket_address: { address: '10.0.0.1', port_value: 8000 } });
  assert.deepEqual(h.stats, [
    { name: 'cx_connect_fail' },
    { value: '5', name: 'cx_total' },
    { name: 'rq_error' },
    { name: 'rq_success' },
    { name: 'rq_timeout' },
    { name: 'rq_total' },
    { type: 'GAUGE', name: 'cx_active' },
    { type: 'GAUGE', value: '1', name: 'rq_active' },
  ]);
  assert.deepEqual(h.health_status, { eds_health_status: 'HEALTHY' });
  assert.equal(h.weight, 3);
  assert.equal(h.hostname, 'one.local');
  assert.deepEqual(h.locality, { region: 'r1', zone: 'z1', sub_zone: 's1' });
  const s2 = parsed.cluster_statuses[1];
  assert.equal(s2.observability_name, 'svc2');
  assert.deepEqual(s2.host_statuses[0].health_status, { failed_active_health_check: true, failed_outlier_check: true, eds_health_status: 'HEALTHY' });
});

test('/server_info: every field, Envoy key order; /ready and health check fail/ok', async () => {
  const r = await get('/server_info');
  assert.equal(r.status, 200);
  assertCommonHeaders(r, 'application/json');
  assert.ok(r.body.endsWith('}\n'));
  const info = JSON.parse(r.body);
  assert.deepEqual(Object.keys(info), ['version', 'state', 'hot_restart_version', 'command_line_options', 'uptime_current_epoch', 'uptime_all_epochs', 'node']);
  assert.equal(info.version, 'abc123/0.1.0/Clean/RELEASE/nuncio');
  assert.equal(info.state, 'LIVE');
  assert.match(info.uptime_current_epoch, /^\d+s$/);
  const o = info.command_line_options;
  assert.equal(o.base_id, '0');
  assert.equal(o.concurrency, 2);
  assert.equal(o.config_path, '/etc/envoy.yaml');
  assert.equal(o.mode, 'Serve');
  assert.equal(o.local_address_ip_version, 'v4');
  assert.equal(o.drain_strategy, 'Gradual');
  assert.equal(o.drain_time, '600s');
  assert.equal(o.parent_shutdown_time, '900s');
  assert.equal(o.file_flush_interval, '10s');
  assert.deepEqual(o.disabled_extensions, []);
  assert.deepEqual(Object.keys(o).slice(-3), ['file_flush_interval', 'drain_time', 'parent_shutdown_time']);
  assert.equal(info.node.id, 'front-node');
  assert.equal(info.node.cluster, 'front-cluster');
  assert.deepEqual(info.node.user_agent_build_version.version, { major_number: 0, minor_number: 1, patch: 0 });

  let ready = await get('/ready');
  assert.equal(ready.status, 200);
  assert.equal(ready.body, 'LIVE\n');
  assertCommonHeaders(ready);
  const fail = await post('/healthcheck/fail');
  assert.equal(fail.status, 200);
  assert.equal(fail.body, 'OK\n');
  ready = await get('/ready');
  assert.equal(ready.status, 503);
  assert.equal(ready.body, 'DRAINING\n');
  assert.equal(JSON.parse((await get('/server_info')).body).state, 'DRAINING');
  assert.equal((await get('/stats?filter=^server.(live|state)$')).body, 'server.live: 0\nserver.state: 1\n');
  await post('/healthcheck/ok');
  assert.equal((await get('/ready')).body, 'LIVE\n');
  fake.state = 3;
  ready = await get('/ready');
  assert.equal(ready.status, 503);
  assert.equal(ready.body, 'INITIALIZING\n');
  fake.state = 0;
});

test('/listeners text and JSON use the actual bound address when known', async () => {
  const [plain, tls] = snap.listeners;
  const r = await get('/listeners');
  assertCommonHeaders(r);
  assert.equal(r.body, `${plain.name}::0.0.0.0:18080\ntls::0.0.0.0:8443\n`);
  const j = await get('/listeners?format=json');
  assertCommonHeaders(j, 'application/json');
  assert.deepEqual(JSON.parse(j.body), {
    listener_statuses: [
      { name: plain.name, local_address: { socket_address: { address: '0.0.0.0', port_value: 18080 } } },
      { name: tls.name, local_address: { socket_address: { address: '0.0.0.0', port_value: 8443 } } },
    ],
  });
});

test('/config_dump: static resources in Envoy\'s dump shape, secrets redacted, resource= and mask=', async () => {
  const r = await get('/config_dump');
  assert.equal(r.status, 200);
  assertCommonHeaders(r, 'application/json');
  assert.ok(r.body.startsWith('{\n "configs": [\n  {\n   "@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",'));
  const d = JSON.parse(r.body);
  assert.deepEqual(
    d.configs.map((c: { '@type': string }) => c['@type'].replace('type.googleapis.com/envoy.admin.v3.', '')),
    ['BootstrapConfigDump', 'ClustersConfigDump', 'ListenersConfigDump', 'ScopedRoutesConfigDump', 'RoutesConfigDump', 'SecretsConfigDump'],
  );
  const [boot, clusters, listeners, , routes] = d.configs;
  assert.match(boot.last_updated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
  assert.equal(boot.bootstrap.node.id, 'front-node');
  assert.equal(clusters.static_clusters.length, 2);
  const c1 = clusters.static_clusters[0];
  assert.equal(c1.cluster['@type'], 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
  assert.equal(c1.cluster.name, 'service1');
  assert.equal(c1.cluster.connect_timeout, '0.250s');
  assert.equal(c1.last_updated, boot.last_updated);
  assert.equal(clusters.static_clusters[1].cluster.health_checks[0].interval, '5s');
  assert.equal(listeners.static_listeners.length, 2);
  const tlsListener = listeners.static_listeners[1].listener;
  assert.equal(tlsListener['@type'], 'type.googleapis.com/envoy.config.listener.v3.Listener');
  const hcm = tlsListener.filter_chains[0].filters[0].typed_config;
  assert.equal(hcm['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  assert.equal(hcm.stream_idle_timeout, '0.250s');
  const tlsCtx = tlsListener.filter_chains[0].transport_socket.typed_config;
  assert.equal(tlsCtx['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext');
  assert.deepEqual(tlsCtx.common_tls_context.tls_certificates[0].private_key, { inline_string: '[redacted]' });
  assert.match(tlsCtx.common_tls_context.tls_certificates[0].certificate_chain.inline_string, /BEGIN CERTIFICATE/);
  assert.doesNotMatch(r.body, /BEGIN PRIVATE KEY/);
  assert.equal(routes.static_route_configs.length, 2);
  assert.equal(routes.static_route_configs[0].route_config['@type'], 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration');
  assert.equal(routes.static_route_configs[0].route_config.name, 'local_route');

  const res = JSON.parse((await get('/config_dump?resource=static_clusters&mask=cluster.name,cluster.connect_timeout')).body);
  assert.deepEqual(res, {
    configs: [
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.StaticCluster',
        cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'service1', connect_timeout: '0.250s' },
      },
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump.StaticCluster',
        cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'service2', connect_timeout: '1s' },
      },
    ],
  });
  const masked = JSON.parse((await get('/config_dump?mask=static_listeners')).body);
  assert.equal(masked.configs.length, 6);
  assert.deepEqual(masked.configs[0], { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump' });
  assert.equal(masked.configs[2].static_listeners.length, 2);
  const notRepeated = await get('/config_dump?resource=bootstrap');
  assert.equal(notRepeated.status, 400);
  assert.equal(notRepeated.body, 'bootstrap is not a repeated field. Use ?mask=bootstrap to get only this field');
  const missing = await get('/config_dump?resource=nothing');
  assert.equal(missing.status, 404);
  assert.equal(missing.body, 'nothing not found in config dump');
  assert.equal((await get('/config_dump?resource=dynamic_listeners')).body, '{}\n');
});

test('/runtime and /runtime_modify (query or form body)', async () => {
  const r = await get('/runtime');
  assertCommonHeaders(r, 'application/json');
  assert.deepEqual(JSON.parse(r.body), {
    layers: ['static_layer_0', 'admin'],
    entries: { 'a.b': { final_value: '1', layer_values: ['1', ''] }, c: { final_value: 'y', layer_values: ['x', 'y'] } },
  });
  const m = await post('/runtime_modify?x.y=1&z=');
  assert.equal(m.status, 200);
  assert.equal(m.body, 'OK\n');
  const form = await post('/runtime_modify', 'k1=v+1&k2=%2F', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(form.body, 'OK\n');
  assert.deepEqual(fake.modified, [{ 'x.y': '1', z: '' }, { k1: 'v 1', k2: '/' }]);
  const usage = await post('/runtime_modify');
  assert.equal(usage.status, 400);
  assert.match(usage.body, /^usage: \/runtime_modify\?key1=value1&key2=value2&keyN=valueN\n/);
  fake.runtimeError = 'No admin layer specified';
  const err = await post('/runtime_modify?a=1');
  assert.equal(err.status, 503);
  assert.equal(err.body, 'No admin layer specified');
  fake.runtimeError = null;
});

test('/reset_counters zeroes counters only and tells the server', async () => {
  const b = fake.registry.get('cluster.service1')!;
  b.row(1)[CLUSTER.upstream_rq_total] = 9;
  b.row(2)[CLUSTER.membership_total] = 1;
  const r = await post('/reset_counters');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'OK\n');
  assert.equal(fake.resets, 1);
  assert.equal(b.sum(CLUSTER.upstream_rq_total), 0);
  assert.equal(b.sum(CLUSTER.membership_total), 1);
  assert.equal((await get('/stats?filter=service1.membership_total')).body, 'cluster.service1.membership_total: 1\n');
});

test('/drain_listeners parameters, /quitquitquit after the reply, /hot_restart_version', async () => {
  assert.equal((await post('/drain_listeners?graceful&inboundonly')).body, 'OK\n');
  const bad = await post('/drain_listeners?skip_exit');
  assert.equal(bad.status, 400);
  assert.equal(bad.body, 'skip_exit requires graceful\n');
  await post('/drain_listeners?graceful&skip_exit');
  assert.deepEqual(fake.drains, [
    { graceful: true, inboundOnly: true, skipExit: false },
    { graceful: true, inboundOnly: false, skipExit: true },
  ]);
  const q = await post('/quitquitquit');
  assert.equal(q.status, 200);
  assert.equal(q.body, 'OK\n');
  assert.equal(fake.quits, 1);
  assert.equal((await get('/hot_restart_version')).body, 'disabled');
});

test('/logging lists levels and changes them on POST; GET is refused as for every state-changing endpoint', async () => {
  const refused = await get('/logging');
  assert.equal(refused.status, 405);
  assert.equal(refused.body, 'Method GET not allowed, POST required.');
  const list = await post('/logging');
  assert.equal(list.status, 200);
  assert.ok(list.body.startsWith('active loggers:\n  admin: info\n'));
  assert.ok(list.body.endsWith('  upstream: info\n\n'));
  assert.equal((await post('/logging?level=debug')).status, 200);
  assert.equal(fake.level, 'debug');
  assert.ok((await post('/logging')).body.includes('  router: debug\n'));
  const bad = await post('/logging?level=loud');
  assert.equal(bad.status, 400);
  assert.ok(bad.body.startsWith('error: unknown logger level\n\nusage: /logging?<name>=<level> (change single level)\n'));
  assert.ok(bad.body.includes('levels: trace debug info warning error critical off \n'));
  assert.equal(fake.level, 'debug');
  assert.equal((await post('/logging?router=trace')).status, 200);
  assert.equal(fake.level, 'trace');
  const unknown = await post('/logging?nosuch=info');
  assert.equal(unknown.status, 400);
  assert.ok(unknown.body.startsWith('error: unknown logger name\n'));
  assert.ok((await post('/logging?a=info&b=info')).body.startsWith('error: invalid number of parameters\n'));
  await post('/logging?paths=http:info,router:info');
  assert.equal(fake.level, 'info');
});

test('/memory and /certs', async () => {
  const m = await get('/memory');
  assertCommonHeaders(m, 'application/json');
  assert.deepEqual(JSON.parse(m.body), {
    allocated: '1000',
    heap_size: '2000',
    pageheap_unmapped: '0',
    pageheap_free: '0',
    total_thread_cache: '0',
    total_physical_bytes: '3000',
  });
  const c = await get('/certs');
  assertCommonHeaders(c, 'application/json');
  const certs = JSON.parse(c.body).certificates;
  assert.equal(certs.length, 1);
  assert.deepEqual(certs[0].ca_cert, []);
  const d = certs[0].cert_chain[0];
  assert.deepEqual(Object.keys(d), ['path', 'serial_number', 'subject_alt_names', 'days_until_expiration', 'valid_from', 'expiration_time']);
  assert.equal(d.path, '<inline>');
  assert.equal(d.serial_number, 'aabb3a47369a8170');
  assert.deepEqual(d.subject_alt_names, []);
  assert.equal(d.valid_from, '2020-07-08T01:31:46Z');
  assert.equal(d.expiration_time, '2030-07-06T01:31:46Z');
  assert.match(d.days_until_expiration, /^\d+$/);
});

test('exports for the server: gauge refresh and histogram flush', () => {
  const f = new FakeServer();
  const ctx = f.context();
  refreshServerGauges(ctx, NOW);
  const row = f.registry.get('server')!.row(f.registry.adminRow);
  assert.equal(row[SERVER['server.uptime']], 5);
  assert.equal(row[SERVER['server.days_until_first_cert_expiring']], 10);
  f.hcFailed = true;
  refreshServerGauges(ctx, NOW);
  assert.equal(row[SERVER['server.live']], 0);
  assert.equal(row[SERVER['server.state']], 1);
  flushHistograms(f.registry);
});
