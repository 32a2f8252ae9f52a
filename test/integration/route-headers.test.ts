// HCM and virtual-host options that change the request and response heads, over sockets:
// strip_matching_host_port / strip_any_host_port (virtual-host matching and the upstream Host), the port
// kept in Host otherwise, always_set_request_id_in_response, include_request_attempt_count (per attempt),
// include_attempt_count_in_response, and the router's respect_expected_rq_timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import os from 'node:os';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get } from '../helpers/net.js';
import { hcmListener } from '../helpers/config.js';

let nuncio: Nuncio;
let upstream: http.Server;
const ports = { matching: 0, any: 0, plain: 0, internal: 0, admin: 0, up: 0 };
/** x-envoy-attempt-count values the upstream saw, by ?k= key. */
const seen = new Map<string, (string | undefined)[]>();

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upstream = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const key = u.searchParams.get('k') ?? '';
    const list = seen.get(key) ?? [];
    list.push(req.headers['x-envoy-attempt-count'] as string | undefined);
    seen.set(key, list);
    if (u.pathname === '/flaky' && list.length <= Number(u.searchParams.get('n') ?? 0)) {
      res.statusCode = 503;
      return void res.end('fail');
    }
    if (u.pathname === '/slow') return void setTimeout(() => res.end('slow'), 1500);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ host: req.headers.host, rid: req.headers['x-request-id'] ?? null, xff: req.headers['x-forwarded-for'] ?? null }));
  });
  await new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r()));
  const vhosts = `
          route_config:
            virtual_hosts:
            - name: exact
              domains: ["exact.test"]
              include_request_attempt_count: true
              include_attempt_count_in_response: true
              routes:
              - match: { prefix: "/" }
                route:
                  cluster: up
                  retry_policy: { retry_on: 5xx, num_retries: 2, retry_back_off: { base_interval: 0.001s, max_interval: 0.002s } }
            - name: fallback
              domains: ["*"]
              routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: fallback } } }]
          http_filters: [{ name: envoy.filters.http.router }]`;
  const cfg = `
static_resources:
  listeners:
${hcmListener('matching', ports.matching)}
          stat_prefix: matching
          strip_matching_host_port: true
          always_set_request_id_in_response: true${vhosts}
${hcmListener('any', ports.any)}
          stat_prefix: any
          strip_any_host_port: true${vhosts}
${hcmListener('plain', ports.plain)}
          stat_prefix: plain${vhosts}
${hcmListener('internal', ports.internal)}
          stat_prefix: internal
          use_remote_address: true
          internal_address_config: { cidr_ranges: [{ address_prefix: 127.0.0.1, prefix_len: 32 }] }
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: up } }] }]
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
              respect_expected_rq_timeout: true
  clusters:
  - name: up
    type: STATIC
    load_assignment: { cluster_name: up, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.up} } } } }] }] }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '1'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
  upstream?.closeAllConnections();
  upstream?.close();
});

const at = (port: number, host: string, path = '/') => get(`http://127.0.0.1:${port}${path}`, { headers: { host } });

test('strip_matching_host_port: the listener port comes off Host before matching and upstream; other ports stay', async () => {
  const r = await at(ports.matching, `exact.test:${ports.matching}`);
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).host, 'exact.test', 'the upstream sees the stripped Host');
  const other = await at(ports.matching, 'exact.test:1234');
  assert.equal(other.body, 'fallback', 'a port other than the listener port is kept, so exact.test does not match');
});

test('strip_any_host_port: any port comes off Host', async () => {
  const r = await at(ports.any, 'exact.test:1234');
  assert.equal(JSON.parse(r.body).host, 'exact.test');
  const v6 = await at(ports.any, '[::1]:99');
  assert.equal(v6.body, 'fallback', 'an IPv6 literal with a port still routes (to the wildcard)');
});

test('without either option the port stays in Host: exact.test:<port> does not match exact.test', async () => {
  const r = await at(ports.plain, `exact.test:${ports.plain}`);
  assert.equal(r.body, 'fallback');
  const up = await at(ports.plain, 'exact.test');
  assert.equal(JSON.parse(up.body).host, 'exact.test');
});

test('always_set_request_id_in_response: the response carries the request id the upstream saw', async () => {
  const r = await at(ports.matching, 'exact.test');
  const rid = JSON.parse(r.body).rid as string;
  assert.match(rid, /^[0-9a-f-]{36}$/);
  assert.equal(r.headers['x-request-id'], rid);
  const local = await at(ports.matching, 'elsewhere.test');
  assert.match(String(local.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'local replies too');
  const off = await at(ports.plain, 'exact.test');
  assert.equal(off.headers['x-request-id'], undefined, 'not set without the option');
});

test('include_request_attempt_count: each attempt carries its number; the response carries the last', async () => {
  const r = await at(ports.plain, 'exact.test', '/flaky?k=a&n=2');
  assert.equal(r.status, 200);
  assert.deepEqual(seen.get('a'), ['1', '2', '3']);
  assert.equal(r.headers['x-envoy-attempt-count'], '3');
  const once = await at(ports.plain, 'exact.test', '/?k=b');
  assert.deepEqual(seen.get('b'), ['1']);
  assert.equal(once.headers['x-envoy-attempt-count'], '1');
  const direct = await at(ports.plain, 'other.test');
  assert.equal(direct.headers['x-envoy-attempt-count'], undefined, 'not on a virtual host without the option');
});

test('respect_expected_rq_timeout: an internal caller\'s x-envoy-expected-rq-timeout-ms is the route timeout', async () => {
  const r = await get(`http://127.0.0.1:${ports.internal}/slow?k=c`, { headers: { 'x-envoy-expected-rq-timeout-ms': '100' } });
  assert.equal(r.status, 504);
  assert.equal(r.body, 'upstream request timeout');
  const ok = await get(`http://127.0.0.1:${ports.internal}/?k=d`);
  assert.equal(ok.status, 200);
});

test('use_remote_address with a loopback peer: x-forwarded-for gets this machine\'s own address, as Envoy appends its local address', async () => {
  const own = Object.values(os.networkInterfaces())
    .flatMap((l) => l ?? [])
    .find((a) => a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';
  const r = await get(`http://127.0.0.1:${ports.internal}/`);
  assert.equal(JSON.parse(r.body).xff, own);
  const chained = await get(`http://127.0.0.1:${ports.internal}/`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
  assert.equal(JSON.parse(chained.body).xff, `203.0.113.7, ${own}`);
});
