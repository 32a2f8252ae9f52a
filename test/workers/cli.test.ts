// The nuncio command as an operator runs it: --help, --version, --mode validate on good and bad
// configs (errors name the field path), and the seed's published config with damaged TLS material.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, runNuncio } from '../helpers/nuncio.js';

test('--help and --version', async () => {
  const h = await runNuncio(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /--config-path/);
  assert.match(h.out, /--mode <serve\|validate\|init_only>/);
  const v = await runNuncio(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.out, /nuncio {2}version: \d+\.\d+\.\d+\//);
});

test('--mode validate accepts the shipped configs', async () => {
  for (const f of ['config/front-envoy.yaml', 'config/service-envoy.yaml']) {
    const r = await runNuncio(['-c', path.join(ROOT, f), '--mode', 'validate']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /configuration '.*' OK/);
  }
});

test('--mode validate rejects a bad config with every error and its field path', async () => {
  const yaml = `
static_resources:
  clusters:
  - name: a
    lb_polcy: ROUND_ROBIN
    type: STATIC
  - name: a
    connect_timeout: soon
`;
  const r = await runNuncio(['--config-yaml', yaml, '--mode', 'validate']);
  assert.equal(r.code, 1);
  assert.match(r.err, /static_resources\.clusters\[0\]\.lb_polcy: unknown field/);
  assert.match(r.err, /static_resources\.clusters\[1\]\.connect_timeout: invalid duration/);
});

test('the seed article’s published config (damaged key) is refused within seconds, naming the TLS material', async () => {
  const t0 = Date.now();
  const r = await runNuncio(['-c', path.join(ROOT, '../shared/seed/front-envoy.as-published.yaml')]);
  assert.equal(r.code, 1);
  assert.ok(Date.now() - t0 < 10_000);
  assert.match(r.err, /0\.0\.0\.0:8443/);
  assert.match(r.err, /tls_certificates\[0\]\.private_key: private key does not match the certificate \(subject CN=front-envoy\)/);
  const v = await runNuncio(['-c', path.join(ROOT, '../shared/seed/front-envoy.as-published.yaml'), '--mode', 'validate']);
  assert.equal(v.code, 1);
  assert.match(v.err, /private key does not match/);
});

test('unknown flags are an error with usage', async () => {
  const r = await runNuncio(['--frobnicate']);
  assert.equal(r.code, 1);
  assert.match(r.err, /unknown argument: --frobnicate/);
});
