// Timeouts over real sockets: cluster connect_timeout against a peer whose accept queue is full,
// the upstream idle timeout closing pooled connections, and the HCM idle_timeout closing idle
// downstream connections — each with Envoy's local reply and counter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { startNuncio, TEST_RUNTIME, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, until } from '../helpers/net.js';
import { stat as statOf } from '../helpers/admin.js';
import { hcmListener } from '../helpers/config.js';

let nuncio: Nuncio;
let blackhole: ChildProcess;
let upstream: http.Server;
const held: net.Socket[] = [];
const ports = { l: 0, admin: 0, up: 0, hole: 0 };

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  // A listener that never accepts (its thread is parked) and whose backlog we fill: further SYNs are
  // dropped, so a connect to it hangs until the proxy's connect_timeout.
  blackhole = spawn(process.execPath, [
    '-e',
    `const s=require('net').createServer();s.listen({port:${ports.hole},host:'127.0.0.1',backlog:1},()=>{process.stdout.write('ready\\n');Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,60000)})`,
  ]);
  await new Promise<void>((r) => blackhole.stdout!.once('data', () => r()));
  for (let i = 0; i < 4; i++) {
    const s = net.connect(ports.hole, '127.0.0.1');
    s.on('error', () => {});
    held.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  upstream = http.createServer((_req, res) => res.end('ok'));
  upstream.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r()));
  const cfg = `
static_resources:
  listeners:
${hcmListener('l', ports.l)}
          stat_prefix: l
          common_http_protocol_options: { idle_timeout: 0.3s }
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/hole" }
                route: { cluster: hole }
              - match: { prefix: "/" }
                route: { cluster: up }
          http_filters: [{ name: envoy.filters.http.router }]
  clusters:
  - name: hole
    connect_timeout: 0.25s
    type: STATIC
    load_assignment: { cluster_name: hole, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.hole} } } } }] }] }
  - name: up
    type: STATIC
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        common_http_protocol_options: { idle_timeout: 0.3s }
        explicit_http_config: { http_protocol_options: {} }
    load_assignment: { cluster_name: up, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.up} } } } }] }] }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '1'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
  for (const s of held) s.destroy();
  blackhole?.kill('SIGKILL');
  upstream?.closeAllConnections();
  upstream?.close();
});

const stat = (name: string): Promise<number> => statOf(ports.admin, name);

test('connect_timeout: 503 with reset reason connection timeout, counted', async () => {
  const t0 = Date.now();
  const r = await get(`http://127.0.0.1:${ports.l}/hole`);
  assert.equal(r.status, 503);
  assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: connection timeout');
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(await stat('cluster.hole.upstream_cx_connect_timeout'), 1);
  assert.equal(await stat('cluster.hole.upstream_cx_connect_fail'), 1);
});

test('upstream idle_timeout closes pooled connections that sat idle', async () => {
  assert.equal((await get(`http://127.0.0.1:${ports.l}/x`)).status, 200);
  await until(async () => (await stat('cluster.up.upstream_cx_idle_timeout')) === 1, 5000);
  assert.equal(await stat('cluster.up.upstream_cx_active'), 0);
  assert.equal((await get(`http://127.0.0.1:${ports.l}/x`)).status, 200);
});

// Bun.serve closes idle connections itself (idleTimeout) and tells nobody: nothing to count on Bun.
test('HCM idle_timeout closes an idle downstream connection', { skip: TEST_RUNTIME === 'bun' && 'Bun.serve has no connection hooks' }, async () => {
  const s = net.connect(ports.l, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.on('data', () => {});
  s.write('GET /x HTTP/1.1\r\nhost: x\r\n\r\n');
  await closed;
  assert.ok((await stat('http.l.downstream_cx_idle_timeout')) >= 1);
});
