// 1 GiB through the proxy in each direction, on both listener engines, while nuncio's peak resident
// memory stays far below the body size: bodies stream with backpressure instead of being buffered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import { startNuncio, TEST_RUNTIME, type Nuncio } from '../helpers/nuncio.js';
import { freePort } from '../helpers/net.js';
import { hcmListener } from '../helpers/config.js';

const GIB = 1024 * 1024 * 1024;
const CHUNK = Buffer.alloc(1024 * 1024, 7);
let nuncio: Nuncio;
let upstream: http.Server;
const ports = { uws: 0, auto: 0, admin: 0, up: 0 };

function peakRssMb(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(s)![1]) / 1024;
}

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upstream = http.createServer((req, res) => {
    if (req.url === '/download') {
      res.writeHead(200, { 'content-length': String(GIB) });
      let sent = 0;
      const pump = () => {
        while (sent < GIB) {
          sent += CHUNK.length;
          if (!res.write(CHUNK)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(String(n)));
  });
  await new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r()));
  const listener = (name: string, port: number, codec: string) => `
${hcmListener(name, port)}
          codec_type: ${codec}
          stat_prefix: ${name}
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: up, timeout: 0s } }] }]
          http_filters: [{ name: envoy.filters.http.router }]`;
  const cfg = `
static_resources:
  listeners:${listener('uws', ports.uws, 'HTTP1')}${listener('auto', ports.auto, 'AUTO')}
  clusters:
  - name: up
    type: STATIC
    load_assignment:
      cluster_name: up
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.up} } } } }] }]
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

function download(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/download', agent: false }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function upload(port: number, chunked: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(GIB) };
    const req = http.request({ host: '127.0.0.1', port, path: '/upload', method: 'POST', agent: false, headers }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < GIB) {
        sent += CHUNK.length;
        if (!req.write(CHUNK)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

// uWebSockets.js 20.30 resets a request whose Content-Length has ten or more digits (>= 1e9 bytes)
// before nuncio sees it (README, "Platform limits"); chunked uploads of any size pass.
for (const [name, key, chunked] of [
  ['uWebSockets.js listener', 'uws', true],
  ['node engine listener', 'auto', false],
] as const) {
  test(`${name}: 1 GiB download and 1 GiB upload stream through with bounded memory`, { timeout: 120_000 }, async () => {
    assert.equal(await download(ports[key]), GIB);
    assert.equal(await upload(ports[key], chunked), String(GIB));
    const peak = peakRssMb(nuncio.proc.pid!);
    assert.ok(peak < 400, `peak RSS ${peak.toFixed(0)} MB: bodies were buffered`);
  });
}

test('uWebSockets.js listener: the platform limit on Content-Length (>= 1e9) shows as a reset, and the node engine has none', { skip: TEST_RUNTIME === 'bun' && 'no uWebSockets.js on Bun' }, async () => {
  await assert.rejects(upload(ports.uws, false), /ECONNRESET|EPIPE|socket hang up/);
  // The proxy keeps serving on that listener.
  assert.equal(await download(ports.uws), GIB);
});
