// Outlier detection and health-check timeouts through a running nuncio, seen in /stats and /clusters:
// real 502/503/504 answers and refused connections are consecutive gateway failures (ejected when
// enforcing_consecutive_gateway_failure says so), max_ejection_percent lets one of three failing hosts
// go and counts the rest as outlier_detection.ejections_overflow, and a health check that gets no
// answer in time leaves the host /failed_active_hc/active_hc_timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, until } from '../helpers/net.js';
import { stat as statOf, statsMap } from '../helpers/admin.js';
import { hcmListener } from '../helpers/config.js';

let nuncio: Nuncio;
const servers: http.Server[] = [];
const ports = { l: 0, admin: 0, up: 0, dead: 0 };
/** What each upstream answers to proxied requests (by IP); /healthz on .96 never answers. */
const answer: Record<string, number> = {
  '127.0.0.91': 200,
  '127.0.0.92': 200,
  '127.0.0.93': 500,
  '127.0.0.94': 500,
  '127.0.0.95': 500,
  '127.0.0.97': 200,
};
const gatewayCodes = [502, 503, 504];
let gatewayIndex = 0;

function upstream(ip: string): Promise<void> {
  const s = http.createServer((req, res) => {
    if (req.url === '/healthz') return; // the health check must time out
    let status = answer[ip] ?? 200;
    if (status === 0) status = gatewayCodes[gatewayIndex++ % gatewayCodes.length];
    res.statusCode = status;
    res.end(ip);
  });
  servers.push(s);
  return new Promise((r) => s.listen(ports.up, ip, () => r()));
}

const ep = (ip: string, port = ports.up) => `{ endpoint: { address: { socket_address: { address: ${ip}, port_value: ${port} } } } }`;
const route = (prefix: string, cluster: string) => `              - match: { prefix: "/${prefix}" }\n                route: { cluster: ${cluster} }`;

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  for (const ip of ['127.0.0.91', '127.0.0.92', '127.0.0.93', '127.0.0.94', '127.0.0.95', '127.0.0.96', '127.0.0.97']) await upstream(ip);
  const cfg = `
static_resources:
  listeners:
${hcmListener('l', ports.l)}
          stat_prefix: l
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
${route('gw', 'gw')}
${route('refused', 'refused')}
${route('three', 'three')}
${route('slow', 'slow')}
          http_filters: [{ name: envoy.filters.http.router }]
  clusters:
  - name: gw
    type: STATIC
    load_assignment: { cluster_name: gw, endpoints: [{ lb_endpoints: [${ep('127.0.0.91')}, ${ep('127.0.0.92')}] }] }
    outlier_detection: { consecutive_gateway_failure: 3, consecutive_5xx: 100, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 50, interval: 0.1s, base_ejection_time: 60s }
  - name: refused
    type: STATIC
    connect_timeout: 1s
    load_assignment: { cluster_name: refused, endpoints: [{ lb_endpoints: [${ep('127.0.0.97')}, ${ep('127.0.0.1', ports.dead)}] }] }
    outlier_detection: { consecutive_gateway_failure: 2, consecutive_5xx: 100, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 50, interval: 0.1s, base_ejection_time: 60s }
  - name: three
    type: STATIC
    load_assignment: { cluster_name: three, endpoints: [{ lb_endpoints: [${ep('127.0.0.93')}, ${ep('127.0.0.94')}, ${ep('127.0.0.95')}] }] }
    outlier_detection: { consecutive_5xx: 2, max_ejection_percent: 50, interval: 0.1s, base_ejection_time: 60s }
  - name: slow
    type: STATIC
    load_assignment: { cluster_name: slow, endpoints: [{ lb_endpoints: [${ep('127.0.0.96')}] }] }
    health_checks:
    - timeout: 0.2s
      interval: 0.1s
      no_traffic_interval: 0.1s
      unhealthy_threshold: 2
      healthy_threshold: 1
      http_health_check: { path: /healthz }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

const stat = (name: string): Promise<number> => statOf(ports.admin, name);

async function flagsOf(cluster: string): Promise<Map<string, string>> {
  const r = await get(`http://127.0.0.1:${ports.admin}/clusters`);
  const m = new Map<string, string>();
  for (const l of r.body.split('\n')) {
    const [c, host, field, value] = l.split('::');
    if (c === cluster && field === 'health_flags') m.set(host, value);
  }
  return m;
}

async function send(path: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await get(`http://127.0.0.1:${ports.l}${path}`)).body);
  return out;
}

test('502/503/504 answers in a row are consecutive gateway failures: ejected when enforced, not counted as a 5xx ejection', async () => {
  answer['127.0.0.92'] = 0; // rotates 502, 503, 504
  await until(async () => {
    await send('/gw', 2);
    return (await stat('cluster.gw.outlier_detection.ejections_active')) === 1;
  }, 10_000, 10);
  assert.equal(await stat('cluster.gw.outlier_detection.ejections_detected_consecutive_gateway_failure'), 1);
  assert.equal(await stat('cluster.gw.outlier_detection.ejections_enforced_consecutive_gateway_failure'), 1);
  assert.equal(await stat('cluster.gw.outlier_detection.ejections_enforced_total'), 1);
  assert.equal(await stat('cluster.gw.outlier_detection.ejections_detected_consecutive_5xx'), 0);
  assert.equal(await stat('cluster.gw.outlier_detection.ejections_enforced_consecutive_5xx'), 0);
  assert.equal(await stat('cluster.gw.outlier_detection.ejections_total'), 0);
  assert.equal(await stat('cluster.gw.membership_healthy'), 1);
  const flags = await flagsOf('gw');
  assert.equal(flags.get(`127.0.0.92:${ports.up}`), '/failed_outlier_check');
  assert.equal(flags.get(`127.0.0.91:${ports.up}`), 'healthy');
  await until(async () => new Set(await send('/gw', 6)).size === 1, 5000);
  assert.deepEqual(new Set(await send('/gw', 6)), new Set(['127.0.0.91']));
});

test('refused connections are gateway failures too (no split_external_local_origin_errors)', async () => {
  await until(async () => {
    await send('/refused', 2);
    return (await stat('cluster.refused.outlier_detection.ejections_active')) === 1;
  }, 10_000, 10);
  assert.equal(await stat('cluster.refused.outlier_detection.ejections_enforced_consecutive_gateway_failure'), 1);
  assert.equal((await flagsOf('refused')).get(`127.0.0.1:${ports.dead}`), '/failed_outlier_check');
  assert.ok((await stat('cluster.refused.upstream_cx_connect_fail')) >= 2);
});

test('max_ejection_percent 50 with three failing hosts: one is ejected, the others overflow', async () => {
  await until(async () => {
    await send('/three', 3);
    return (await stat('cluster.three.outlier_detection.ejections_overflow')) >= 2;
  }, 10_000, 10);
  assert.equal(await stat('cluster.three.outlier_detection.ejections_active'), 1);
  assert.equal(await stat('cluster.three.outlier_detection.ejections_enforced_consecutive_5xx'), 1);
  assert.equal(await stat('cluster.three.membership_healthy'), 2);
  const flags = [...(await flagsOf('three')).values()];
  assert.equal(flags.length, 3);
  assert.equal(flags.filter((f) => f === '/failed_outlier_check').length, 1);
  assert.equal(flags.filter((f) => f === 'healthy').length, 2);
  // Every detection after the first was refused by the cap (one /stats read: both move in the same step).
  const m = await statsMap(ports.admin, '^cluster\\.three\\.outlier_detection\\.(ejections_detected_consecutive_5xx|ejections_overflow)$');
  const detected = m.get('cluster.three.outlier_detection.ejections_detected_consecutive_5xx') ?? 0;
  assert.equal(detected, (m.get('cluster.three.outlier_detection.ejections_overflow') ?? 0) + 1);
});

test('a health check that gets no answer within timeout: /failed_active_hc/active_hc_timeout, counted as network failures', async () => {
  await until(async () => (await stat('cluster.slow.health_check.network_failure')) >= 2, 10_000);
  assert.equal((await flagsOf('slow')).get(`127.0.0.96:${ports.up}`), '/failed_active_hc/active_hc_timeout');
  assert.equal(await stat('cluster.slow.membership_healthy'), 0);
  assert.equal(await stat('cluster.slow.health_check.healthy'), 0);
  assert.equal(await stat('cluster.slow.health_check.success'), 0);
  // Every failure was a timeout: both counters move in the same step, so one /stats read shows them equal.
  const m = await statsMap(ports.admin, '^cluster\\.slow\\.health_check\\.(failure|network_failure)$');
  assert.ok((m.get('cluster.slow.health_check.failure') ?? 0) >= 2);
  assert.equal(m.get('cluster.slow.health_check.failure'), m.get('cluster.slow.health_check.network_failure'));
});
