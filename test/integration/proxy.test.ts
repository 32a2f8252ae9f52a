// The request path over real sockets, once per listener engine: uWebSockets.js (codec HTTP1), our
// HTTP/1.1 server on the node engine (codec AUTO, HTTP/1.1 client), and node:http2 (codec AUTO,
// HTTP/2 client) — each against HTTP/1.1 and HTTP/2 upstreams. Local replies, rewrites, headers,
// streaming with backpressure.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, h2get, type Reply } from '../helpers/net.js';
import { hcmListener } from '../helpers/config.js';

let nuncio: Nuncio;
let up1: http.Server;
let up2: http2.Http2Server;
const ports = { uws: 0, auto: 0, admin: 0, up1: 0, up2: 0, dead: 0 };
const seen: { headers: http.IncomingHttpHeaders; url: string }[] = [];

function upstreamHandler(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void {
  seen.push({ headers: req.headers as http.IncomingHttpHeaders, url: req.url ?? '' });
  const u = new URL(req.url ?? '/', 'http://x');
  if (u.pathname.startsWith('/echo')) {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      res.setHeader('x-received', String(n));
      res.end(`received ${n}`);
    });
    return;
  }
  if (u.pathname.startsWith('/slow')) {
    setTimeout(() => res.end('late'), Number(u.searchParams.get('ms') ?? 1000));
    return;
  }
  if (u.pathname.startsWith('/big')) {
    const total = Number(u.searchParams.get('mb') ?? 1) * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 120);
    res.setHeader('content-length', String(total));
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!(res as http.ServerResponse).write(chunk)) {
          (res as http.ServerResponse).once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
    return;
  }
  if (u.pathname.startsWith('/status/')) {
    res.statusCode = Number(u.pathname.slice(8));
    res.end('status');
    return;
  }
  res.setHeader('content-type', 'text/plain');
  res.setHeader('server', 'upstream-server');
  res.setHeader('connection', 'keep-alive');
  res.end(`hello ${u.pathname}`);
}

function config(): string {
  const listener = (name: string, port: number, codec: string) => `
${hcmListener(name, port)}
          codec_type: ${codec}
          stat_prefix: ${name}
          route_config:
            response_headers_to_add: [{ header: { key: x-rc, value: rc } }]
            virtual_hosts:
            - name: vh
              domains: ["*"]
              request_headers_to_add: [{ header: { key: x-vh, value: vh } }]
              routes:
              - match: { prefix: "/h2/" }
                route: { cluster: up_h2, prefix_rewrite: "/" }
              - match: { prefix: "/timeout" }
                route: { cluster: up_h1, timeout: 0.2s, prefix_rewrite: "/slow" }
              - match: { prefix: "/dead" }
                route: { cluster: dead }
              - match: { prefix: "/empty" }
                route: { cluster: empty }
              - match: { path: "/direct" }
                direct_response: { status: 418, body: { inline_string: "short and stout" } }
              - match: { path: "/redirect" }
                redirect: { host_redirect: example.com, path_redirect: /elsewhere }
              - match: { prefix: "/nowhere" }
                route: { cluster_header: x-cluster }
              - match: { prefix: "/", headers: [{ name: x-kind, string_match: { exact: none } }] }
                direct_response: { status: 200 }
              - match: { prefix: "/", headers: [{ name: x-no-route, present_match: true, invert_match: true }] }
                route: { cluster: up_h1, host_rewrite_literal: rewritten.example }
                response_headers_to_add: [{ header: { key: x-route, value: r } }]
          http_filters: [{ name: envoy.filters.http.router }]`;
  const cluster = (name: string, port: number, h2: boolean, type = 'STATIC', host = '127.0.0.1') => `
  - name: ${name}
    connect_timeout: 0.25s
    type: ${type}
    ${h2 ? 'http2_protocol_options: {}' : ''}
    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: ${host}, port_value: ${port} } } } }] }]`;
  return `
static_resources:
  listeners:${listener('uws', ports.uws, 'HTTP1')}${listener('auto', ports.auto, 'AUTO')}
  clusters:${cluster('up_h1', ports.up1, false)}${cluster('up_h2', ports.up2, true)}${cluster('dead', ports.dead, false)}${cluster('empty', 80, false, 'STRICT_DNS', 'no-such-host.invalid')}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
}

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  up1 = http.createServer(upstreamHandler);
  up2 = http2.createServer(upstreamHandler);
  await new Promise<void>((r) => up1.listen(ports.up1, '127.0.0.1', () => r()));
  await new Promise<void>((r) => up2.listen(ports.up2, '127.0.0.1', () => r()));
  nuncio = await startNuncio(['--config-yaml', config(), '--concurrency', '2'], ports.admin);
});

after(async () => {
  const code = await nuncio?.stop();
  up1?.closeAllConnections();
  up1?.close();
  up2?.close();
  assert.equal(code, 0, `nuncio exit code ${code}\n${nuncio?.output()}`);
});

type Client = (path: string, opts?: { method?: string; headers?: Record<string, string>; body?: string | Buffer }) => Promise<Reply>;

const clients: [string, () => Client][] = [
  ['uWebSockets.js listener (HTTP/1.1)', () => (p, o) => get(`http://127.0.0.1:${ports.uws}${p}`, o)],
  ['node engine, HTTP/1.1 client', () => (p, o) => get(`http://127.0.0.1:${ports.auto}${p}`, o)],
  [
    'node engine, HTTP/2 client',
    () => (p, o) =>
      o?.body !== undefined || o?.method
        ? h2req(`http://127.0.0.1:${ports.auto}`, p, o)
        : h2get(`http://127.0.0.1:${ports.auto}`, p, o?.headers ?? {}),
  ],
];

function h2req(origin: string, path: string, o: { method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(origin);
    s.on('error', reject);
    const req = s.request({ ':path': path, ':method': o.method ?? 'POST', ...(o.headers ?? {}) });
    const chunks: Buffer[] = [];
    let out: Reply = { status: 0, headers: {}, body: '' };
    req.on('response', (h) => (out = { status: Number(h[':status']), headers: h as Reply['headers'], body: '' }));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      out.body = Buffer.concat(chunks).toString();
      s.close();
      resolve(out);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

for (const [name, make] of clients) {
  describe(name, () => {
    test('proxies to an HTTP/1.1 upstream with Envoy headers both ways', async () => {
      const c = make();
      seen.length = 0;
      const r = await c('/hello?x=1', { headers: { 'x-envoy-max-retries': '5', 'x-envoy-internal': 'true' } });
      assert.equal(r.status, 200);
      assert.equal(r.body, 'hello /hello');
      assert.equal(r.headers.server, 'envoy');
      assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
      assert.match(String(r.headers.date), /GMT$/);
      assert.equal(r.headers['x-route'], 'r');
      assert.equal(r.headers['x-rc'], 'rc');
      // The upstream's hop-by-hop 'connection: keep-alive' is not forwarded (a closing client may get 'close').
      assert.ok(r.headers.connection === undefined || r.headers.connection === 'close', String(r.headers.connection));
      const up = seen.at(-1)!;
      assert.equal(up.url, '/hello?x=1');
      assert.equal(up.headers.host ?? up.headers[':authority'], 'rewritten.example');
      assert.equal(up.headers['x-forwarded-proto'], 'http');
      assert.match(String(up.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      assert.equal(up.headers['x-envoy-expected-rq-timeout-ms'], '15000');
      assert.equal(up.headers['x-vh'], 'vh');
      // External request: Envoy's control headers are stripped.
      assert.equal(up.headers['x-envoy-max-retries'], undefined);
      assert.equal(up.headers['x-envoy-internal'], undefined);
    });

    test('proxies to an HTTP/2 upstream with a prefix rewrite', async () => {
      const c = make();
      seen.length = 0;
      const r = await c('/h2/world');
      assert.equal(r.status, 200);
      assert.equal(r.body, 'hello /world');
      const up = seen.at(-1)!;
      assert.equal(up.url, '/world');
      assert.equal(up.headers['x-envoy-original-path'], '/h2/world');
    });

    test('streams request bodies both ways', async () => {
      const c = make();
      const body = Buffer.alloc(3 * 1024 * 1024 + 7, 97);
      const r1 = await c('/echo', { method: 'POST', body });
      assert.equal(r1.status, 200);
      assert.equal(r1.body, `received ${body.length}`);
      const r2 = await c('/h2/echo', { method: 'POST', body });
      assert.equal(r2.body, `received ${body.length}`);
    });

    test('local replies: 404 no route, direct response, redirect, 503s, 504', async () => {
      const c = make();
      const none = await c('/x', { headers: { 'x-no-route': '1' } });
      assert.equal(none.status, 404);
      assert.equal(none.body, '');
      assert.equal(none.headers.server, 'envoy');
      const nr = await c('/anything', { headers: { 'x-kind': 'none' } });
      assert.equal(nr.status, 200);
      assert.equal(nr.body, '');
      const d = await c('/direct');
      assert.equal(d.status, 418);
      assert.equal(d.body, 'short and stout');
      assert.equal(d.headers['content-type'], 'text/plain');
      const rd = await c('/redirect?q=1');
      assert.equal(rd.status, 301);
      assert.equal(rd.headers.location, 'http://example.com/elsewhere?q=1');
      const nc = await c('/nowhere', { headers: { 'x-cluster': 'no-such-cluster' } });
      assert.equal(nc.status, 503);
      assert.equal(nc.body, '');
      const uh = await c('/empty');
      assert.equal(uh.status, 503);
      assert.equal(uh.body, 'no healthy upstream');
      const uf = await c('/dead');
      assert.equal(uf.status, 503);
      assert.match(uf.body, /^upstream connect error or disconnect\/reset before headers\. reset reason: remote connection failure, transport failure reason: delayed connect error: 111$/);
      const ut = await c('/timeout?ms=2000');
      assert.equal(ut.status, 504);
      assert.equal(ut.body, 'upstream request timeout');
    });
  });
}

test('a 64 MiB response to a client that reads slowly passes without buffering it all', async () => {
  const sock = net.connect(ports.auto, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write('GET /big?mb=64 HTTP/1.1\r\nhost: x\r\n\r\n');
  // Read nothing for a while: the proxy must stop reading from the upstream instead of buffering 64 MiB.
  sock.pause();
  await new Promise((r) => setTimeout(r, 1500));
  let got = 0;
  sock.on('data', (d) => (got += d.length));
  sock.resume();
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (got >= 64 * 1024 * 1024) {
        clearInterval(t);
        resolve();
      }
    }, 50);
  });
  sock.destroy();
  assert.ok(got >= 64 * 1024 * 1024);
});
