// UpstreamTlsContext as Envoy applies it (trusted_ca from a file, client certificate, SAN matchers,
// tls_params, SNI only when configured), a downstream HTTP1 TLS listener's tls_params and client
// certificate checks (node engine), and the start-up checks of cluster TLS material.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import fs from 'node:fs';
import { CertFactory, type Pair } from '../helpers/certs.js';
import { runNuncio, startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get } from '../helpers/net.js';

let certs: CertFactory;
let other: CertFactory;
let UP: Pair, PROXY_CLIENT: Pair, LISTENER: Pair, GOOD_CLIENT: Pair, BAD_CLIENT: Pair, STRANGER: Pair;
let nuncio: Nuncio;
let up: https.Server;
let up13: https.Server;
const ports = { plain: 0, tls13: 0, mtlsSan: 0, optional: 0, admin: 0, up: 0, up13: 0 };

const UF = /^upstream connect error or disconnect\/reset before headers\. reset reason: /;
// Envoy's transport failure reasons (BoringSSL's packed error code and reason).
const VERIFY_FAILED = /transport failure reason: TLS_error:\|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end$/;
const PROTOCOL_VERSION = /transport failure reason: TLS_error:\|268436526:SSL routines:OPENSSL_internal:TLSV1_ALERT_PROTOCOL_VERSION:TLS_error_end$/;

interface Seen {
  sni: string | false;
  client: string;
  version: string;
}

function upstreamHandler(req: http.IncomingMessage & { socket: tls.TLSSocket }, res: http.ServerResponse): void {
  const s = req.socket;
  const peer = s.getPeerCertificate();
  const seen: Seen = { sni: s.servername ?? false, client: String(peer?.subject?.CN ?? ''), version: s.getProtocol() ?? '' };
  res.end(JSON.stringify(seen));
}

const cluster = (name: string, port: number, tlsCtx: string) => `
  - name: ${name}
    connect_timeout: 2s
    type: STATIC
    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
${tlsCtx}`;

const file = (p: string) => JSON.stringify({ filename: p });

const CLUSTERS = ['dns_no_sni', 'ca_file', 'wrong_ca', 'client_cert', 'san_ok', 'san_bad', 'sni_set', 'max12_to13', 'max13_to13', 'default_to13'];

const hcm = (prefix: string, routes: string) => `
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: HTTP1
          stat_prefix: ${prefix}
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:${routes}
          http_filters: [{ name: envoy.filters.http.router }]`;

const downstreamTls = (extra: string) => `
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificates: [{ certificate_chain: ${file(LISTENER.certPath)}, private_key: ${file(LISTENER.keyPath)} }]
${extra}`;

function config(): string {
  const routes = CLUSTERS.map((c) => `\n              - match: { prefix: "/${c}" }\n                route: { cluster: ${c} }`).join('');
  const toCaFile = `\n              - match: { prefix: "/" }\n                route: { cluster: ca_file }`;
  const ca = `validation_context: { trusted_ca: ${file(certs.ca.certPath)} }`;
  return `
static_resources:
  listeners:
  - name: plain
    address: { socket_address: { address: 127.0.0.1, port_value: ${ports.plain} } }
    filter_chains:
    - filters:${hcm('plain', routes)}
  - name: tls13
    address: { socket_address: { address: 127.0.0.1, port_value: ${ports.tls13} } }
    filter_chains:
    - filters:${hcm('tls13', toCaFile)}${downstreamTls('            tls_params: { tls_minimum_protocol_version: TLSv1_3 }')}
  - name: mtls_san
    address: { socket_address: { address: 127.0.0.1, port_value: ${ports.mtlsSan} } }
    filter_chains:
    - filters:${hcm('mtls_san', toCaFile)}${downstreamTls(`            validation_context:
              trusted_ca: ${file(certs.ca.certPath)}
              match_subject_alt_names: [{ exact: client.good }]`)}
  - name: optional
    address: { socket_address: { address: 127.0.0.1, port_value: ${ports.optional} } }
    filter_chains:
    - filters:${hcm('optional', toCaFile)}${downstreamTls(`            validation_context: { trusted_ca: ${file(certs.ca.certPath)} }`)}
  clusters:${cluster('ca_file', ports.up, `        common_tls_context: { ${ca} }`)}${cluster('dns_no_sni', ports.up, `        common_tls_context: { ${ca} }`).replace(
    'type: STATIC',
    'type: STRICT_DNS\n    dns_lookup_family: V4_ONLY',
  ).replace('address: 127.0.0.1', 'address: localhost')}${cluster(
    'wrong_ca',
    ports.up,
    `        common_tls_context: { validation_context: { trusted_ca: ${file(other.ca.certPath)} } }`,
  )}${cluster(
    'client_cert',
    ports.up,
    `        common_tls_context:
          ${ca}
          tls_certificates: [{ certificate_chain: ${file(PROXY_CLIENT.certPath)}, private_key: ${file(PROXY_CLIENT.keyPath)} }]`,
  )}${cluster(
    'san_ok',
    ports.up,
    `        common_tls_context:
          validation_context:
            trusted_ca: ${file(certs.ca.certPath)}
            match_subject_alt_names: [{ exact: nope.test }, { suffix: .test }]`,
  )}${cluster(
    'san_bad',
    ports.up,
    `        common_tls_context:
          validation_context:
            trusted_ca: ${file(certs.ca.certPath)}
            match_subject_alt_names: [{ exact: other.test }]`,
  )}${cluster('sni_set', ports.up, `        sni: upstream.test\n        common_tls_context: { ${ca} }`)}${cluster(
    'max12_to13',
    ports.up13,
    `        common_tls_context: { ${ca}, tls_params: { tls_maximum_protocol_version: TLSv1_2 } }`,
  )}${cluster('max13_to13', ports.up13, `        common_tls_context: { ${ca}, tls_params: { tls_maximum_protocol_version: TLSv1_3 } }`)}${cluster(
    'default_to13',
    ports.up13,
    `        common_tls_context: { ${ca} }`,
  )}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
}

before(async () => {
  certs = new CertFactory();
  other = new CertFactory();
  UP = certs.issue('upstream.test');
  PROXY_CLIENT = certs.issue('nuncio-client', { client: true });
  LISTENER = certs.issue('listener.test');
  GOOD_CLIENT = certs.issue('client.good', { client: true });
  BAD_CLIENT = certs.issue('client.bad', { client: true });
  STRANGER = other.issue('client.good', { client: true });
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  // Both upstreams ask for a client certificate and accept any (they report what they saw).
  up = https.createServer({ key: UP.key, cert: UP.cert, requestCert: true, rejectUnauthorized: false }, upstreamHandler as never);
  up13 = https.createServer({ key: UP.key, cert: UP.cert, minVersion: 'TLSv1.3' }, upstreamHandler as never);
  await new Promise<void>((r) => up.listen(ports.up, '127.0.0.1', () => r()));
  await new Promise<void>((r) => up13.listen(ports.up13, '127.0.0.1', () => r()));
  nuncio = await startNuncio(['--config-yaml', config(), '--concurrency', '1'], ports.admin);
});

after(async () => {
  const code = await nuncio?.stop();
  for (const s of [up, up13]) {
    s?.closeAllConnections();
    s?.close();
  }
  certs?.cleanup();
  other?.cleanup();
  assert.equal(code, 0, nuncio?.output());
});

async function via(clusterName: string): Promise<{ status: number; body: string; seen: Seen | null }> {
  const r = await get(`http://127.0.0.1:${ports.plain}/${clusterName}`);
  let seen: Seen | null = null;
  if (r.status === 200) seen = JSON.parse(r.body) as Seen;
  return { status: r.status, body: r.body, seen };
}

test('trusted_ca from a file validates the upstream; no SNI is sent when sni is unset; no client certificate unless configured', async () => {
  const r = await via('ca_file');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.seen!.sni, false, 'Envoy sends no SNI without `sni`');
  assert.equal(r.seen!.client, '');
  assert.equal(r.seen!.version, 'TLSv1.2', "Envoy's client default maximum is TLS 1.2");
});

test('a cluster whose endpoint is a host name sends no SNI either, and the certificate is not checked against that name', async () => {
  const r = await via('dns_no_sni');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.seen!.sni, false);
});

test('a CA that did not sign the upstream certificate: 503 with the UF body', async () => {
  const r = await via('wrong_ca');
  assert.equal(r.status, 503);
  assert.match(r.body, UF);
  assert.match(r.body, VERIFY_FAILED);
});

test('the cluster client certificate is presented to the upstream', async () => {
  const r = await via('client_cert');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.seen!.client, 'nuncio-client');
});

test('match_subject_alt_names: a matching SAN passes, none matching fails (503)', async () => {
  const ok = await via('san_ok');
  assert.equal(ok.status, 200, ok.body);
  const bad = await via('san_bad');
  assert.equal(bad.status, 503);
  assert.match(bad.body, UF);
  assert.match(bad.body, VERIFY_FAILED);
});

test('sni is sent when set', async () => {
  const r = await via('sni_set');
  assert.equal(r.status, 200, r.body);
  assert.equal(r.seen!.sni, 'upstream.test');
});

test('tls_params: maximum TLS 1.2 (and the client default) cannot reach an upstream requiring 1.3; maximum 1.3 can', async () => {
  const r12 = await via('max12_to13');
  assert.equal(r12.status, 503);
  assert.match(r12.body, UF);
  assert.match(r12.body, PROTOCOL_VERSION);
  const rdef = await via('default_to13');
  assert.equal(rdef.status, 503);
  const r13 = await via('max13_to13');
  assert.equal(r13.status, 200, r13.body);
  assert.equal(r13.seen!.version, 'TLSv1.3');
});

function handshake(port: number, opts: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: certs.ca.cert, servername: 'listener.test', ...opts }, () => resolve(s));
    s.on('error', reject);
  });
}

function httpsGet(port: number, opts: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/', ca: certs.ca.cert, servername: 'listener.test', agent: false, ...opts }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTP1 TLS listener with tls_minimum_protocol_version TLSv1_3 refuses a TLS 1.2 client and serves a 1.3 one', async () => {
  await assert.rejects(handshake(ports.tls13, { maxVersion: 'TLSv1.2' }), /protocol version|alert|ECONNRESET|socket/i);
  const s = await handshake(ports.tls13, {});
  assert.equal(s.getProtocol(), 'TLSv1.3');
  s.destroy();
  const r = await httpsGet(ports.tls13);
  assert.equal(r.status, 200, r.body);
});

test('client certificate SAN matchers on an HTTP1 TLS listener: matching SAN served; other SAN, unknown CA or no certificate refused', async () => {
  const ok = await httpsGet(ports.mtlsSan, { key: GOOD_CLIENT.key, cert: GOOD_CLIENT.cert });
  assert.equal(ok.status, 200, ok.body);
  await assert.rejects(httpsGet(ports.mtlsSan, { key: BAD_CLIENT.key, cert: BAD_CLIENT.cert }), /socket hang up|ECONNRESET|alert|certificate/);
  await assert.rejects(httpsGet(ports.mtlsSan, { key: STRANGER.key, cert: STRANGER.cert }), /socket hang up|ECONNRESET|alert|certificate/);
  await assert.rejects(httpsGet(ports.mtlsSan), /socket hang up|ECONNRESET|alert|certificate/);
  const stats = await get(`http://127.0.0.1:${ports.admin}/stats?filter=ssl\\.fail_verify`);
  assert.match(stats.body, /listener\.127\.0\.0\.1_\d+\.ssl\.fail_verify_san: [1-9]/);
  assert.match(stats.body, /listener\.127\.0\.0\.1_\d+\.ssl\.fail_verify_no_cert: [1-9]/);
});

test('a validation_context without require_client_certificate: no certificate served, an untrusted one refused', async () => {
  const none = await httpsGet(ports.optional);
  assert.equal(none.status, 200, none.body);
  const trusted = await httpsGet(ports.optional, { key: BAD_CLIENT.key, cert: BAD_CLIENT.cert });
  assert.equal(trusted.status, 200, trusted.body);
  await assert.rejects(httpsGet(ports.optional, { key: STRANGER.key, cert: STRANGER.cert }), /socket hang up|ECONNRESET|alert|certificate/);
});

test('--mode validate and start-up refuse broken cluster TLS material, naming the cluster and field', async () => {
  const missing = path.join(certs.dir, 'no-such-client.pem');
  const notPem = path.join(certs.dir, 'not-a-ca.pem');
  fs.writeFileSync(notPem, 'this is not a certificate\n');
  const cases: [string, RegExp][] = [
    [
      `        common_tls_context: { tls_certificates: [{ certificate_chain: ${file(missing)}, private_key: ${file(PROXY_CLIENT.keyPath)} }] }`,
      /cluster 'bad' transport_socket\.typed_config\.common_tls_context\.tls_certificates\[0\]\.certificate_chain: cannot read ".*no-such-client\.pem": ENOENT/,
    ],
    [
      `        common_tls_context: { validation_context: { trusted_ca: ${file(notPem)} } }`,
      /cluster 'bad' transport_socket\.typed_config\.common_tls_context\.validation_context\.trusted_ca: no PEM certificate/,
    ],
    [
      `        common_tls_context: { tls_certificates: [{ certificate_chain: ${file(PROXY_CLIENT.certPath)}, private_key: ${file(UP.keyPath)} }] }`,
      /cluster 'bad' transport_socket\.typed_config\.common_tls_context\.tls_certificates\[0\]\.private_key: private key does not match the certificate/,
    ],
  ];
  for (const [ctx, re] of cases) {
    const yaml = `
static_resources:
  clusters:${cluster('bad', 1, ctx)}
`;
    for (const mode of ['validate', 'serve']) {
      const r = await runNuncio(['--config-yaml', yaml, '--mode', mode]);
      assert.equal(r.code, 1, `${mode}: ${re}\n${r.err}`);
      assert.match(r.err, re);
    }
  }
});

test('auto_sni is refused by name (nuncio does not implement it)', async () => {
  const yaml = `
static_resources:
  clusters:
  - name: auto
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        upstream_http_protocol_options: { auto_sni: true }
        explicit_http_config: { http_protocol_options: {} }
    load_assignment: { cluster_name: auto, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }
`;
  const r = await runNuncio(['--config-yaml', yaml, '--mode', 'validate']);
  assert.equal(r.code, 1);
  assert.match(r.err, /upstream_http_protocol_options.*not supported/);
});
