// nuncio on Bun (Bun.serve listeners), whatever NUNCIO_TEST_RUNTIME says: what Bun lacks is refused or
// warned about at start-up by listener name; HTTP/1.1 and HTTP/2 (prior knowledge, HTTP2-only codec,
// ALPN over TLS from inline PEM), client certificates, request bodies both ways, and a client that
// leaves while its request waits for the upstream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { runNuncio, startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, h2get, raw, until } from '../helpers/net.js';
import { stat, statsMap } from '../helpers/admin.js';
import { hcmListener } from '../helpers/config.js';
import { CertFactory, type Pair } from '../helpers/certs.js';

let nuncio: Nuncio;
let upstream: http.Server;
let hang: http.Server;
let certs: CertFactory;
let server: Pair;
let client: Pair;
const ports = { h1: 0, auto: 0, h2only: 0, tls: 0, mtls: 0, up: 0, hang: 0, admin: 0 };
/** Sockets of requests the hanging upstream received, and whether each was closed. */
const hung: { closed: boolean }[] = [];

const inline = (pem: string): string => `{ inline_string: ${JSON.stringify(pem)} }`;

function listener(name: string, codec: string, extra = '', tlsCtx = ''): string {
  return `
${hcmListener(name, ports[name as keyof typeof ports])}
          codec_type: ${codec}
          stat_prefix: ${name}${extra}
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/direct" }
                direct_response: { status: 200, body: { inline_string: direct } }
              - match: { prefix: "/hang" }
                route: { cluster: hang, timeout: 30s }
              - match: { prefix: "/" }
                route: { cluster: up }
          http_filters: [{ name: envoy.filters.http.router }]${tlsCtx}`;
}

function tlsContext(alpn: string, mtls: boolean): string {
  return `
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext${mtls ? '\n          require_client_certificate: true' : ''}
          common_tls_context:
            tls_certificates: [{ certificate_chain: ${inline(server.cert)}, private_key: ${inline(server.key)} }]${alpn ? `\n            alpn_protocols: [${alpn}]` : ''}${mtls ? `\n            validation_context: { trusted_ca: ${inline(certs.ca.cert)} }` : ''}`;
}

function cluster(name: string, port: number): string {
  return `
  - name: ${name}
    connect_timeout: 1s
    type: STATIC
    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]`;
}

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  certs = new CertFactory();
  server = certs.issue('bun.test', { sans: ['bun.test', '127.0.0.1'] });
  client = certs.issue('client', { client: true });
  upstream = http.createServer((req, res) => {
    if (req.url === '/cut') {
      // The response starts, then the upstream connection dies.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    }
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      res.setHeader('content-type', 'text/plain');
      res.end(`${req.method} ${req.url} received ${n} proto ${req.headers['x-forwarded-proto']}`);
    });
  });
  hang = http.createServer((req) => {
    const h = { closed: false };
    hung.push(h);
    req.socket.once('close', () => (h.closed = true));
  });
  await Promise.all([
    new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r())),
    new Promise<void>((r) => hang.listen(ports.hang, '127.0.0.1', () => r())),
  ]);
  const cfg = `
static_resources:
  listeners:${listener('h1', 'HTTP1')}${listener('auto', 'AUTO', '\n          request_headers_timeout: 5s')}${listener('h2only', 'HTTP2')}${listener('tls', 'AUTO', '', tlsContext('h2, http/1.1', false))}${listener('mtls', 'HTTP1', '', tlsContext('', true))}
  clusters:${cluster('up', ports.up)}${cluster('hang', ports.hang)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], ports.admin, { runtime: 'bun' });
});

after(async () => {
  await nuncio?.stop();
  upstream?.closeAllConnections();
  upstream?.close();
  hang?.closeAllConnections();
  hang?.close();
  certs?.cleanup();
});

test('start-up: it runs on Bun, and what Bun cannot apply is a warning naming the listener', () => {
  assert.match(nuncio.output(), /nuncio \S+ is live \(Bun 1\.\d+\.\d+\)/);
  assert.match(nuncio.output(), /\[warning\]\[main\] listener 'auto': request_headers_timeout is not applied on Bun/);
});

test('HTTP/1.1 on every plaintext listener; HTTP/2 by prior knowledge on AUTO; HTTP/2 only on HTTP2', async () => {
  for (const port of [ports.h1, ports.auto]) {
    const r = await get(`http://127.0.0.1:${port}/a?b=1`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'GET /a?b=1 received 0 proto http');
    assert.equal(r.headers.server, 'envoy');
    assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
    const d = await get(`http://127.0.0.1:${port}/direct`);
    assert.equal(d.body, 'direct');
  }
  for (const port of [ports.auto, ports.h2only]) {
    const r = await h2get(`http://127.0.0.1:${port}`, '/h2');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'GET /h2 received 0 proto http');
  }
  // An HTTP2-only listener answers HTTP/1.1 clients with Bun's 505.
  const old = await get(`http://127.0.0.1:${ports.h2only}/x`);
  assert.equal(old.status, 505);
  // Where every request is HTTP/2, they are counted so.
  assert.equal(await stat(ports.admin, 'http.h2only.downstream_rq_http2_total'), 1);
});

test('request bodies stream up over HTTP/1.1 (length, chunked) and HTTP/2 (no content-length)', async () => {
  const body = Buffer.alloc(3 * 1024 * 1024 + 7, 97);
  const a = await get(`http://127.0.0.1:${ports.h1}/up`, { method: 'POST', body });
  assert.equal(a.body, `POST /up received ${body.length} proto http`);
  const chunked = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ports.auto, path: '/chunked', method: 'PUT', agent: false }, (res) => {
      let s = '';
      res.on('data', (d) => (s += d));
      res.on('end', () => resolve(s));
    });
    req.on('error', reject);
    for (let i = 0; i < 10; i++) req.write(Buffer.alloc(100_000, 98));
    req.end();
  });
  assert.equal(chunked, 'PUT /chunked received 1000000 proto http');
  const s = http2.connect(`http://127.0.0.1:${ports.auto}`);
  try {
    const st = s.request({ ':method': 'POST', ':path': '/h2up' });
    st.end(body);
    let out = '';
    st.on('data', (d) => (out += d));
    await new Promise<void>((r) => st.on('end', () => r()));
    assert.equal(out, `POST /h2up received ${body.length} proto http`);
  } finally {
    s.close();
  }
});

function httpsGet(port: number, opts: https.RequestOptions = {}): Promise<{ status: number; body: string; cn: string; alpn: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/s', ca: certs.ca.cert, servername: 'bun.test', agent: false, ...opts }, (res) => {
      const sock = res.socket as tls.TLSSocket;
      const cn = String(sock.getPeerCertificate().subject?.CN);
      const alpn = String(sock.alpnProtocol);
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cn, alpn }));
    });
    req.on('error', reject);
    req.end();
  });
}

test("bad heads: Bun's parser answers most itself; what it passes, nuncio refuses as Envoy's codec would", async () => {
  const before = await stat(ports.admin, 'http.h1.downstream_cx_protocol_error');
  // Bun's own answer, before nuncio sees anything (not counted).
  assert.match(await raw(ports.h1, 'GET /x HTTP/1.2\r\nhost: a\r\n\r\n'), /^HTTP\/1\.1 505 /);
  assert.match(await raw(ports.h1, 'POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab'), /^HTTP\/1\.1 400 /);
  // A second Host (Bun joins them) and more fields than max_headers_count (100): nuncio's codec replies.
  const hosts = await raw(ports.h1, 'GET /direct HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n');
  assert.match(hosts, /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nBad Request$/);
  assert.match(hosts, /\r\nconnection: close\r\n/i);
  const many = await raw(ports.h1, `GET /direct HTTP/1.1\r\nhost: a\r\n${Array.from({ length: 101 }, (_, i) => `x-${i}: v\r\n`).join('')}\r\n`);
  assert.match(many, /^HTTP\/1\.1 431 /);
  assert.equal(await stat(ports.admin, 'http.h1.downstream_cx_protocol_error'), before + 2);
  // Upgrades are not proxied (no upgrade_configs): 403, as Envoy.
  assert.match(await raw(ports.h1, 'GET /x HTTP/1.1\r\nhost: a\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n'), /^HTTP\/1\.1 403 /);
});

test('TLS from inline PEM: HTTP/1.1, and HTTP/2 by ALPN where the chain offers h2', async () => {
  const r = await httpsGet(ports.tls);
  assert.equal(r.status, 200);
  assert.equal(r.cn, 'bun.test');
  assert.equal(r.body, 'GET /s received 0 proto https');
  const s = http2.connect(`https://127.0.0.1:${ports.tls}`, { ca: certs.ca.cert, servername: 'bun.test' });
  try {
    const h2 = await h2get(`https://127.0.0.1:${ports.tls}`, '/s2', {}, s);
    assert.equal(h2.status, 200);
    assert.equal(h2.body, 'GET /s2 received 0 proto https');
    assert.equal(s.alpnProtocol, 'h2');
  } finally {
    s.close();
  }
});

test('require_client_certificate: refused without a certificate, served with one from the trusted CA', async () => {
  await assert.rejects(httpsGet(ports.mtls));
  const r = await httpsGet(ports.mtls, { key: client.key, cert: client.cert });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'GET /s received 0 proto https');
});

test('a client that leaves while its request waits for the upstream: counted, and the upstream request is reset', async () => {
  const before = await statsMap(ports.admin, '^http\\.h1\\.downstream_rq_rx_reset$');
  const sock = net.connect(ports.h1, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write('GET /hang HTTP/1.1\r\nhost: x\r\n\r\n');
  await until(async () => hung.length === 1, 5000);
  sock.destroy();
  await until(async () => (await stat(ports.admin, 'http.h1.downstream_rq_rx_reset')) === (before.get('http.h1.downstream_rq_rx_reset') ?? 0) + 1, 5000);
  // HTTP/1.1 upstream: abandoning the request closes its connection.
  await until(async () => hung[0].closed, 5000);
  assert.equal(await stat(ports.admin, 'http.h1.downstream_rq_active'), 0);
  assert.equal(await stat(ports.admin, 'cluster.hang.upstream_rq_active'), 0);
});

test("an upstream that dies after the response started: the client's response is cut short, counted", async () => {
  const before = await stat(ports.admin, 'http.h1.downstream_rq_tx_reset');
  const out = await raw(ports.h1, 'GET /cut HTTP/1.1\r\nhost: a\r\n\r\n', 3000);
  assert.match(out, /^HTTP\/1\.1 200 /);
  assert.match(out, /partial/);
  // Chunked framing never completed: the client can tell the response broke off.
  assert.doesNotMatch(out, /\r\n0\r\n\r\n$/);
  assert.equal(await stat(ports.admin, 'http.h1.downstream_rq_tx_reset'), before + 1);
});

test('what Bun.serve cannot do is refused at start-up, naming each listener', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-bun-'));
  const p1 = await freePort();
  const p2 = await freePort();
  const chain = (name: string, sni: string) => `
    - filter_chain_match: { server_names: [${sni}] }
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ${name}
          route_config: { virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200 } }] }] }
          http_filters: [{ name: envoy.filters.http.router }]${tlsContext('', false)}`;
  const cfg = `
static_resources:
  listeners:
  - name: multi
    address: { socket_address: { address: 127.0.0.1, port_value: ${p1} } }
    filter_chains:${chain('a', 'a.test')}${chain('b', 'b.test')}
  - name: limited
    address: { socket_address: { address: 127.0.0.1, port_value: ${p2} } }
    filter_chains:${chain('c', 'c.test')}
layered_runtime:
  layers:
  - name: static
    static_layer: { envoy: { resource_limits: { listener: { limited: { connection_limit: 5 } } } } }
`;
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, cfg);
  try {
    const r = await runNuncio(['-c', file, '--concurrency', '1'], 20_000, 'bun');
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /nuncio: cannot start: nuncio on Bun 1\.\d+\.\d+ cannot serve this config:/);
    assert.match(r.err, /listener 'multi' has 2 filter chains/);
    assert.match(r.err, /listener 'limited': runtime envoy\.resource_limits\.listener\.limited\.connection_limit is 5/);
    // --mode validate on Bun refuses it for the same reasons, before anything listens.
    const v = await runNuncio(['-c', file, '--mode', 'validate'], 20_000, 'bun');
    assert.equal(v.code, 1, v.err);
    assert.match(v.err, /error initializing configuration '.*bad\.yaml': nuncio on Bun 1\.\d+\.\d+ cannot serve this config:/);
    assert.match(v.err, /listener 'multi' has 2 filter chains/);
    assert.match(v.err, /listener 'limited': runtime envoy\.resource_limits\.listener\.limited\.connection_limit is 5/);
    assert.doesNotMatch(v.out, /OK/);
    // The same config validates (and starts) on Node.js, where the node engine serves both.
    const n = await runNuncio(['-c', file, '--mode', 'validate'], 20_000, 'node');
    assert.equal(n.code, 0, n.err);
    assert.match(n.out, /configuration '.*bad\.yaml' OK/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('nothing went wrong along the way: no error logged, no stray output from Bun', () => {
  assert.doesNotMatch(nuncio.output(), /\]\[(error|critical)\]|stream reset|Unhandled|TypeError/);
});
