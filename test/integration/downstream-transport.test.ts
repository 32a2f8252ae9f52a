// The HTTP/2-capable engine's cleartext connections: accepted as raw TCP handles on Node (the default),
// or as net sockets (NUNCIO_DOWNSTREAM_SOCKETS=net, the path runtimes without raw handles take). Both
// serve keep-alive, pipelined and half-closed HTTP/1.1 clients, hand HTTP/2 prior-knowledge clients to
// node:http2 after the sniff, and account every connection in the listener gauges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startNuncio } from '../helpers/nuncio.js';
import { freePort, h2get, raw, until } from '../helpers/net.js';
import { hcmListener } from '../helpers/config.js';
import { stat } from '../helpers/admin.js';

/** Sends `data`, half-closes, and collects the answer until the server closes. */
function halfClosed(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(data));
    let out = '';
    const t = setTimeout(() => reject(new Error(`no close; got ${JSON.stringify(out)}`)), 5000);
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.on('error', reject);
  });
}

for (const mode of ['raw', 'net'] as const) {
  test(`AUTO listener on ${mode} downstream connections: keep-alive, pipelining, half-close, HTTP/2 sniff, gauges`, async () => {
    const port = await freePort();
    const admin = await freePort();
    const cfg = `
static_resources:
  listeners:
${hcmListener('l', port)}
          codec_type: AUTO
          stat_prefix: l
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: fine } } }] }]
          http_filters: [{ name: envoy.filters.http.router }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } }
`;
    const n = await startNuncio(['--config-yaml', cfg, '--concurrency', '1'], admin, { env: { NUNCIO_DOWNSTREAM_SOCKETS: mode === 'net' ? 'net' : '' } });
    try {
      const two = await raw(port, 'GET /a HTTP/1.1\r\nhost: x\r\n\r\nGET /b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n', 3000);
      assert.equal(two.match(/HTTP\/1\.1 200 OK/g)?.length, 2, two);
      assert.match(two, /fine$/);
      const half = await halfClosed(port, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      assert.match(half, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nfine$/);
      const h2 = await h2get(`http://127.0.0.1:${port}`, '/');
      assert.equal(h2.status, 200);
      assert.equal(h2.body, 'fine');
      assert.equal(await stat(admin, 'http.l.downstream_cx_http2_total'), 1);
      assert.equal(await stat(admin, 'http.l.downstream_cx_http1_total'), 2);
      await until(async () => (await stat(admin, 'listener.127.0.0.1_' + port + '.downstream_cx_active')) === 0, 5000);
      assert.equal(await stat(admin, 'listener.127.0.0.1_' + port + '.downstream_cx_destroy'), 3);
      assert.equal(await stat(admin, 'http.l.downstream_cx_active'), 0);
    } finally {
      assert.equal(await n.stop(), 0, n.output());
    }
  });
}
