// bunListenerMode: how each listener runs on Bun.serve, which ones nuncio on Bun refuses (by name) and
// what it warns about; bunIdleTimeout and bunTlsOptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../core/config/load.js';
import type { Snapshot } from '../../../core/config/types.js';
import { bunIdleTimeout, bunListenerMode, bunTlsOptions, type BunCapabilities } from '../../../workers/engines/bun-support.js';
import type { ChainTls } from '../../../workers/protocol.js';

const WITH_H2: BunCapabilities = { version: '1.4.5', http2: true };
const NO_H2: BunCapabilities = { version: '1.3.0', http2: false };

function chain(codec: string, opts: { tls?: string; serverNames?: string[]; hcmExtra?: string } = {}): string {
  return `
    - ${opts.serverNames ? `filter_chain_match: { server_names: ${JSON.stringify(opts.serverNames)} }\n      ` : ''}filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: ${codec}
          stat_prefix: s${opts.hcmExtra ? `\n          ${opts.hcmExtra}` : ''}
          route_config:
            virtual_hosts: [{ name: v, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200 } }] }]
          http_filters: [{ name: envoy.filters.http.router }]${opts.tls ?? ''}`;
}

const TLS = (extra = ''): string => `
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificates: [{ certificate_chain: { inline_string: "CERT" }, private_key: { inline_string: "KEY" } }]${extra}`;

function listener(chains: string): Snapshot {
  const r = loadConfig(
    [{ name: 'x.yaml', text: `static_resources:\n  listeners:\n  - name: web\n    address: { socket_address: { address: 127.0.0.1, port_value: 8080 } }\n    filter_chains:${chains}\n` }],
    { readFile: () => null, getEnv: () => undefined },
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.snapshot;
}

function verdict(chains: string, caps = WITH_H2, limit = 0, global = 0) {
  return bunListenerMode(listener(chains).listeners[0], caps, limit, global);
}

test('codec HTTP1: HTTP/1.1 only, idle_timeout as Bun idleTimeout (capped at 255 s)', () => {
  const v = verdict(chain('HTTP1', { hcmExtra: 'common_http_protocol_options: { idle_timeout: 30s }' }));
  assert.deepEqual(v.errors, []);
  assert.deepEqual(v.warnings, []);
  assert.deepEqual(v.mode, { http2: false, http1: true, allHttp2: false, idleTimeoutS: 30 });
  // Envoy's default idle_timeout (1 h) is beyond Bun's range.
  assert.equal(verdict(chain('HTTP1')).mode!.idleTimeoutS, 255);
});

test('codec AUTO: HTTP/2 by prior knowledge where Bun has it; HTTP/1.1 with a warning naming the listener where not', () => {
  assert.deepEqual(verdict(chain('AUTO')).mode, { http2: true, http1: true, allHttp2: false, idleTimeoutS: 255 });
  const old = verdict(chain('AUTO'), NO_H2);
  assert.deepEqual(old.errors, []);
  assert.equal(old.mode!.http2, false);
  assert.equal(old.warnings.length, 1);
  assert.match(old.warnings[0], /^listener 'web': codec_type AUTO serves HTTP\/1\.1 only: HTTP\/2 with prior knowledge is not available in Bun\.serve on Bun 1\.3\.0/);
});

test('codec AUTO over TLS: HTTP/2 only when the chain offers h2 by ALPN, as Envoy negotiates', () => {
  assert.equal(verdict(chain('AUTO', { tls: TLS() })).mode!.http2, false);
  const h2 = verdict(chain('AUTO', { tls: TLS('\n            alpn_protocols: [h2, http/1.1]') }));
  assert.equal(h2.mode!.http2, true);
  assert.deepEqual(h2.warnings, []);
  const old = verdict(chain('AUTO', { tls: TLS('\n            alpn_protocols: [h2, http/1.1]') }), NO_H2);
  assert.match(old.warnings[0], /listener 'web'.*ALPN h2 is not available/);
});

test('codec HTTP2: HTTP/2 only where Bun has it; refused by name where not', () => {
  assert.deepEqual(verdict(chain('HTTP2')).mode, { http2: true, http1: false, allHttp2: true, idleTimeoutS: 255 });
  const old = verdict(chain('HTTP2'), NO_H2);
  assert.equal(old.mode, null);
  assert.equal(old.errors.length, 1);
  assert.match(old.errors[0], /^listener 'web': codec_type HTTP2 needs HTTP\/2 in Bun\.serve, which Bun 1\.3\.0 does not offer/);
});

test('connection limits and several filter chains are refused by name', () => {
  const lim = verdict(chain('HTTP1'), WITH_H2, 10, 0);
  assert.equal(lim.mode, null);
  assert.match(lim.errors[0], /^listener 'web': runtime envoy\.resource_limits\.listener\.web\.connection_limit is 10, but Bun\.serve has no per-connection hook/);
  const glob = verdict(chain('HTTP1'), WITH_H2, 0, 5);
  assert.match(glob.errors[0], /^listener 'web': runtime overload\.global_downstream_max_connections is 5/);
  const two = verdict(chain('HTTP1', { serverNames: ['a.example'], tls: TLS() }) + chain('HTTP1', { tls: TLS() }));
  assert.equal(two.mode, null);
  assert.match(two.errors[0], /^listener 'web' has 2 filter chains: Bun\.serve does not tell a request which server name \(SNI\)/);
});

test('require_sni is refused by name; ignore_global_conn_limit exempts a listener from the global limit', () => {
  const sni = verdict(chain('HTTP1', { tls: TLS() + '\n          require_sni: true' }));
  assert.equal(sni.mode, null);
  assert.match(sni.errors[0], /^listener 'web': require_sni: Bun\.serve does not tell nuncio whether a connection sent a server name/);
  const s = listener(chain('HTTP1'));
  const exempt = bunListenerMode({ ...s.listeners[0], ignoreGlobalConnLimit: true }, WITH_H2, 0, 5);
  assert.deepEqual(exempt.errors, []);
  assert.notEqual(exempt.mode, null);
});

test('what Bun cannot apply is a warning naming the listener', () => {
  const v = verdict(
    chain('HTTP1', {
      serverNames: ['a.example'],
      hcmExtra: 'request_headers_timeout: 5s\n          common_http_protocol_options: { max_connection_duration: 60s }',
      tls: TLS('\n            tls_params: { ecdh_curves: [X25519] }'),
    }),
  );
  assert.deepEqual(v.errors, []);
  assert.equal(v.warnings.length, 4);
  for (const w of v.warnings) assert.match(w, /^listener 'web': /);
  assert.match(v.warnings.join('\n'), /request_headers_timeout/);
  assert.match(v.warnings.join('\n'), /max_connection_duration/);
  assert.match(v.warnings.join('\n'), /server_names \["a\.example"\] are not enforced/);
  assert.match(v.warnings.join('\n'), /ecdh_curves/);
});

test('bunIdleTimeout: whole seconds, at least 1, at most 255; none configured means 255', () => {
  assert.equal(bunIdleTimeout(0), 255);
  assert.equal(bunIdleTimeout(1), 1);
  assert.equal(bunIdleTimeout(1500), 2);
  assert.equal(bunIdleTimeout(3_600_000), 255);
});

test('bunTlsOptions: inline PEM, client certificates, ciphers and protocol versions as OpenSSL options', () => {
  const s = listener(
    chain('HTTP1', {
      tls: `
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          require_client_certificate: true
          common_tls_context:
            tls_certificates: [{ certificate_chain: { inline_string: "CERT" }, private_key: { inline_string: "KEY" } }]
            validation_context: { trusted_ca: { inline_string: "CA" } }
            tls_params: { tls_minimum_protocol_version: TLSv1_3, cipher_suites: [ECDHE-RSA-AES128-GCM-SHA256] }`,
    }),
  );
  const t: ChainTls = { certChainPem: 'CERT', privateKeyPem: 'KEY', passphrase: '', caPem: 'CA', certFile: '', keyFile: '', caFile: '', extra: [] };
  const o = bunTlsOptions(t, s.listeners[0].filterChains[0]);
  assert.equal(o.key, 'KEY');
  assert.equal(o.cert, 'CERT');
  assert.equal(o.ca, 'CA');
  assert.equal(o.requestCert, true);
  assert.equal(o.rejectUnauthorized, true);
  assert.equal(o.ciphers, 'ECDHE-RSA-AES128-GCM-SHA256');
  // TLS 1.3 only: SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2.
  assert.equal(o.secureOptions, 0x04000000 | 0x10000000 | 0x08000000);
  // Envoy's defaults (TLS 1.2 to 1.3): no TLS 1.0 / 1.1.
  const d = bunTlsOptions(t, listener(chain('HTTP1', { tls: TLS() })).listeners[0].filterChains[0]);
  assert.equal(d.secureOptions, 0x04000000 | 0x10000000);
  assert.equal(d.requestCert, undefined);
});
