// --http1-engine node: codec HTTP1 listeners served by nuncio's own HTTP/1.1 server instead of
// uWebSockets.js, for clients uWS 20.30 cannot take (header names with underscores, HTTP/1.0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startNuncio } from '../helpers/nuncio.js';
import { freePort, raw } from '../helpers/net.js';
import { hcmListener } from '../helpers/config.js';
import { parseArgs } from '../../workers/cli-args.js';

test('--http1-engine parses and rejects unknown engines', () => {
  const r = parseArgs(['-c', 'x', '--http1-engine', 'node']);
  assert.equal(r.kind === 'run' && r.options.http1Engine, 'node');
  const d = parseArgs(['-c', 'x']);
  assert.equal(d.kind === 'run' && d.options.http1Engine, 'uws');
  const bad = parseArgs(['-c', 'x', '--http1-engine', 'fast']);
  assert.equal(bad.kind, 'error');
});

test('an HTTP1 listener on the node engine accepts header names with underscores and HTTP/1.0 (with accept_http_10)', async () => {
  const port = await freePort();
  const admin = await freePort();
  const cfg = `
static_resources:
  listeners:
${hcmListener('l', port)}
          codec_type: HTTP1
          stat_prefix: l
          http_protocol_options: { accept_http_10: true }
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: fine } } }] }]
          http_filters: [{ name: envoy.filters.http.router }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } }
`;
  const n = await startNuncio(['--config-yaml', cfg, '--concurrency', '1', '--http1-engine', 'node'], admin);
  try {
    const a = await raw(port, 'GET / HTTP/1.1\r\nhost: x\r\nx_trace_id: 7\r\nconnection: close\r\n\r\n', 3000);
    assert.match(a, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nfine$/);
    const b = await raw(port, 'GET / HTTP/1.0\r\nhost: x\r\n\r\n', 3000);
    assert.match(b, /^HTTP\/1\.1 200 OK\r\n[\s\S]*fine$/);
  } finally {
    assert.equal(await n.stop(), 0, n.output());
  }
});
