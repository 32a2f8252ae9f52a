// A listener port that is already in use refuses start-up on every engine, including the ones that
// listen with SO_REUSEPORT (uWebSockets.js, Bun.serve), where a second nuncio would otherwise share the
// port silently and take part of the connections; a reload of the running config does not trip over
// its own listeners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runNuncio, startNuncio } from '../helpers/nuncio.js';
import { freePort, get, until } from '../helpers/net.js';
import { hcmListener } from '../helpers/config.js';

function config(port: number, admin: number, codec: string, body: string): string {
  return `
static_resources:
  listeners:
${hcmListener('main', port)}
          codec_type: ${codec}
          stat_prefix: main
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: "${body}" } } }] }]
          http_filters: [{ name: envoy.filters.http.router }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } }
`;
}

async function reloads(admin: number): Promise<number> {
  const r = await get(`http://127.0.0.1:${admin}/stats?filter=config_reload_success`);
  return Number(/config_reload_success: (\d+)/.exec(r.body)?.[1] ?? -1);
}

for (const codec of ['HTTP1', 'AUTO']) {
  test(`${codec} listener: a second nuncio on the same port exits 1 naming the listener; the first keeps serving and reloads`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-port-'));
    const port = await freePort();
    const a1 = await freePort();
    const a2 = await freePort();
    const f1 = path.join(dir, 'first.yaml');
    const f2 = path.join(dir, 'second.yaml');
    fs.writeFileSync(f1, config(port, a1, codec, 'first'));
    fs.writeFileSync(f2, config(port, a2, codec, 'second'));
    const first = await startNuncio(['-c', f1, '--concurrency', '2'], a1);
    try {
      const second = await runNuncio(['-c', f2, '--concurrency', '1'], 30_000);
      assert.equal(second.code, 1, second.err);
      assert.match(second.err, new RegExp(`listener 'main': cannot bind 127\\.0\\.0\\.1:${port}: address already in use`));
      // Every connection still reaches the first one.
      for (let i = 0; i < 20; i++) {
        const r = await get(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
        assert.equal(r.body, 'first');
      }
      // Reloading its own config is not "in use".
      const before = await reloads(a1);
      fs.writeFileSync(f1, config(port, a1, codec, 'reloaded'));
      first.proc.kill('SIGHUP');
      await until(async () => (await reloads(a1)) === before + 1, 15_000);
      await until(async () => (await get(`http://127.0.0.1:${port}/`)).body === 'reloaded', 15_000);
      assert.doesNotMatch(first.output(), /config reload (rejected|failed)/);
    } finally {
      assert.equal(await first.stop(), 0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
