// Hot reload and worker replacement against a running nuncio: a SIGHUP that moves a cluster's endpoint,
// adds a cluster with a route to it and removes listeners (new requests go to the new endpoint and
// cluster, a keep-alive connection opened before the reload keeps working, in-flight requests on the
// old cluster and on the removed listeners finish, and shutdown closes what the removed uWS listener
// still holds); a crashed worker replaced under load with every request counted once in the HCM's
// stats; and the connections a dead worker held no longer count against connection limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNuncio, TEST_RUNTIME } from '../helpers/nuncio.js';
import { freePort, get, until } from '../helpers/net.js';
import { stat, statsMap } from '../helpers/admin.js';
import { agentGet, refused, routedListener, slowUpstream, staticCluster } from '../helpers/lifecycle.js';

const ALL_TO_UP = '[{ match: { prefix: "/" }, route: { cluster: up } }]';
const WITH_EXTRA = '[{ match: { prefix: "/extra" }, route: { cluster: extra } }, { match: { prefix: "/" }, route: { cluster: up } }]';

test('hot reload: a moved endpoint and a new cluster serve new requests, a keep-alive connection from before keeps working, in-flight requests on the old cluster and on removed listeners finish', async () => {
  const p = {
    uws: await freePort(),
    auto: await freePort(),
    goneUws: await freePort(),
    goneAuto: await freePort(),
    admin: await freePort(),
    a: await freePort(),
    b: await freePort(),
    c: await freePort(),
  };
  const [upA, upB, upC] = await Promise.all([slowUpstream(p.a, 'A'), slowUpstream(p.b, 'B'), slowUpstream(p.c, 'C')]);
  const admin = `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${p.admin} } }
`;
  const before = `
static_resources:
  listeners:${routedListener('uws', p.uws, 'HTTP1', ALL_TO_UP)}${routedListener('auto', p.auto, 'AUTO', ALL_TO_UP)}${routedListener('gone_uws', p.goneUws, 'HTTP1', ALL_TO_UP)}${routedListener('gone_auto', p.goneAuto, 'AUTO', ALL_TO_UP)}
  clusters:${staticCluster('up', p.a)}
${admin}`;
  const after = `
static_resources:
  listeners:${routedListener('uws', p.uws, 'HTTP1', WITH_EXTRA)}${routedListener('auto', p.auto, 'AUTO', WITH_EXTRA)}
  clusters:${staticCluster('up', p.b)}${staticCluster('extra', p.c)}
${admin}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-reload-'));
  const file = path.join(dir, 'nuncio.yaml');
  fs.writeFileSync(file, before);
  // A short drain: the removed uWS listener's idle keep-alive connection is closed at its end.
  const n = await startNuncio(['-c', file, '--concurrency', '2', '--drain-time-s', '2'], p.admin);
  const main = { uws: p.uws, auto: p.auto };
  const agents = { uws: new http.Agent({ keepAlive: true, maxSockets: 1 }), auto: new http.Agent({ keepAlive: true, maxSockets: 1 }) };
  // A keep-alive client of a listener the reload removes: its connection must not outlive shutdown.
  const goneAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const k of ['uws', 'auto'] as const) {
      const r = await agentGet(`http://127.0.0.1:${main[k]}/before`, agents[k]);
      assert.deepEqual([r.status, r.body, r.reused], [200, 'A /before', false]);
    }
    assert.equal((await agentGet(`http://127.0.0.1:${p.goneUws}/kept`, goneAgent)).body, 'A /kept');
    assert.equal((await get(`http://127.0.0.1:${p.auto}/extra`)).body, 'A /extra', 'no /extra route yet');
    // In flight across the reload: on the cluster being changed, and on both listeners being removed.
    const inflight = [
      get(`http://127.0.0.1:${p.auto}/old-cluster?ms=2000`),
      get(`http://127.0.0.1:${p.goneUws}/gone-uws?ms=2000`),
      get(`http://127.0.0.1:${p.goneAuto}/gone-auto?ms=2000`),
    ];
    await until(() => upA.received() === 7);

    fs.writeFileSync(file, after);
    n.proc.kill('SIGHUP');
    await until(async () => (await stat(p.admin, 'nuncio.config_reload_success')) === 1);

    // New connections: the moved endpoint and the new cluster, on both engines.
    for (const port of [p.uws, p.auto]) {
      assert.deepEqual([(await get(`http://127.0.0.1:${port}/new`)).body, (await get(`http://127.0.0.1:${port}/extra/1`)).body], ['B /new', 'C /extra/1']);
    }
    // The keep-alive connections opened before the reload carry on, to the moved endpoint.
    for (const k of ['uws', 'auto'] as const) {
      const r = await agentGet(`http://127.0.0.1:${main[k]}/after`, agents[k]);
      assert.deepEqual([r.status, r.body], [200, 'B /after'], k);
      assert.equal(r.reused, true, `${k}: the request went out on the connection opened before the reload`);
      assert.notEqual(r.headers.connection, 'close', k);
    }
    // In-flight requests finish where they started.
    assert.deepEqual(
      (await Promise.all(inflight)).map((r) => [r.status, r.body]),
      [
        [200, 'A /old-cluster?ms=2000'],
        [200, 'A /gone-uws?ms=2000'],
        [200, 'A /gone-auto?ms=2000'],
      ],
    );
    await until(async () => (await refused(p.goneUws)) && (await refused(p.goneAuto)));
    assert.equal(upB.received(), 4);
    assert.equal(upC.received(), 2);
    const s = await statsMap(p.admin, '^cluster_manager\\.(cluster_added|cluster_modified)$|^listener_manager\\.listener_removed$');
    assert.deepEqual(Object.fromEntries(s), { 'cluster_manager.cluster_added': 2, 'cluster_manager.cluster_modified': 1, 'listener_manager.listener_removed': 2 });
  } finally {
    for (const a of [agents.uws, agents.auto]) a.destroy();
    // Exit 0 with the removed uWS listener's keep-alive connection still open (a worker ending with
    // uWS sockets open aborts the process).
    assert.equal(await n.stop(), 0, n.output());
    goneAgent.destroy();
    for (const u of [upA, upB, upC]) u.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a replaced worker: downstream_rq_total and downstream_rq_2xx count every answered request once, failed requests apart', async () => {
  const p = { auto: await freePort(), admin: await freePort(), up: await freePort() };
  const up = await slowUpstream(p.up);
  // Node-engine listener only: a dying uWebSockets.js worker takes the process down (README).
  const cfg = `
static_resources:
  listeners:${routedListener('auto', p.auto, 'AUTO', ALL_TO_UP)}
  clusters:${staticCluster('up', p.up)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${p.admin} } }
`;
  const n = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], p.admin, { env: { NUNCIO_TEST_HOOKS: '1' } });
  const rqTotal = (w: number) => stat(p.admin, `http.auto.worker_${w}.downstream_rq_total`);
  try {
    let ok = 0;
    let failed = 0;
    let other = 0;
    let stop = false;
    // Four clients, one request per connection, a bounded number each.
    const clients = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 5000 && !stop; i++) {
        try {
          const r = await get(`http://127.0.0.1:${p.auto}/x`);
          if (r.status === 200) ok++;
          else other++;
        } catch {
          failed++;
        }
      }
    });
    await until(() => ok >= 40);
    await get(`http://127.0.0.1:${p.admin}/debug/crash_worker?worker=0`, { method: 'POST' });
    await until(async () => (await stat(p.admin, 'nuncio.worker_restarts')) === 1);
    // The replacement takes traffic again.
    const base = await rqTotal(0);
    await until(async () => (await rqTotal(0)) > base + 20);
    stop = true;
    await Promise.all(clients);
    await until(async () => (await stat(p.admin, 'http.auto.downstream_rq_active')) === 0);

    const s = await statsMap(p.admin, '^http\\.auto\\.(worker_\\d+\\.)?downstream_rq_(total|2xx|completed)$');
    const total = s.get('http.auto.downstream_rq_total')!;
    assert.equal(other, 0, 'no answer other than 200');
    assert.ok(failed <= 4, `${failed} requests failed: at most one in flight per client when the worker died`);
    assert.equal(s.get('http.auto.downstream_rq_2xx'), ok, 'every 200 the clients got is counted once');
    assert.equal(s.get('http.auto.downstream_rq_completed'), ok);
    // A failed request is counted if it reached the dying worker's connection manager, else not.
    assert.ok(total >= ok && total <= ok + failed, `downstream_rq_total ${total}: ${ok} answered + up to ${failed} failed`);
    assert.equal((s.get('http.auto.worker_0.downstream_rq_total') ?? 0) + (s.get('http.auto.worker_1.downstream_rq_total') ?? 0), total);
    assert.ok(up.received() >= ok);
  } finally {
    assert.equal(await n.stop(), 0, n.output());
    up.close();
  }
});

test('a replaced worker gives back the connections it held: connection_limit counts only live connections', { skip: TEST_RUNTIME === 'bun' && 'Bun.serve refuses connection limits' }, async () => {
  const p = { auto: await freePort(), admin: await freePort() };
  const cfg = `
static_resources:
  listeners:${routedListener('auto', p.auto, 'AUTO', '[{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: ok } } }]')}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${p.admin} } }
layered_runtime:
  layers:
  - name: static_layer_0
    static_layer:
      envoy: { resource_limits: { listener: { auto: { connection_limit: 2 } } } }
      overload: { global_downstream_max_connections: 2 }
`;
  const n = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], p.admin, { env: { NUNCIO_TEST_HOOKS: '1' } });
  const held = [0, 1].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const fresh = [0, 1].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    // Both connections the limits allow, held open, wherever they landed.
    for (const a of held) assert.equal((await agentGet(`http://127.0.0.1:${p.auto}/`, a)).reused, false);
    for (const w of [0, 1]) {
      await get(`http://127.0.0.1:${p.admin}/debug/crash_worker?worker=${w}`, { method: 'POST' });
      await until(async () => (await stat(p.admin, 'nuncio.worker_restarts')) === w + 1);
    }
    // Their connections died with the workers: two new ones fit under both limits again.
    for (const a of fresh) {
      const r = await agentGet(`http://127.0.0.1:${p.auto}/`, a);
      assert.deepEqual([r.status, r.body, r.reused], [200, 'ok', false]);
    }
    const s = await statsMap(p.admin, '^listener\\..*downstream_(global_)?cx_overflow$');
    assert.ok(s.size > 0);
    for (const [k, v] of s) assert.equal(v, 0, k);
  } finally {
    for (const a of [...held, ...fresh]) a.destroy();
    assert.equal(await n.stop(), 0, n.output());
  }
});

test('a reload whose settings would move a listener to the other engine is rejected with the reason; the old config keeps serving', { skip: TEST_RUNTIME === 'bun' && 'one engine on Bun' }, async () => {
  const p = { uws: await freePort(), admin: await freePort(), a: await freePort() };
  const up = await slowUpstream(p.a, 'A');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-reload-engine-'));
  const file = path.join(dir, 'nuncio.yaml');
  const cfg = (extra: string) => `
static_resources:
  listeners:${routedListener('uws', p.uws, 'HTTP1', ALL_TO_UP)}${extra}
  clusters:${staticCluster('up', p.a)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${p.admin} } }
`;
  fs.writeFileSync(file, cfg(''));
  const n = await startNuncio(['-c', file, '--concurrency', '1'], p.admin);
  try {
    // request_headers_timeout is something uWS cannot apply: the listener would need the node engine.
    fs.writeFileSync(file, cfg('\n          request_headers_timeout: 5s'));
    const failures = await stat(p.admin, 'nuncio.config_reload_failure');
    n.proc.kill('SIGHUP');
    await until(async () => (await stat(p.admin, 'nuncio.config_reload_failure')) === failures + 1, 15_000);
    assert.match(n.output(), /listener 'uws': the new settings need the node engine, but it is served by the uWebSockets\.js engine; a reload cannot move a listener between engines/);
    const r = await get(`http://127.0.0.1:${p.uws}/still`);
    assert.deepEqual([r.status, r.body], [200, 'A /still']);
  } finally {
    assert.equal(await n.stop(), 0, n.output());
    up.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
