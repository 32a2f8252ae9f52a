// Running nuncio on the other runtime: findRuntime's search, `nuncio --runtime bun` and `nuncio-bun`
// from Node.js (the same arguments under Bun, signals passed on, its exit code ours), `--runtime node`
// from Bun, and a clear error when there is no Bun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findRuntime } from '../../../workers/runtime/launch.js';
import { bunBinary, CLI, ROOT } from '../../helpers/nuncio.js';
import { freePort, get, until } from '../../helpers/net.js';

const BUN_ENTRY = path.join(ROOT, 'dist/workers/cli-bun.js');

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

test('findRuntime: $NUNCIO_BUN, then the npm package bun, then PATH; null with the places it looked', () => {
  const b = findRuntime('bun', { PATH: '' });
  assert.ok(b.path !== null && b.path.includes(`${path.sep}node_modules${path.sep}bun${path.sep}`), String(b.path));
  const missing = findRuntime('bun', { NUNCIO_BUN: '/nonexistent/bun', PATH: '' });
  assert.equal(missing.path, null);
  assert.deepEqual(missing.tried, ['$NUNCIO_BUN (/nonexistent/bun)']);
  const node = findRuntime('node', { PATH: `/nonexistent${path.delimiter}${path.dirname(process.execPath)}` });
  assert.equal(node.path, path.join(path.dirname(process.execPath), 'node'));
  assert.equal(findRuntime('node', { PATH: '/nonexistent' }).path, null);
});

test('--runtime bun and nuncio-bun from Node.js, --runtime node from Bun: the other runtime runs the CLI', async () => {
  const viaFlag = await run(process.execPath, [CLI, '--runtime', 'bun', '--version']);
  assert.equal(viaFlag.code, 0);
  assert.match(viaFlag.out, /nuncio {2}version: \S+\/RELEASE\/Bun-1\.\d+\.\d+/);
  const viaLauncher = await run(process.execPath, [BUN_ENTRY, '--version']);
  assert.match(viaLauncher.out, /\/RELEASE\/Bun-1\.\d+\.\d+/);
  const underBun = await run(bunBinary(), [CLI, '--version']);
  assert.match(underBun.out, /\/RELEASE\/Bun-1\.\d+\.\d+/);
  const backToNode = await run(bunBinary(), [CLI, '--runtime', 'node', '--version']);
  assert.match(backToNode.out, new RegExp(`/RELEASE/Node-${process.versions.node.replace(/\./g, '\\.')}`));
  // Errors come from the runtime that runs the CLI, with the same wording.
  const bad = await run(process.execPath, [CLI, '--runtime', 'bun', '--mode', 'nope', '-c', 'x.yaml']);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /nuncio: --mode: expected serve, validate or init_only, got "nope"/);
});

test('no Bun to be found: exit 1 with where nuncio looked', async () => {
  const r = await run(process.execPath, [CLI, '--runtime', 'bun', '--version'], { NUNCIO_BUN: '/nonexistent/bun' });
  assert.equal(r.code, 1);
  assert.match(r.out, /nuncio: --runtime bun: no bun binary found; looked in \$NUNCIO_BUN \(\/nonexistent\/bun\)/);
});

test('nuncio-bun serves under Bun; SIGTERM to the launcher drains the Bun process and its exit code comes back', async () => {
  const admin = await freePort();
  const port = await freePort();
  const cfg = `
static_resources:
  listeners:
  - name: l
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: l
          route_config: { virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: hi } } }] }] }
          http_filters: [{ name: envoy.filters.http.router }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } }
`;
  const p = spawn(process.execPath, [BUN_ENTRY, '--config-yaml', cfg, '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stderr.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  try {
    await until(async () => (await get(`http://127.0.0.1:${admin}/ready`)).status === 200, 20_000);
    assert.match(out, /is live \(Bun 1\.\d+\.\d+\)/);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).body, 'hi');
    p.kill('SIGTERM');
    assert.equal(await exit, 0);
    assert.match(out, /caught SIGTERM/);
    // The Bun process is gone with it.
    await assert.rejects(get(`http://127.0.0.1:${admin}/ready`));
  } finally {
    p.kill('SIGKILL');
  }
});
