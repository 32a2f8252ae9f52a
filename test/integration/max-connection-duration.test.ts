// HCM common_http_protocol_options.max_connection_duration: a downstream connection older than that is
// drained as Envoy drains it - HTTP/1.1: an in-flight response carries `connection: close` and the
// connection closes after it, an idle one closes at once; HTTP/2: GOAWAY, in-flight streams finish -
// and counted in http.<prefix>.downstream_cx_max_duration_reached. HTTP1 listeners with it run on the
// node engine (uWebSockets.js has no connection hooks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { startNuncio } from '../helpers/nuncio.js';
import { freePort, get, until } from '../helpers/net.js';
import { hcmListener } from '../helpers/config.js';

function config(ports: { h1: number; auto: number; admin: number; up: number }): string {
  const l = (name: string, port: number, codec: string) => `
${hcmListener(name, port)}
          codec_type: ${codec}
          stat_prefix: ${name}
          common_http_protocol_options: { max_connection_duration: 0.4s }
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: up } }] }]
          http_filters: [{ name: envoy.filters.http.router }]`;
  return `
static_resources:
  listeners:${l('h1', ports.h1, 'HTTP1')}${l('auto', ports.auto, 'AUTO')}
  clusters:
  - name: up
    type: STATIC
    load_assignment: { cluster_name: up, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.up} } } } }] }] }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
}

async function reached(admin: number, prefix: string): Promise<number> {
  const r = await get(`http://127.0.0.1:${admin}/stats?filter=^http\\.${prefix}\\.downstream_cx_max_duration_reached$`);
  return Number(/: (\d+)/.exec(r.body)?.[1] ?? -1);
}

/** One HTTP/1.1 request on a raw socket; resolves with the response head once it is complete. */
function h1Request(sock: net.Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? 0);
      if (buf.length >= end + 4 + len) {
        sock.off('data', onData);
        resolve(buf.slice(0, end));
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

test('max_connection_duration drains HTTP/1.1 and HTTP/2 connections as Envoy does', async () => {
  const ports = { h1: await freePort(), auto: await freePort(), admin: await freePort(), up: await freePort() };
  // The upstream holds /hold until the test lets it go.
  const held: http.ServerResponse[] = [];
  const up = http.createServer((req, res) => {
    if (req.url === '/hold') held.push(res);
    else res.end('ok');
  });
  await new Promise<void>((r) => up.listen(ports.up, '127.0.0.1', () => r()));
  const n = await startNuncio(['--config-yaml', config(ports), '--concurrency', '1'], ports.admin);
  try {
    for (const name of ['h1', 'auto']) {
      const port = name === 'h1' ? ports.h1 : ports.auto;
      // An idle keep-alive connection is closed once it is older than the limit.
      const idle = await connect(port);
      const closedIdle = new Promise<void>((r) => idle.once('close', () => r()));
      assert.match(await h1Request(idle, '/'), /^HTTP\/1\.1 200/);
      await closedIdle;
      // A connection with a request in flight at the limit: its response says `connection: close`, then it closes.
      const busy = await connect(port);
      const closedBusy = new Promise<void>((r) => busy.once('close', () => r()));
      const before = held.length;
      const head = h1Request(busy, '/hold');
      await until(() => held.length > before, 10_000);
      await until(async () => (await reached(ports.admin, name)) >= 2, 10_000);
      held[held.length - 1].end('late');
      assert.match(await head, /^HTTP\/1\.1 200[\s\S]*\r\nconnection: close/i);
      await closedBusy;
      assert.equal(await reached(ports.admin, name), 2, `${name}: both connections reached the limit`);
    }
    // HTTP/2 (AUTO, prior knowledge): GOAWAY at the limit, the in-flight stream still completes.
    const session = http2.connect(`http://127.0.0.1:${ports.auto}`);
    const goaway = new Promise<number>((r) => session.once('goaway', (code) => r(code)));
    const closed = new Promise<void>((r) => session.once('close', () => r()));
    const before = held.length;
    const req = session.request({ ':path': '/hold' });
    let body = '';
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d) => (body += d));
    const ended = new Promise<void>((r) => req.on('end', () => r()));
    req.end();
    await until(() => held.length > before, 10_000);
    assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
    held[held.length - 1].end('after goaway');
    await ended;
    assert.equal(status, 200);
    assert.equal(body, 'after goaway');
    await closed;
    assert.equal(await reached(ports.admin, 'auto'), 3);
  } finally {
    for (const r of held) if (!r.writableEnded) r.end();
    assert.equal(await n.stop(), 0);
    await new Promise<void>((r) => up.close(() => r()));
  }
});
