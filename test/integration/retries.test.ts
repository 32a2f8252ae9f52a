// Retries and upstream faults: retry_on conditions, num_retries, per_try_timeout, the
// x-envoy-retry-on / x-envoy-max-retries headers from internal callers, the max_requests circuit
// breaker (503 + x-envoy-overloaded), keep-alive connections the upstream closed while idle, and resets
// after the response started — each with its stats, and the proxy keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, raw } from '../helpers/net.js';
import { stat as statOf } from '../helpers/admin.js';
import { hcmListener } from '../helpers/config.js';

let nuncio: Nuncio;
let upstream: http.Server;
let closer: net.Server;
const ports = { l: 0, admin: 0, up: 0, dead: 0, closer: 0 };
const failures = new Map<string, number>();

function failsLeft(key: string, n: number): boolean {
  const used = failures.get(key) ?? 0;
  failures.set(key, used + 1);
  return used < n;
}

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upstream = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const key = u.searchParams.get('k') ?? '';
    const n = Number(u.searchParams.get('n') ?? 0);
    if (u.pathname === '/flaky') {
      res.statusCode = failsLeft(key, n) ? 500 : 200;
      return void res.end(res.statusCode === 200 ? 'ok' : 'fail');
    }
    if (u.pathname === '/teapot') {
      res.statusCode = failsLeft(key, n) ? 418 : 200;
      return void res.end();
    }
    if (u.pathname === '/reset') {
      if (failsLeft(key, n)) return void req.socket.destroy();
      return void res.end('ok');
    }
    if (u.pathname === '/slowonce') {
      const wait = failsLeft(key, 1) ? 1500 : 0;
      return void setTimeout(() => res.end('ok'), wait);
    }
    if (u.pathname === '/slow') return void setTimeout(() => res.end('slow'), 800);
    if (u.pathname === '/partial') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('0123456789');
      return void setTimeout(() => req.socket.destroy(), 50);
    }
    res.statusCode = u.pathname === '/always500' ? 500 : 200;
    res.end('x');
  });
  upstream.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r()));
  // An upstream that answers the first request on a connection and closes the connection (without a
  // word) when a second request arrives: a keep-alive connection closed "while idle".
  closer = net.createServer((s) => {
    let n = 0;
    s.on('data', () => {
      if (++n === 1) s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nfirst');
      else s.destroy();
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => closer.listen(ports.closer, '127.0.0.1', () => r()));
  const ep = (port: number) => `{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }`;
  const cfg = `
static_resources:
  listeners:
${hcmListener('l', ports.l)}
          stat_prefix: l
          use_remote_address: true
          internal_address_config: { cidr_ranges: [{ address_prefix: 127.0.0.2, prefix_len: 32 }] }
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/mixed" }
                route:
                  cluster: mixed
                  retry_policy: { retry_on: connect-failure, num_retries: 3, retry_back_off: { base_interval: 0.001s } }
              - match: { prefix: "/limited" }
                route: { cluster: limited, prefix_rewrite: /slow }
              - match: { prefix: "/closer" }
                route: { cluster: closer }
              - match: { prefix: "/plain/" }
                route: { cluster: up, prefix_rewrite: / }
              - match: { prefix: "/" }
                route:
                  cluster: up
                  retry_policy:
                    retry_on: 5xx,reset,retriable-status-codes
                    num_retries: 2
                    per_try_timeout: 0.3s
                    retriable_status_codes: [418]
                    retry_back_off: { base_interval: 0.001s, max_interval: 0.002s }
          http_filters: [{ name: envoy.filters.http.router }]
  clusters:
  - name: up
    type: STATIC
    load_assignment: { cluster_name: up, endpoints: [{ lb_endpoints: [${ep(ports.up)}] }] }
  - name: mixed
    type: STATIC
    load_assignment: { cluster_name: mixed, endpoints: [{ lb_endpoints: [${ep(ports.dead)}, ${ep(ports.up)}] }] }
  - name: limited
    type: STATIC
    circuit_breakers: { thresholds: [{ max_requests: 1, max_pending_requests: 1 }] }
    load_assignment: { cluster_name: limited, endpoints: [{ lb_endpoints: [${ep(ports.up)}] }] }
  - name: closer
    type: STATIC
    load_assignment: { cluster_name: closer, endpoints: [{ lb_endpoints: [${ep(ports.closer)}] }] }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '1'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
  upstream?.closeAllConnections();
  upstream?.close();
  closer?.close();
});

const stat = (name: string): Promise<number> => statOf(ports.admin, name);

const url = (p: string) => `http://127.0.0.1:${ports.l}${p}`;

test('5xx responses are retried until success; exhausted retries forward the last response', async () => {
  const r = await get(url('/flaky?k=a&n=2'));
  assert.equal(r.status, 200);
  assert.equal(await stat('cluster.up.upstream_rq_retry'), 2);
  assert.equal(await stat('cluster.up.upstream_rq_retry_success'), 1);
  const bad = await get(url('/always500'));
  assert.equal(bad.status, 500, 'after num_retries the upstream response is forwarded');
  assert.equal(await stat('cluster.up.upstream_rq_retry'), 4);
  assert.equal(await stat('cluster.up.upstream_rq_retry_limit_exceeded'), 1);
});

test('retriable_status_codes, resets, and per_try_timeout', async () => {
  assert.equal((await get(url('/teapot?k=b&n=1'))).status, 200);
  assert.equal((await get(url('/reset?k=c&n=2'))).status, 200);
  const t = await get(url('/slowonce?k=d'));
  assert.equal(t.status, 200);
  assert.equal(await stat('cluster.up.upstream_rq_per_try_timeout'), 1);
});

test('connect-failure: a dead host is retried on the live one', async () => {
  for (let i = 0; i < 6; i++) assert.equal((await get(url('/mixed'))).status, 200);
  assert.ok((await stat('cluster.mixed.upstream_cx_connect_fail')) >= 1);
  assert.ok((await stat('cluster.mixed.upstream_rq_retry')) >= 1);
});

test('x-envoy-retry-on and x-envoy-max-retries are honoured for internal callers only', async () => {
  // 127.0.0.2 is internal by internal_address_config; 127.0.0.1 is external.
  const internal = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ports.l, path: '/plain/flaky?k=e&n=1', localAddress: '127.0.0.2', headers: { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '1' }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(internal, 200);
  const external = await get(url('/plain/flaky?k=f&n=1'), { headers: { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '1' } });
  assert.equal(external.status, 500, 'external callers cannot ask for retries');
});

test('max_requests circuit breaker: 503 with x-envoy-overloaded, counted as pending overflow', async () => {
  const first = get(url('/limited'));
  const second = get(url('/limited'));
  await new Promise((r) => setTimeout(r, 100));
  const third = await get(url('/limited'));
  const all = [await first, await second, third];
  const overloaded = all.filter((r) => r.status === 503);
  assert.ok(overloaded.length >= 1);
  for (const r of overloaded) {
    assert.equal(r.headers['x-envoy-overloaded'], 'true');
    assert.match(r.body, /reset reason: overflow/);
  }
  assert.ok((await stat('cluster.limited.upstream_rq_pending_overflow')) >= 1);
  assert.equal((await get(url('/plain/'))).status, 200);
});

test('a keep-alive connection the upstream closed while idle never fails a request', async () => {
  assert.equal((await get(url('/closer'))).body, 'first');
  // Same pooled connection: the upstream drops it instead of answering; the request goes out again.
  const r = await get(url('/closer'));
  assert.equal(r.status, 200);
  assert.equal(r.body, 'first');
  assert.ok((await stat('cluster.closer.upstream_cx_close_notify')) >= 1);
});

test('a reset after the response started resets the client, and the proxy keeps serving', async () => {
  const out = await raw(ports.l, 'GET /plain/partial HTTP/1.1\r\nhost: x\r\n\r\n', 2000);
  assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(!out.endsWith('0123456789'.repeat(10)), 'the client must not see a complete body');
  assert.equal(await stat('http.l.rq_reset_after_downstream_response_started'), 1);
  assert.equal((await get(url('/plain/'))).status, 200);
});
