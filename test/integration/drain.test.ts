// Graceful drain as clients see it, against a running nuncio: POST /drain_listeners as Envoy does it
// (listeners stop accepting, in-flight requests finish, the process and its admin stay up; ?graceful
// keeps accepting for --drain-time-s while responses end keep-alive, ?skip_exit never stops; stopped
// listeners stay stopped across a reload and a replaced worker), SIGTERM (new connections refused,
// HTTP/2 sessions get GOAWAY and their open streams complete, HTTP/1.1 keep-alive responses in flight
// carry `connection: close`), and --drain-time-s running out under a request that outlasts it (exit 0,
// the request is ended rather than left hanging).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNuncio } from '../helpers/nuncio.js';
import { freePort, get, sleep, until } from '../helpers/net.js';
import { stat } from '../helpers/admin.js';
import { agentGet, h2Exchange, refused, routedListener, settle, slowUpstream, staticCluster, twoListeners } from '../helpers/lifecycle.js';

async function ports(): Promise<{ uws: number; auto: number; admin: number; up: number }> {
  return { uws: await freePort(), auto: await freePort(), admin: await freePort(), up: await freePort() };
}

test('POST /drain_listeners: listeners stop accepting, in-flight requests finish, the process and its admin keep running', async () => {
  const p = await ports();
  const up = await slowUpstream(p.up);
  const n = await startNuncio(['--config-yaml', twoListeners(p), '--concurrency', '2', '--drain-time-s', '20'], p.admin);
  try {
    const inflight = [get(`http://127.0.0.1:${p.uws}/a?ms=1500`), get(`http://127.0.0.1:${p.auto}/b?ms=1500`)];
    const h2 = h2Exchange(p.auto, '/c?ms=1500');
    await until(() => up.received() === 3);

    const r = await get(`http://127.0.0.1:${p.admin}/drain_listeners`, { method: 'POST' });
    assert.deepEqual([r.status, r.body], [200, 'OK\n']);
    // Both engines close their listening sockets: a new connection is refused, not left in a backlog.
    await until(async () => (await refused(p.uws)) && (await refused(p.auto)));

    assert.deepEqual(
      (await Promise.all(inflight)).map((x) => [x.status, x.body]),
      [
        [200, 'up /a?ms=1500'],
        [200, 'up /b?ms=1500'],
      ],
    );
    assert.deepEqual(await h2.result, { status: 200, body: 'up /c?ms=1500' });
    assert.equal(await h2.goaway, 0, 'the HTTP/2 session was drained with GOAWAY NO_ERROR');

    // Envoy stops the listeners and nothing else: once every drained connection is gone the process
    // is still up, its admin answers, and the listeners stay closed.
    await until(async () => (await stat(p.admin, 'http.auto.downstream_cx_active')) === 0);
    for (let i = 0; i < 5; i++) {
      const s = await get(`http://127.0.0.1:${p.admin}/stats?filter=^http\\.auto\\.downstream_rq_2xx$`);
      assert.equal(s.status, 200);
      assert.match(s.body, /http\.auto\.downstream_rq_2xx: 2/);
      assert.equal(n.proc.exitCode, null, n.output());
      await sleep(100);
    }
    assert.equal(await refused(p.auto), true);
    assert.equal(await refused(p.uws), true);
    // A second drain is harmless.
    assert.equal((await get(`http://127.0.0.1:${p.admin}/drain_listeners`, { method: 'POST' })).status, 200);
    assert.equal((await get(`http://127.0.0.1:${p.admin}/server_info`)).status, 200);
    // Envoy's server state turns DRAINING only when health checks are failed: /ready stays LIVE.
    const ready = await get(`http://127.0.0.1:${p.admin}/ready`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body, 'LIVE\n');
    assert.equal(JSON.parse((await get(`http://127.0.0.1:${p.admin}/server_info`)).body).state, 'LIVE');
  } finally {
    assert.equal(await n.stop(), 0, n.output());
    up.close();
  }
});

test('POST /drain_listeners?graceful&skip_exit: listeners keep accepting and every HTTP/1.1 response ends its connection; a plain drain then stops them', async () => {
  const p = await ports();
  const up = await slowUpstream(p.up);
  const n = await startNuncio(['--config-yaml', twoListeners(p), '--concurrency', '2', '--drain-time-s', '1'], p.admin);
  const agents = [p.uws, p.auto].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    assert.equal((await get(`http://127.0.0.1:${p.admin}/drain_listeners?graceful&skip_exit`, { method: 'POST' })).body, 'OK\n');
    // Longer than --drain-time-s: skip_exit means the listeners are never stopped by the drain.
    await sleep(1500);
    for (let round = 0; round < 2; round++) {
      for (const [i, port] of [p.uws, p.auto].entries()) {
        const r = await agentGet(`http://127.0.0.1:${port}/g${round}`, agents[i]);
        assert.deepEqual([r.status, r.body], [200, `up /g${round}`]);
        assert.equal(r.headers.connection, 'close', `port ${port}: a draining proxy discourages keep-alive`);
        assert.equal(r.reused, false, 'each request needed a new connection');
      }
    }
    // HTTP/2 on the AUTO listener: the response comes, and with it GOAWAY (NO_ERROR) for the session.
    const drainCloses = await stat(p.admin, 'http.auto.downstream_cx_drain_close');
    const h2 = h2Exchange(p.auto, '/g-h2');
    assert.deepEqual(await h2.result, { status: 200, body: 'up /g-h2' });
    assert.equal(await h2.goaway, 0);
    assert.equal(await stat(p.admin, 'http.auto.downstream_cx_drain_close'), drainCloses + 1);
    assert.equal(n.proc.exitCode, null);
    assert.equal((await get(`http://127.0.0.1:${p.admin}/drain_listeners`, { method: 'POST' })).status, 200);
    await until(async () => (await refused(p.uws)) && (await refused(p.auto)));
    assert.equal((await get(`http://127.0.0.1:${p.admin}/server_info`)).status, 200);
  } finally {
    for (const a of agents) a.destroy();
    assert.equal(await n.stop(), 0, n.output());
    up.close();
  }
});

test('POST /drain_listeners?graceful: the listeners stop once --drain-time-s is over; the process keeps running', async () => {
  const p = await ports();
  const up = await slowUpstream(p.up);
  const n = await startNuncio(['--config-yaml', twoListeners(p), '--concurrency', '2', '--drain-time-s', '1'], p.admin);
  try {
    const slow = get(`http://127.0.0.1:${p.auto}/slow?ms=1500`);
    await until(() => up.received() === 1);
    assert.equal((await get(`http://127.0.0.1:${p.admin}/drain_listeners?graceful`, { method: 'POST' })).body, 'OK\n');
    await until(async () => (await refused(p.uws)) && (await refused(p.auto)));
    assert.deepEqual([(await slow).status, (await slow).body], [200, 'up /slow?ms=1500']);
    assert.equal(n.proc.exitCode, null);
    assert.equal((await get(`http://127.0.0.1:${p.admin}/server_info`)).status, 200);
  } finally {
    assert.equal(await n.stop(), 0, n.output());
    up.close();
  }
});

test('after POST /drain_listeners, a reload that adds a listener and a replaced worker open no listener; the reload still applies', async () => {
  const p = { ...(await ports()), added: await freePort() };
  const up = await slowUpstream(p.up);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-drain-'));
  const file = path.join(dir, 'nuncio.yaml');
  // AUTO only: a worker that dies holding uWebSockets.js state takes the process down (README).
  const auto = (port: number, name: string) => routedListener(name, port, 'AUTO', '[{ match: { prefix: "/" }, route: { cluster: up } }]');
  const cfg = (extra: string) => `
static_resources:
  listeners:${auto(p.auto, 'auto')}${extra}
  clusters:${staticCluster('up', p.up)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${p.admin} } }
`;
  fs.writeFileSync(file, cfg(''));
  const n = await startNuncio(['-c', file, '--concurrency', '2'], p.admin, { env: { NUNCIO_TEST_HOOKS: '1' } });
  try {
    assert.equal((await get(`http://127.0.0.1:${p.auto}/`)).status, 200);
    assert.equal((await get(`http://127.0.0.1:${p.admin}/drain_listeners`, { method: 'POST' })).status, 200);
    await until(() => refused(p.auto));
    fs.writeFileSync(file, cfg(auto(p.added, 'added')));
    n.proc.kill('SIGHUP');
    await until(async () => (await stat(p.admin, 'nuncio.config_reload_success')) === 1);
    assert.equal(await stat(p.admin, 'listener_manager.listener_added'), 2, 'the reload went through');
    await get(`http://127.0.0.1:${p.admin}/debug/crash_worker?worker=0`, { method: 'POST' });
    await until(async () => (await stat(p.admin, 'nuncio.worker_restarts')) === 1);
    // Nothing shows when the replacement has its config: check a few times while it gets there.
    for (let i = 0; i < 10; i++) {
      assert.equal(await refused(p.auto), true);
      assert.equal(await refused(p.added), true);
      await sleep(100);
    }
    assert.equal(n.proc.exitCode, null);
  } finally {
    assert.equal(await n.stop(), 0, n.output());
    up.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM: new connections are refused, an HTTP/2 session gets GOAWAY and its open stream completes, HTTP/1.1 keep-alive responses in flight say connection: close', async () => {
  const p = await ports();
  const up = await slowUpstream(p.up);
  const n = await startNuncio(['--config-yaml', twoListeners(p), '--concurrency', '2', '--drain-time-s', '20'], p.admin);
  const agents = [p.uws, p.auto].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  let exit: Promise<number | null> | null = null;
  try {
    // One keep-alive connection per engine, idle between two requests, then a slow request on it.
    const warm = await Promise.all([p.uws, p.auto].map((port, i) => agentGet(`http://127.0.0.1:${port}/warm`, agents[i])));
    for (const w of warm) assert.notEqual(w.headers.connection, 'close');
    const inflight = [p.uws, p.auto].map((port, i) => agentGet(`http://127.0.0.1:${port}/slow${i}?ms=3000`, agents[i]));
    const h2 = h2Exchange(p.auto, '/h2?ms=3000');
    await until(() => up.received() === 5);

    let settled = 0;
    for (const r of [...inflight, h2.result]) void r.finally(() => settled++);
    exit = n.stop('SIGTERM');
    const code = await h2.goaway;
    assert.equal(code, 0, 'GOAWAY NO_ERROR');
    // While the drain waits for them, new connections are refused on both engines (not queued).
    await until(async () => (await refused(p.uws)) && (await refused(p.auto)));
    assert.equal(settled, 0, 'refused while the in-flight requests were still running');
    assert.equal(n.proc.exitCode, null);
    // After GOAWAY the session takes no new stream.
    assert.throws(() => h2.session.request({ ':path': '/after-goaway' }), /ERR_HTTP2_GOAWAY_SESSION|ERR_HTTP2_INVALID_SESSION/);
    assert.deepEqual(await h2.result, { status: 200, body: 'up /h2?ms=3000' });

    const [onUws, onAuto] = await Promise.all(inflight);
    for (const [r, url] of [
      [onUws, '/slow0?ms=3000'],
      [onAuto, '/slow1?ms=3000'],
    ] as const) {
      assert.equal(r.reused, true, 'the slow request went out on the keep-alive connection');
      assert.deepEqual([r.status, r.body], [200, `up ${url}`]);
      assert.equal(r.headers.connection, 'close', `${url}: the draining proxy ends the keep-alive connection`);
    }
    assert.equal(await exit, 0, n.output());
  } finally {
    for (const a of agents) a.destroy();
    if (exit === null) await n.stop();
    up.close();
  }
});

test('--drain-time-s runs out under a request that outlasts it: nuncio exits and the request is ended, not left hanging', async () => {
  const p = await ports();
  const up = await slowUpstream(p.up);
  const n = await startNuncio(['--config-yaml', twoListeners(p), '--concurrency', '2', '--drain-time-s', '1'], p.admin);
  const idle = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // An idle keep-alive connection on uWS outlives the drain time too (uWS would close it after 10 s).
    assert.equal((await agentGet(`http://127.0.0.1:${p.uws}/idle`, idle)).status, 200);
    // The upstream would answer after a minute: far beyond the drain time.
    const h1 = [settle(get(`http://127.0.0.1:${p.uws}/u?ms=60000`)), settle(get(`http://127.0.0.1:${p.auto}/a?ms=60000`))];
    const h2 = h2Exchange(p.auto, '/h2?ms=60000');
    await until(() => up.received() === 4);
    const code = await n.stop('SIGTERM');
    const [onUws, onAuto] = await Promise.all(h1);
    const onH2 = await h2.result;
    // Exit 0 as for any drain, also with uWS connections left (a worker thread ending with open uWS
    // sockets used to abort the process: SIGABRT).
    assert.equal(code, 0, n.output());
    assert.equal(await h2.goaway, 0);
    // Envoy closes the connections that are left when the drain time is over: no response.
    for (const [what, r] of [
      ['HTTP/1.1 on uWS', onUws],
      ['HTTP/1.1 on the node engine', onAuto],
      ['HTTP/2', onH2],
    ] as const) {
      assert.ok(r instanceof Error, `${what}: ended without a response, got ${JSON.stringify(r)}`);
      assert.doesNotMatch(r.message, /timeout/, `${what}: ended by nuncio, not by the client's own timeout`);
    }
  } finally {
    idle.destroy();
    await n.stop();
    up.close();
  }
});
