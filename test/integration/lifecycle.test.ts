// Lifecycle under load: graceful drain on SIGTERM and /quitquitquit (in-flight requests finish, new
// connections are refused, exit 0), hot reload on SIGHUP (new config for new requests, in-flight
// requests keep theirs, bad configs rejected and counted), and a crashed worker replaced while the
// others keep serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNuncio } from '../helpers/nuncio.js';
import { freePort, get, sleep, until } from '../helpers/net.js';
import { hcmListener } from '../helpers/config.js';

async function slowUpstream(port: number, tag = 'up'): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    setTimeout(() => res.end(`${tag} ${req.url}`), ms);
  });
  s.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', () => r()));
  return s;
}

function config(ports: { uws: number; auto: number; admin: number; up: number }, routePrefix = '/', extraListener = ''): string {
  const l = (name: string, port: number, codec: string) => `
${hcmListener(name, port)}
          codec_type: ${codec}
          stat_prefix: ${name}
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "${routePrefix}" }, route: { cluster: up } }] }]
          http_filters: [{ name: envoy.filters.http.router }]`;
  return `
static_resources:
  listeners:${l('uws', ports.uws, 'HTTP1')}${l('auto', ports.auto, 'AUTO')}${extraListener}
  clusters:
  - name: up
    type: STATIC
    load_assignment: { cluster_name: up, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.up} } } } }] }] }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
}

function h2(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.on('error', reject);
    const req = s.request({ ':path': p });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      s.close();
      resolve({ status, body });
    });
    req.on('error', reject);
    req.end();
  });
}

for (const how of ['SIGTERM', '/quitquitquit'] as const) {
  test(`graceful drain on ${how}: in-flight requests on every engine finish, new connections are refused, exit 0`, async () => {
    const ports = { uws: await freePort(), auto: await freePort(), admin: await freePort(), up: await freePort() };
    const up = await slowUpstream(ports.up);
    const n = await startNuncio(['--config-yaml', config(ports), '--concurrency', '2', '--drain-time-s', '20'], ports.admin);
    const inflight = [
      get(`http://127.0.0.1:${ports.uws}/a?ms=1200`),
      get(`http://127.0.0.1:${ports.auto}/b?ms=1200`),
      h2(ports.auto, '/c?ms=1200'),
    ];
    await sleep(300);
    const exit = how === 'SIGTERM' ? n.stop('SIGTERM') : get(`http://127.0.0.1:${ports.admin}/quitquitquit`, { method: 'POST' }).then(() => n.stop('SIGTERM'));
    await sleep(300);
    await assert.rejects(get(`http://127.0.0.1:${ports.auto}/late`), /ECONNREFUSED|ECONNRESET|socket hang up/);
    const results = await Promise.all(inflight);
    assert.deepEqual(
      results.map((r) => [r.status, r.body]),
      [
        [200, 'up /a?ms=1200'],
        [200, 'up /b?ms=1200'],
        [200, 'up /c?ms=1200'],
      ],
    );
    assert.equal(await exit, 0, n.output());
    up.closeAllConnections();
    up.close();
  });
}

test('hot reload (SIGHUP): new routes for new requests, in-flight requests keep their config, bad configs are rejected', async () => {
  const ports = { uws: await freePort(), auto: await freePort(), admin: await freePort(), up: await freePort() };
  const added = await freePort();
  const up = await slowUpstream(ports.up);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-reload-'));
  const file = path.join(dir, 'nuncio.yaml');
  fs.writeFileSync(file, config(ports, '/v1'));
  const n = await startNuncio(['-c', file, '--concurrency', '2'], ports.admin);
  try {
    assert.equal((await get(`http://127.0.0.1:${ports.auto}/v1?ms=0`)).status, 200);
    assert.equal((await get(`http://127.0.0.1:${ports.auto}/v2?ms=0`)).status, 404);
    // A slow request in flight while the config changes under it.
    const slow = get(`http://127.0.0.1:${ports.uws}/v1?ms=1500`);
    await sleep(200);
    const extra = `
${hcmListener('added', added)}
          stat_prefix: added
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: added } } }] }]
          http_filters: [{ name: envoy.filters.http.router }]`;
    fs.writeFileSync(file, config(ports, '/v2', extra));
    n.proc.kill('SIGHUP');
    await until(async () => (await get(`http://127.0.0.1:${ports.auto}/v2?ms=0`)).status === 200);
    for (const port of [ports.uws, ports.auto]) {
      assert.equal((await get(`http://127.0.0.1:${port}/v2?ms=0`)).status, 200);
      assert.equal((await get(`http://127.0.0.1:${port}/v1?ms=0`)).status, 404);
    }
    assert.equal((await get(`http://127.0.0.1:${added}/`)).body, 'added');
    const s = await slow;
    assert.equal(s.status, 200, 'the in-flight request finished with the config it started with');
    // A broken config is rejected; the running one keeps serving.
    fs.writeFileSync(file, 'static_resources: { clusters: [{ name: x, lb_polcy: RANDOM }] }');
    n.proc.kill('SIGHUP');
    await until(() => n.output().includes('config reload rejected'));
    assert.match(n.output(), /lb_polcy: unknown field/);
    assert.equal((await get(`http://127.0.0.1:${ports.auto}/v2?ms=0`)).status, 200);
    const stats = (await get(`http://127.0.0.1:${ports.admin}/stats?filter=nuncio.config_reload`)).body;
    assert.match(stats, /nuncio\.config_reload_success: 1/);
    assert.match(stats, /nuncio\.config_reload_failure: 1/);
    assert.match(stats, /nuncio\.config_reload_total: 2/);
    // The listener that the next reload removes stops accepting.
    fs.writeFileSync(file, config(ports, '/v2'));
    n.proc.kill('SIGHUP');
    await until(async () => {
      try {
        await get(`http://127.0.0.1:${added}/`);
        return false;
      } catch {
        return true;
      }
    });
    assert.equal((await get(`http://127.0.0.1:${ports.auto}/v2?ms=0`)).status, 200);
  } finally {
    assert.equal(await n.stop(), 0, n.output());
    up.closeAllConnections();
    up.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker that dies is replaced; the other keeps serving and stats stay consistent', async () => {
  const ports = { uws: await freePort(), auto: await freePort(), admin: await freePort(), up: await freePort() };
  const up = await slowUpstream(ports.up);
  // Node-engine listener only: a dying uWebSockets.js worker takes the process down (README).
  const cfg = config(ports).replace(/  - name: uws[\s\S]*?(?=  - name: auto)/, '');
  const n = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], ports.admin, { env: { NUNCIO_TEST_HOOKS: '1' } });
  try {
    let failures = 0;
    let ok = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        try {
          const r = await get(`http://127.0.0.1:${ports.auto}/x?ms=0`);
          if (r.status === 200) ok++;
          else failures++;
        } catch {
          failures++;
        }
      }
    })();
    await sleep(300);
    await get(`http://127.0.0.1:${ports.admin}/debug/crash_worker?worker=0`, { method: 'POST' });
    await until(async () => /nuncio\.worker_restarts: 1/.test((await get(`http://127.0.0.1:${ports.admin}/stats?filter=worker_restarts`)).body));
    // Let the replacement take traffic again.
    const before = Number(/worker_0\.downstream_rq_total: (\d+)/.exec((await get(`http://127.0.0.1:${ports.admin}/stats?filter=auto.worker_0`)).body)![1]);
    await until(async () => Number(/worker_0\.downstream_rq_total: (\d+)/.exec((await get(`http://127.0.0.1:${ports.admin}/stats?filter=auto.worker_0`)).body)![1]) > before + 5);
    stop = true;
    await load;
    assert.ok(ok > 20);
    // Requests in flight on the dying worker may fail; requests after it died must not.
    assert.ok(failures <= 3, `${failures} failed requests`);
    const s = (await get(`http://127.0.0.1:${ports.admin}/stats?filter=^http\\.auto\\.downstream_rq_(active|total)$`)).body;
    assert.match(s, /http\.auto\.downstream_rq_active: 0/);
  } finally {
    assert.equal(await n.stop(), 0, n.output());
    up.closeAllConnections();
    up.close();
  }
});
