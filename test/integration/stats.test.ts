// Stats exactness: N concurrent requests spread over both workers and both engines, mixed 2xx/4xx/5xx,
// connect failures and timeouts; the admin totals must equal what was sent, per class, with no lost
// increments, and every thread-owned gauge must come back to zero. Also /stats/prometheus through
// promtool and the JSON outputs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { startNuncio, TEST_RUNTIME, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get } from '../helpers/net.js';
import { statsMap } from '../helpers/admin.js';
import { hcmListener } from '../helpers/config.js';

let nuncio: Nuncio;
let upstream: http.Server;
const ports = { uws: 0, auto: 0, admin: 0, up: 0, dead: 0 };

const listener = (name: string, port: number, codec: string) => `
${hcmListener(name, port)}
          codec_type: ${codec}
          stat_prefix: ${name}
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/dead" }
                route: { cluster: dead }
              - match: { prefix: "/slow" }
                route: { cluster: ok, timeout: 0.3s }
              - match: { prefix: "/" }
                route: { cluster: ok }
          http_filters: [{ name: envoy.filters.http.router }]`;

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upstream = http.createServer((req, res) => {
    const m = /^\/(?:s\/)?(\d{3})/.exec(req.url ?? '');
    if (req.url?.startsWith('/slow')) return void setTimeout(() => res.end('late'), 2000);
    res.statusCode = m ? Number(m[1]) : 200;
    res.end('x');
  });
  upstream.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r()));
  const cfg = `
static_resources:
  listeners:${listener('uws', ports.uws, 'HTTP1')}${listener('auto', ports.auto, 'AUTO')}
  clusters:
  - name: ok
    type: STATIC
    load_assignment: { cluster_name: ok, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.up} } } } }] }] }
  - name: dead
    connect_timeout: 1s
    type: STATIC
    load_assignment: { cluster_name: dead, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.dead} } } } }] }] }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
  upstream?.closeAllConnections();
  upstream?.close();
});

const stats = (): Promise<Map<string, number>> => statsMap(ports.admin);

test('admin totals equal the traffic sent, per class, over both workers and both engines', async () => {
  // 480 requests: per listener 160 = 100 x 200, 30 x 404, 10 x 500, 10 connect failures, 10 timeouts.
  const plan: string[] = [];
  for (let i = 0; i < 100; i++) plan.push('/200');
  for (let i = 0; i < 30; i++) plan.push('/404');
  for (let i = 0; i < 10; i++) plan.push('/500');
  for (let i = 0; i < 10; i++) plan.push('/dead');
  for (let i = 0; i < 10; i++) plan.push('/slow');
  const jobs: Promise<number>[] = [];
  // New connections (agent: false) so SO_REUSEPORT / the shared socket spreads them over both workers.
  for (const port of [ports.uws, ports.auto]) for (const p of plan) jobs.push(get(`http://127.0.0.1:${port}${p}`).then((r) => r.status));
  const codes = await Promise.all(jobs);
  const count = (c: number) => codes.filter((x) => x === c).length;
  assert.equal(count(200), 200);
  assert.equal(count(404), 60);
  assert.equal(count(500), 20);
  assert.equal(count(503), 20);
  assert.equal(count(504), 20);

  const s = await stats();
  const dump = [...s].filter(([k]) => k.startsWith('cluster.ok.') && !k.includes('circuit')).map(([k, v]) => `${k}: ${v}`).join('\n');
  const both = (n: string) => (s.get(`http.uws.${n}`) ?? 0) + (s.get(`http.auto.${n}`) ?? 0);
  assert.equal(both('downstream_rq_total'), 320);
  assert.equal(both('downstream_rq_completed'), 320);
  assert.equal(both('downstream_rq_2xx'), 200);
  assert.equal(both('downstream_rq_4xx'), 60);
  assert.equal(both('downstream_rq_5xx'), 60);
  assert.equal(both('downstream_rq_active'), 0);
  assert.equal(both('rq_total'), 320);
  assert.equal(s.get('http.uws.downstream_rq_http1_total'), 160);
  // Both workers served requests on each listener, and the per-worker rows add up.
  for (const l of ['uws', 'auto']) {
    const w0 = s.get(`http.${l}.worker_0.downstream_rq_total`)!;
    const w1 = s.get(`http.${l}.worker_1.downstream_rq_total`)!;
    assert.equal(w0 + w1, 160);
    assert.ok(w0 > 0 && w1 > 0, `${l}: worker split ${w0}/${w1}`);
  }
  assert.equal(s.get('cluster.ok.upstream_rq_200'), 200);
  assert.equal(s.get('cluster.ok.upstream_rq_404'), 60);
  assert.equal(s.get('cluster.ok.upstream_rq_500'), 20);
  assert.equal(s.get('cluster.ok.upstream_rq_504'), 20);
  assert.equal(s.get('cluster.ok.upstream_rq_2xx'), 200);
  assert.equal(s.get('cluster.ok.upstream_rq_4xx'), 60);
  assert.equal(s.get('cluster.ok.upstream_rq_5xx'), 40);
  assert.equal(s.get('cluster.ok.external.upstream_rq_200'), 200);
  assert.equal(s.get('cluster.ok.upstream_rq_completed'), 300, dump);
  assert.equal(s.get('cluster.ok.upstream_rq_timeout'), 20);
  // A timed-out request still waiting for a connection never gets a stream: it is counted as
  // upstream_rq_cancelled instead of upstream_rq_total (as Envoy's pool does).
  assert.equal(s.get('cluster.ok.upstream_rq_total')! + s.get('cluster.ok.upstream_rq_cancelled')!, 300, dump);
  assert.equal(s.get('cluster.ok.upstream_rq_active'), 0);
  assert.equal(s.get('cluster.ok.upstream_rq_pending_active'), 0);
  assert.equal(s.get('cluster.dead.upstream_rq_503'), 20);
  assert.ok(s.get('cluster.dead.upstream_cx_connect_fail')! >= 1);
  assert.equal(s.get('cluster.dead.upstream_rq_pending_failure_eject'), s.get('cluster.dead.upstream_rq_pending_total'));
  assert.equal(s.get('cluster.dead.upstream_cx_active'), 0);
  // Node-engine listener counts connections: 160 accepted, none open now. (On Bun every listener is a
  // Bun.serve, which has no connection hooks: README "Platform limits".)
  if (TEST_RUNTIME === 'node') {
    assert.equal(s.get(`listener.127.0.0.1_${ports.auto}.downstream_cx_total`), 160);
    assert.equal(s.get('http.auto.downstream_cx_total'), 160);
    // Connection lengths are recorded per listener too (Envoy's listener.<address>.downstream_cx_length_ms).
    const len = await get(`http://127.0.0.1:${ports.admin}/stats?filter=^listener\\.127\\.0\\.0\\.1_${ports.auto}\\.downstream_cx_length_ms$`);
    assert.match(len.body, new RegExp(`^listener\\.127\\.0\\.0\\.1_${ports.auto}\\.downstream_cx_length_ms: P0\\(`, 'm'), len.body);
  }
  assert.equal(s.get('server.live'), 1);
  assert.equal(s.get('server.concurrency'), 2);
});

test('/stats/prometheus passes promtool, and the JSON outputs parse', async () => {
  const prom = await get(`http://127.0.0.1:${ports.admin}/stats/prometheus`);
  assert.equal(prom.status, 200);
  assert.match(prom.body, /envoy_cluster_upstream_rq\{envoy_response_code="200",envoy_cluster_name="ok"\} 200/);
  assert.match(prom.body, /envoy_http_downstream_rq_xx\{envoy_response_code_class="2",envoy_http_conn_manager_prefix="uws"\} \d+/);
  assert.match(prom.body, /# TYPE envoy_cluster_upstream_rq_time histogram/);
  const which = spawnSync('which', ['promtool']);
  assert.equal(which.status, 0, 'promtool is installed by make test (Debian package prometheus)');
  const r = spawnSync('promtool', ['check', 'metrics'], { input: prom.body, encoding: 'utf8' });
  // promtool exits 3 for lint findings Envoy's own exposition also has (no HELP, counters without
  // _total, unit suffixes); parse errors and anything else fail.
  const findings = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const lint = /no help text|counter metrics should have "_total" suffix|non-counter metrics should not have "_total" suffix|should not contain abbreviated units|use base unit|non-histogram and non-summary metrics should not have/;
  const unexpected = findings.filter((l) => !lint.test(l));
  assert.deepEqual(unexpected, []);
  assert.ok(r.status === 0 || r.status === 3, `promtool exit ${r.status}`);
  for (const p of ['/stats?format=json', '/clusters?format=json', '/server_info', '/listeners?format=json', '/config_dump', '/runtime', '/memory']) {
    const j = await get(`http://127.0.0.1:${ports.admin}${p}`);
    assert.equal(j.status, 200, p);
    assert.doesNotThrow(() => JSON.parse(j.body), p);
  }
});
