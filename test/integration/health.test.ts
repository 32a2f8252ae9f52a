// Host health: active HTTP health checks take failing hosts out of load balancing and bring them back
// after healthy_threshold, outlier detection ejects a host after consecutive 5xx and returns it after the
// ejection time, panic mode routes to all hosts when too few are healthy, and /healthcheck/fail makes
// nuncio's health_check filter fail the checks a load balancer (here: nuncio itself) sends.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, until } from '../helpers/net.js';
import { stat as statOf } from '../helpers/admin.js';
import { hcmListener } from '../helpers/config.js';

let nuncio: Nuncio;
const servers: http.Server[] = [];
const state: Record<string, { hc: number; status: number }> = {
  A: { hc: 200, status: 200 },
  B: { hc: 200, status: 200 },
  C: { hc: 200, status: 200 },
  D: { hc: 200, status: 200 },
};
const ports = { l: 0, hcl: 0, admin: 0, up: 0 };

function upstream(ip: string, name: string): Promise<void> {
  const s = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      res.statusCode = state[name].hc;
      return void res.end();
    }
    res.statusCode = state[name].status;
    res.end(name);
  });
  servers.push(s);
  return new Promise((r) => s.listen(ports.up, ip, () => r()));
}

const ep = (ip: string) => `{ endpoint: { address: { socket_address: { address: ${ip}, port_value: ${ports.up} } } } }`;

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  await upstream('127.0.0.71', 'A');
  await upstream('127.0.0.72', 'B');
  await upstream('127.0.0.73', 'C');
  await upstream('127.0.0.74', 'D');
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
              - match: { prefix: "/checked" }
                route: { cluster: checked }
              - match: { prefix: "/outlier" }
                route: { cluster: outlier }
              - match: { prefix: "/self" }
                route: { cluster: self }
          http_filters: [{ name: envoy.filters.http.router }]
${hcmListener('hcl', ports.hcl)}
          stat_prefix: hcl
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: self } } }] }]
          http_filters:
          - name: envoy.filters.http.health_check
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck
              pass_through_mode: false
              headers: [{ name: ":path", string_match: { exact: /healthz } }]
          - name: envoy.filters.http.router
  clusters:
  - name: checked
    type: STATIC
    load_assignment: { cluster_name: checked, endpoints: [{ lb_endpoints: [${ep('127.0.0.71')}, ${ep('127.0.0.72')}] }] }
    health_checks:
    - timeout: 0.5s
      interval: 0.1s
      no_traffic_interval: 0.1s
      unhealthy_threshold: 2
      healthy_threshold: 2
      http_health_check: { path: /healthz }
  - name: outlier
    type: STATIC
    load_assignment: { cluster_name: outlier, endpoints: [{ lb_endpoints: [${ep('127.0.0.73')}, ${ep('127.0.0.74')}] }] }
    outlier_detection: { consecutive_5xx: 3, interval: 0.2s, base_ejection_time: 1s, max_ejection_percent: 50 }
  - name: self
    type: STATIC
    load_assignment: { cluster_name: self, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.hcl} } } } }] }] }
    health_checks:
    - timeout: 0.5s
      interval: 0.1s
      no_traffic_interval: 0.1s
      unhealthy_threshold: 3
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

async function clusterLine(cluster: string, host: string, field: string): Promise<string> {
  const r = await get(`http://127.0.0.1:${ports.admin}/clusters`);
  const line = r.body.split('\n').find((l) => l.startsWith(`${cluster}::${host}::${field}::`));
  return line?.split('::')[3] ?? '';
}

async function bodies(path: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await get(`http://127.0.0.1:${ports.l}${path}`)).body);
  return out;
}

test('active health checks take a failing host out and bring it back after healthy_threshold', async () => {
  assert.equal(await stat('cluster.checked.membership_healthy'), 2);
  state.B.hc = 503;
  await until(async () => (await stat('cluster.checked.membership_healthy')) === 1);
  assert.equal(await clusterLine('checked', `127.0.0.72:${ports.up}`, 'health_flags'), '/failed_active_hc');
  assert.equal(await clusterLine('checked', `127.0.0.71:${ports.up}`, 'health_flags'), 'healthy');
  assert.deepEqual(new Set(await bodies('/checked', 10)), new Set(['A']));
  assert.ok((await stat('cluster.checked.health_check.failure')) >= 1);
  assert.equal(await stat('cluster.checked.health_check.healthy'), 1);
  state.B.hc = 200;
  await until(async () => (await stat('cluster.checked.membership_healthy')) === 2);
  assert.deepEqual(new Set(await bodies('/checked', 10)), new Set(['A', 'B']));
});

test('panic mode: with fewer healthy hosts than the threshold, all hosts take traffic', async () => {
  state.A.hc = 503;
  state.B.hc = 503;
  await until(async () => (await stat('cluster.checked.membership_healthy')) === 0);
  const before = await stat('cluster.checked.lb_healthy_panic');
  assert.deepEqual(new Set(await bodies('/checked', 10)), new Set(['A', 'B']));
  assert.ok((await stat('cluster.checked.lb_healthy_panic')) >= before + 10);
  state.A.hc = 200;
  state.B.hc = 200;
  await until(async () => (await stat('cluster.checked.membership_healthy')) === 2);
});

test('outlier detection ejects a host after consecutive 5xx and returns it after the ejection time', async () => {
  state.D.status = 500;
  // Round robin alternates C and D: after 3 consecutive 5xx from D it is ejected.
  await until(async () => {
    await bodies('/outlier', 2);
    return (await stat('cluster.outlier.outlier_detection.ejections_active')) === 1;
  }, 10_000, 10);
  assert.equal(await stat('cluster.outlier.outlier_detection.ejections_enforced_consecutive_5xx'), 1);
  assert.equal(await stat('cluster.outlier.outlier_detection.ejections_detected_consecutive_5xx'), 1);
  assert.equal(await clusterLine('outlier', `127.0.0.74:${ports.up}`, 'health_flags'), '/failed_outlier_check');
  assert.deepEqual(new Set(await bodies('/outlier', 6)), new Set(['C']));
  state.D.status = 200;
  await until(async () => (await stat('cluster.outlier.outlier_detection.ejections_active')) === 0, 5000);
  assert.deepEqual(new Set(await bodies('/outlier', 6)), new Set(['C', 'D']));
});

test('/healthcheck/fail makes the health_check filter fail the checks nuncio itself sends', async () => {
  const ok = await get(`http://127.0.0.1:${ports.hcl}/healthz`);
  assert.equal(ok.status, 200);
  assert.equal((await get(`http://127.0.0.1:${ports.l}/self`)).body, 'self');
  const r = await get(`http://127.0.0.1:${ports.admin}/healthcheck/fail`, { method: 'POST' });
  assert.equal(r.status, 200);
  const failing = await get(`http://127.0.0.1:${ports.hcl}/healthz`);
  assert.equal(failing.status, 503);
  assert.equal(failing.headers['x-envoy-immediate-health-check-fail'], 'true');
  // The immediate-fail header takes the host out at once, without waiting for unhealthy_threshold.
  await until(async () => (await stat('cluster.self.membership_healthy')) === 0, 5000);
  assert.equal((await get(`http://127.0.0.1:${ports.admin}/ready`)).status, 503);
  await get(`http://127.0.0.1:${ports.admin}/healthcheck/ok`, { method: 'POST' });
  await until(async () => (await stat('cluster.self.membership_healthy')) === 1, 5000);
  assert.equal((await get(`http://127.0.0.1:${ports.hcl}/healthz`)).status, 200);
});
