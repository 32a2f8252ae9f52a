// Access logs: Envoy's default format and a json_format, written by both workers to one file without
// interleaving, flushed on graceful shutdown; response flags; the admin access log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { startNuncio } from '../helpers/nuncio.js';
import { freePort, get } from '../helpers/net.js';
import { hcmListener } from '../helpers/config.js';

test('default and JSON access logs from both workers, complete after SIGTERM', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-al-'));
  const textLog = path.join(dir, 'access.log');
  const jsonLog = path.join(dir, 'access.json');
  const adminLog = path.join(dir, 'admin.log');
  const ports = { l: await freePort(), admin: await freePort(), up: await freePort(), dead: await freePort() };
  const up = http.createServer((req, res) => res.end('ok'));
  await new Promise<void>((r) => up.listen(ports.up, '127.0.0.1', () => r()));
  const cfg = `
static_resources:
  listeners:
${hcmListener('l', ports.l)}
          stat_prefix: l
          access_log:
          - name: envoy.access_loggers.file
            typed_config: { "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog, path: ${textLog} }
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: ${jsonLog}
              log_format:
                json_format: { code: "%RESPONSE_CODE%", flags: "%RESPONSE_FLAGS%", path: "%REQ(:PATH)%", upstream: "%UPSTREAM_HOST%", n: "%REQ(X-N)%" }
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/ok" }
                route: { cluster: up }
              - match: { prefix: "/dead" }
                route: { cluster: dead }
          http_filters: [{ name: envoy.filters.http.router }]
  clusters:
  - name: up
    type: STATIC
    load_assignment: { cluster_name: up, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.up} } } } }] }] }
  - name: dead
    type: STATIC
    load_assignment: { cluster_name: dead, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.dead} } } } }] }] }
admin:
  access_log_path: ${adminLog}
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  const n = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], ports.admin);
  const N = 300;
  const results = await Promise.all(
    Array.from({ length: N }, (_, i) => get(`http://127.0.0.1:${ports.l}/ok/${i}`, { headers: { 'x-n': String(i), 'user-agent': `agent-${i}` } })),
  );
  assert.ok(results.every((r) => r.status === 200));
  const nr = await get(`http://127.0.0.1:${ports.l}/nothing`);
  assert.equal(nr.status, 404);
  const uf = await get(`http://127.0.0.1:${ports.l}/dead`);
  assert.equal(uf.status, 503);
  await get(`http://127.0.0.1:${ports.admin}/ready`);
  // Stop right away: buffered lines must be flushed on the way out.
  assert.equal(await n.stop(), 0, n.output());
  up.close();

  const text = fs.readFileSync(textLog, 'utf8').split('\n').filter((l) => l !== '');
  assert.equal(text.length, N + 2);
  const re = /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] "GET (\/\S*) HTTP\/1\.1" (\d{3}) (\S+) 0 (\d+) \d+ (\S+) "-" "([^"]*)" "[0-9a-f-]{36}" "127\.0\.0\.1:\d+" "([^"]*)"$/;
  const seen = new Set<string>();
  for (const line of text) {
    const m = re.exec(line);
    assert.ok(m, `not Envoy's default format: ${line}`);
    seen.add(m[1]);
    if (m[1].startsWith('/ok/')) {
      assert.equal(m[2], '200');
      assert.equal(m[3], '-');
      assert.equal(m[6], `agent-${m[1].slice(4)}`);
      assert.equal(m[7], `127.0.0.1:${ports.up}`);
    }
  }
  assert.equal(seen.size, N + 2);
  assert.ok(text.some((l) => l.includes('"GET /nothing HTTP/1.1" 404 NR ')));
  assert.ok(text.some((l) => l.includes('"GET /dead HTTP/1.1" 503 UF ')));

  const json = fs.readFileSync(jsonLog, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  assert.equal(json.length, N + 2);
  assert.deepEqual(new Set(json.filter((j) => j.path.startsWith('/ok/')).map((j) => j.n)), new Set(Array.from({ length: N }, (_, i) => String(i))));
  assert.ok(json.some((j) => j.code === 503 || j.code === '503'));
  assert.match(fs.readFileSync(adminLog, 'utf8'), /"GET \/ready HTTP\/1\.1" 200 /);
  fs.rmSync(dir, { recursive: true, force: true });
});
