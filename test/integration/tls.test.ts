// Downstream and upstream TLS: every data source kind, SNI choosing between two certificates, ALPN,
// client certificates, TLS on the uWebSockets.js engine, upstream TLS with CA validation and h2 by
// ALPN, and the start-up validation failures an operator must see.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import https from 'node:https';
import http2 from 'node:http2';
import fs from 'node:fs';
import path from 'node:path';
import { CertFactory, type Pair } from '../helpers/certs.js';
import { runNuncio, startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort } from '../helpers/net.js';

let certs: CertFactory;
let A: Pair, B: Pair, C: Pair, UP: Pair;
let nuncio: Nuncio;
let upH1: https.Server;
let upH2: http2.Http2SecureServer;
const ports = { multi: 0, uws: 0, mtls: 0, bytes: 0, admin: 0, upH1: 0, upH2: 0 };

const hcm = (prefix: string, codec: string, cluster = 'up_tls') => `
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: ${codec}
          stat_prefix: ${prefix}
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/h2up" }
                route: { cluster: up_tls_h2 }
              - match: { prefix: "/" }
                route: { cluster: ${cluster} }
          http_filters: [{ name: envoy.filters.http.router }]`;

const tlsCtx = (certSrc: string, keySrc: string, extra = '') => `
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificates: [{ certificate_chain: ${certSrc}, private_key: ${keySrc} }]
${extra}`;

const inline = (pem: string) => JSON.stringify({ inline_string: pem });

function config(): string {
  return `
static_resources:
  listeners:
  - name: multi
    address: { socket_address: { address: 127.0.0.1, port_value: ${ports.multi} } }
    filter_chains:
    - filter_chain_match: { server_names: [a.test] }
      filters:${hcm('multi_a', 'AUTO')}${tlsCtx(inline(A.cert), inline(A.key), '            alpn_protocols: [h2, http/1.1]')}
    - filter_chain_match: { server_names: [b.test] }
      filters:${hcm('multi_b', 'AUTO')}${tlsCtx(inline(B.cert), inline(B.key))}
  - name: uws
    address: { socket_address: { address: 127.0.0.1, port_value: ${ports.uws} } }
    filter_chains:
    - filters:${hcm('uws_tls', 'HTTP1')}${tlsCtx(JSON.stringify({ filename: A.certPath }), JSON.stringify({ filename: A.keyPath }))}
  - name: mtls
    address: { socket_address: { address: 127.0.0.1, port_value: ${ports.mtls} } }
    filter_chains:
    - filters:${hcm('mtls', 'AUTO')}${tlsCtx(inline(A.cert), inline(A.key), `            validation_context: { trusted_ca: ${inline(certs.ca.cert)} }
          require_client_certificate: true`)}
  - name: bytes
    address: { socket_address: { address: 127.0.0.1, port_value: ${ports.bytes} } }
    filter_chains:
    - filters:${hcm('bytes', 'AUTO')}${tlsCtx(JSON.stringify({ inline_bytes: Buffer.from(B.cert).toString('base64') }), JSON.stringify({ environment_variable: 'NUNCIO_TEST_KEY' }))}
  clusters:
  - name: up_tls
    connect_timeout: 1s
    type: STATIC
    load_assignment:
      cluster_name: up_tls
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.upH1} } } } }] }]
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: upstream.test
        common_tls_context:
          validation_context: { trusted_ca: ${inline(certs.ca.cert)} }
  - name: up_tls_h2
    connect_timeout: 1s
    type: STATIC
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
    load_assignment:
      cluster_name: up_tls_h2
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.upH2} } } } }] }]
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: upstream.test
        common_tls_context:
          alpn_protocols: [h2]
          validation_context: { trusted_ca: ${inline(certs.ca.cert)} }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
}

before(async () => {
  certs = new CertFactory();
  A = certs.issue('a.test');
  B = certs.issue('b.test');
  C = certs.issue('client', { client: true });
  UP = certs.issue('upstream.test');
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upH1 = https.createServer({ key: UP.key, cert: UP.cert }, (req, res) => {
    res.end(`h1 tls upstream; sni=${(req.socket as tls.TLSSocket).servername}; xfp=${req.headers['x-forwarded-proto']}`);
  });
  upH2 = http2.createSecureServer({ key: UP.key, cert: UP.cert, ALPNProtocols: ['h2'] }, (req, res) => {
    res.end(`h2 tls upstream; alpn=${(req.socket as tls.TLSSocket).alpnProtocol}`);
  });
  await new Promise<void>((r) => upH1.listen(ports.upH1, '127.0.0.1', () => r()));
  await new Promise<void>((r) => upH2.listen(ports.upH2, '127.0.0.1', () => r()));
  nuncio = await startNuncio(['--config-yaml', config(), '--concurrency', '2'], ports.admin, { env: { NUNCIO_TEST_KEY: B.key } });
});

after(async () => {
  const code = await nuncio?.stop();
  upH1?.closeAllConnections();
  upH1?.close();
  upH2?.close();
  certs?.cleanup();
  assert.equal(code, 0, nuncio?.output());
});

function handshake(port: number, opts: tls.ConnectionOptions): Promise<{ cn: string; alpn: string | false; sock: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca: certs.ca.cert, ...opts }, () => {
      const cn = String(sock.getPeerCertificate().subject?.CN ?? '');
      resolve({ cn, alpn: sock.alpnProtocol ?? false, sock });
    });
    sock.on('error', reject);
  });
}

function httpsGet(port: number, p: string, opts: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: p, ca: certs.ca.cert, agent: false, ...opts }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('SNI picks the filter chain and its certificate; ALPN offers what the chain configures', async () => {
  const a = await handshake(ports.multi, { servername: 'a.test', ALPNProtocols: ['h2', 'http/1.1'] });
  assert.equal(a.cn, 'a.test');
  assert.equal(a.alpn, 'h2');
  a.sock.destroy();
  const b = await handshake(ports.multi, { servername: 'b.test', ALPNProtocols: ['h2', 'http/1.1'] });
  assert.equal(b.cn, 'b.test');
  assert.equal(b.alpn, 'http/1.1', 'no alpn_protocols on this chain: the client falls back to HTTP/1.1');
  b.sock.destroy();
});

test('HTTPS through both chains, HTTP/1.1 and HTTP/2, to a TLS upstream validated against the CA', async () => {
  const r = await httpsGet(ports.multi, '/x', { servername: 'a.test' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'h1 tls upstream; sni=upstream.test; xfp=https');
  const r2 = await httpsGet(ports.multi, '/x', { servername: 'b.test' });
  assert.equal(r2.status, 200);
  const s = http2.connect(`https://127.0.0.1:${ports.multi}`, { ca: certs.ca.cert, servername: 'a.test' });
  const body = await new Promise<string>((resolve, reject) => {
    const req = s.request({ ':path': '/h2up' });
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => resolve(b));
    req.on('error', reject);
    req.end();
  });
  s.close();
  assert.equal(body, 'h2 tls upstream; alpn=h2');
});

test('TLS on the uWebSockets.js engine with certificate and key from files', async () => {
  const r = await httpsGet(ports.uws, '/x', { servername: 'a.test' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'h1 tls upstream; sni=upstream.test; xfp=https');
});

test('inline_bytes certificate and environment_variable key', async () => {
  const r = await httpsGet(ports.bytes, '/x', { servername: 'b.test' });
  assert.equal(r.status, 200);
});

test('require_client_certificate: refused without a certificate, served with one from the trusted CA', async () => {
  await assert.rejects(httpsGet(ports.mtls, '/x', { servername: 'a.test' }), /socket hang up|ECONNRESET|certificate/);
  const other = new CertFactory();
  const stranger = other.issue('stranger', { client: true });
  await assert.rejects(httpsGet(ports.mtls, '/x', { servername: 'a.test', key: stranger.key, cert: stranger.cert }), /socket hang up|ECONNRESET|certificate|alert/);
  other.cleanup();
  const r = await httpsGet(ports.mtls, '/x', { servername: 'a.test', key: C.key, cert: C.cert });
  assert.equal(r.status, 200);
});

test('start-up validation: each broken TLS material is refused with the listener, field and problem', async () => {
  const expired = certs.issue('old.test', { start: '20200101000000Z', end: '20210101000000Z' });
  const future = certs.issue('new.test', { start: '20900101000000Z', end: '20910101000000Z' });
  const missing = path.join(certs.dir, 'does-not-exist.pem');
  const garbage = '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n';
  const cases: [string, string, RegExp][] = [
    [inline(A.cert), inline(B.key), /tls_certificates\[0\]\.private_key: private key does not match the certificate/],
    [inline(garbage), inline(A.key), /tls_certificates\[0\]\.certificate_chain: cannot parse the certificate/],
    [inline(A.cert), inline('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), /tls_certificates\[0\]\.private_key: cannot parse the private key/],
    [inline(expired.cert), inline(expired.key), /certificate has expired/],
    [inline(future.cert), inline(future.key), /certificate is not valid yet/],
    [JSON.stringify({ filename: missing }), inline(A.key), /certificate_chain: cannot read ".*does-not-exist\.pem": ENOENT/],
  ];
  for (const [cert, key, re] of cases) {
    const port = await freePort();
    const yaml = `
static_resources:
  listeners:
  - name: bad_tls
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:${hcm('bad', 'AUTO', 'c')}${tlsCtx(cert, key)}
  clusters:
  - name: c
    load_assignment: { cluster_name: c, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }
  - name: up_tls_h2
    load_assignment: { cluster_name: c, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }
`;
    for (const mode of ['validate', 'serve']) {
      const r = await runNuncio(['--config-yaml', yaml, '--mode', mode]);
      assert.equal(r.code, 1, `${mode}: ${re}`);
      assert.match(r.err, /listener 'bad_tls' \(127\.0\.0\.1:\d+\)/);
      assert.match(r.err, re);
    }
  }
  assert.ok(fs.existsSync(certs.dir));
});
