// H2cPool (our HTTP/2 client codec over net/tls sockets) against real peers: node:http2, nginx
// (h2c prior knowledge, started here from a temp config), nuncio's own AUTO listener, and a scripted
// server for the cases real servers do not produce on demand. Many concurrent streams, large bodies
// both ways under small windows, trailers, resets, GOAWAY with streams in flight, push refused,
// the peer's stream limit, the peer's HPACK dynamic table, backpressure, TLS with ALPN.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { H2cPool } from '../../../workers/upstream/h2c-pool.js';
import { TimerWheel } from '../../../workers/runtime/timers.js';
import { SystemClock } from '../../../workers/runtime/clock.js';
import { Host } from '../../../core/cluster/host.js';
import type { ClusterConfig, Http2Options } from '../../../core/config/types.js';
import { ResetReason } from '../../../core/http/contracts.js';
import { CLUSTER } from '../../../core/stats/defs.js';
import { FrameType, H2Error, Setting } from '../../../core/http/h2/constants.js';
import { clusterConfig, makeRuntime, type RuntimeFixture } from '../../core/cluster/fixtures.js';
import { Call, describeCall, nginxBinary, rawServer, startNginx, type CallOptions, type Nginx, type RawPeer } from './h2-peers.js';
import { CertFactory } from '../../helpers/certs.js';
import { startNuncio, type Nuncio } from '../../helpers/nuncio.js';
import { freePort } from '../../helpers/net.js';
import type { UpstreamTlsOptions } from '../../../workers/upstream/connect.js';

const clock = new SystemClock();
const timers = new TimerWheel();
const pools: H2cPool[] = [];

interface PoolFixture {
  pool: H2cPool;
  fx: RuntimeFixture;
  stat(k: number): number;
  call(o: CallOptions): Promise<Call>;
}

function mkPool(port: number, over: Partial<ClusterConfig> = {}, h2: Partial<Http2Options> = {}, tlsOpts: UpstreamTlsOptions | null = null): PoolFixture {
  const base = clusterConfig();
  // Envoy's default stream limit (the fixture's is 100): the pool caps it at 1024 per connection.
  const cfg = clusterConfig({ protocol: 'http2', connectTimeoutMs: 2000, upstreamIdleTimeoutMs: 0, ...over, http2: { ...base.http2, maxConcurrentStreams: 2147483647, ...h2 } });
  const fx = makeRuntime(cfg, (cl, host) => new H2cPool(cl, host, clock, timers, tlsOpts));
  const host = new Host('127.0.0.1', port, 'upstream', 1, 0, 0);
  const pool = fx.rt.pool(host) as H2cPool;
  pools.push(pool);
  return {
    pool,
    fx,
    stat: (k) => fx.stats[k],
    call: (o) => {
      const c = new Call(o);
      pool.newStream(c);
      return c.done;
    },
  };
}

/** The pool's connections (white-box: to look at the codec's state). */
function conns(p: H2cPool): { h2: { decoder: { tableLength: number } }; socket: net.Socket }[] {
  return (p as unknown as { conns: { h2: { decoder: { tableLength: number } }; socket: net.Socket }[] }).conns;
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ENVOY_WINDOWS: Partial<Http2Options> = { initialStreamWindowSize: 268435456, initialConnectionWindowSize: 268435456 };
const SMALL_WINDOWS: Partial<Http2Options> = { initialStreamWindowSize: 65535, initialConnectionWindowSize: 65535 };

after(() => {
  for (const p of pools) p.destroy();
});

// ------------------------------------------------------------------------------------ node:http2

describe('node:http2 server', () => {
  let server: http2.Http2Server;
  let limited: http2.Http2Server;
  let port = 0;
  let limitedPort = 0;
  let lastSettings: http2.Settings | null = null;
  let active = 0;
  let maxActive = 0;

  function handler(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const u = new URL(String(headers[':path']), 'http://x');
    stream.on('error', () => {});
    active++;
    maxActive = Math.max(maxActive, active);
    stream.on('close', () => active--);
    switch (u.pathname) {
      case '/hello':
        stream.respond({ ':status': 200, 'content-type': 'text/plain', 'x-path': u.pathname + u.search, 'x-ua': String(headers['user-agent']) });
        stream.end(`hello ${u.searchParams.get('i') ?? ''}`);
        return;
      case '/echo': {
        const parts: Buffer[] = [];
        stream.on('data', (c: Buffer) => parts.push(c));
        stream.on('end', () => {
          const b = Buffer.concat(parts);
          stream.respond({ ':status': 200, 'x-sha': sha(b), 'content-length': String(b.length) });
          stream.end(b);
        });
        return;
      }
      case '/big': {
        const total = Number(u.searchParams.get('mb')) * 1024 * 1024;
        const chunk = crypto.randomBytes(64 * 1024);
        stream.respond({ ':status': 200, 'content-length': String(total), 'x-sha': sha(Buffer.concat(Array(total / chunk.length).fill(chunk))) });
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            sent += chunk.length;
            if (!stream.write(chunk)) return void stream.once('drain', pump);
          }
          stream.end();
        };
        pump();
        return;
      }
      case '/trailers':
        stream.respond({ ':status': 200 }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'c0ffee', 'grpc-status': '0' }));
        stream.end('body before trailers');
        return;
      case '/informational':
        stream.additionalHeaders({ ':status': 103, link: '</style.css>; rel=preload' });
        stream.respond({ ':status': 200 });
        stream.end('final');
        return;
      case '/rst':
        stream.respond({ ':status': 200 });
        // close(code) would end the stream gracefully once data is written; destroy(err) sends RST_STREAM.
        stream.write(Buffer.alloc(1000, 1), () => setTimeout(() => stream.destroy(new Error('mid-body failure')), 20));
        return;
      case '/refuse':
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      case '/push':
        stream.respond({ ':status': 200, 'x-push-allowed': String(stream.pushAllowed) });
        try {
          stream.pushStream({ ':path': '/pushed' }, () => {});
          stream.end('pushed');
        } catch (e) {
          stream.end(`push refused: ${(e as NodeJS.ErrnoException).code}`);
        }
        return;
      case '/slow':
        setTimeout(() => {
          if (stream.destroyed) return;
          stream.respond({ ':status': 200 });
          stream.end('slow');
        }, Number(u.searchParams.get('ms') ?? 50));
        return;
    }
    stream.respond({ ':status': 404 });
    stream.end();
  }

  before(async () => {
    server = http2.createServer();
    server.on('stream', handler);
    server.on('session', (s) => s.on('remoteSettings', (st) => (lastSettings = st)));
    limited = http2.createServer({ settings: { maxConcurrentStreams: 3 } });
    limited.on('stream', handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => limited.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
    limitedPort = (limited.address() as net.AddressInfo).port;
  });

  after(async () => {
    for (const p of pools) p.destroy();
    await new Promise((r) => server.close(r));
    await new Promise((r) => limited.close(r));
  });

  test('our SETTINGS reach the server; a GET comes back whole', async () => {
    const p = mkPool(port, {}, { initialStreamWindowSize: 1 << 20 });
    const c = await p.call({ path: '/hello?i=1', headers: ['user-agent', 'nuncio-test', 'x-a', 'b'] });
    assert.equal(describeCall(c), '200 7 bytes');
    assert.equal(c.text, 'hello 1');
    assert.equal(c.header('x-path'), '/hello?i=1');
    assert.equal(c.header('x-ua'), 'nuncio-test');
    assert.equal(c.header('content-type'), 'text/plain');
    assert.equal(lastSettings?.enablePush, false);
    assert.equal(lastSettings?.initialWindowSize, 1 << 20);
    assert.equal(lastSettings?.maxHeaderListSize, 65536);
    assert.equal(p.stat(CLUSTER.upstream_cx_http2_total), 1);
  });

  test('300 concurrent streams on one connection', async () => {
    const p = mkPool(port);
    const calls = await Promise.all(Array.from({ length: 300 }, (_, i) => p.call({ path: `/hello?i=${i}` })));
    calls.forEach((c, i) => assert.equal(c.text, `hello ${i}`, describeCall(c)));
    assert.equal(p.stat(CLUSTER.upstream_cx_total), 1);
    assert.equal(p.stat(CLUSTER.upstream_rq_total), 300);
    assert.equal(p.stat(CLUSTER.upstream_rq_active), 0);
  });

  for (const [name, windows] of [
    ['64 KiB windows', SMALL_WINDOWS],
    ["Envoy's 256 MiB windows", ENVOY_WINDOWS],
  ] as const) {
    test(`large bodies both ways (${name})`, async () => {
      const p = mkPool(port, {}, windows);
      const body = crypto.randomBytes(6 * 1024 * 1024 + 5);
      const [up, down, streamed] = await Promise.all([
        p.call({ path: '/echo', body }),
        p.call({ path: '/big?mb=12' }),
        p.call({ path: '/echo', body: body.subarray(0, 300000), streamed: true }),
      ]);
      assert.equal(describeCall(up), `200 ${body.length} bytes`);
      assert.equal(up.header('x-sha'), sha(body));
      assert.equal(sha(Buffer.concat(up.chunks)), sha(body));
      assert.ok(up.falseWrites > 0 && up.writableCalls > 0, 'write() pushed back and onUpstreamWritable resumed it');
      assert.equal(describeCall(down), `200 ${12 * 1024 * 1024} bytes`);
      assert.equal(sha(Buffer.concat(down.chunks)), down.header('x-sha'));
      assert.equal(streamed.header('x-sha'), sha(body.subarray(0, 300000)));
    });
  }

  test('trailers', async () => {
    const p = mkPool(port);
    const c = await p.call({ path: '/trailers' });
    assert.equal(c.text, 'body before trailers');
    assert.deepEqual(c.trailers, ['x-checksum', 'c0ffee', 'grpc-status', '0']);
  });

  test('1xx informational headers are skipped', async () => {
    const p = mkPool(port);
    const c = await p.call({ path: '/informational' });
    assert.equal(describeCall(c), '200 5 bytes');
  });

  test('RST_STREAM mid-body is a remote reset; the connection carries on', async () => {
    const p = mkPool(port);
    const c = await p.call({ path: '/rst' });
    assert.equal(c.status, 200);
    assert.equal(c.error, ResetReason.RemoteReset);
    assert.equal(c.received, 1000);
    const refused = await p.call({ path: '/refuse' });
    assert.equal(refused.error, ResetReason.RemoteRefusedStream);
    assert.equal((await p.call({ path: '/hello' })).status, 200);
    assert.equal(p.stat(CLUSTER.upstream_cx_total), 1);
  });

  test('server push is refused by SETTINGS_ENABLE_PUSH=0', async () => {
    const p = mkPool(port);
    const c = await p.call({ path: '/push' });
    assert.equal(c.header('x-push-allowed'), 'false');
    assert.equal(c.text, 'push refused: ERR_HTTP2_PUSH_DISABLED');
  });

  test('the peer MAX_CONCURRENT_STREAMS is respected: requests wait for a free stream', async () => {
    maxActive = 0;
    const limits = { maxConnections: 1, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, retryBudget: null };
    const p = mkPool(limitedPort, { circuitBreakers: { default: limits, high: limits } });
    const calls = await Promise.all(Array.from({ length: 15 }, () => p.call({ path: '/slow?ms=30' })));
    for (const c of calls) assert.equal(describeCall(c), '200 4 bytes');
    assert.ok(maxActive <= 3, `the server saw ${maxActive} streams at once`);
    assert.equal(p.stat(CLUSTER.upstream_cx_total), 1);
    assert.ok(p.stat(CLUSTER.upstream_rq_pending_total) >= 12);
  });

  test('pauseResponse holds the body; resumeResponse delivers the rest in order', async () => {
    const p = mkPool(port, {}, SMALL_WINDOWS);
    let paused = false;
    const c = new Call({ path: '/big?mb=4' });
    let atPause = 0;
    c.onChunk = (x) => {
      if (!paused) {
        paused = true;
        x.stream!.pauseResponse();
        atPause = x.received;
        setTimeout(() => {
          assert.equal(x.received, atPause, 'nothing delivered while paused');
          x.stream!.resumeResponse();
        }, 200);
      }
    };
    p.pool.newStream(c);
    await c.done;
    assert.equal(describeCall(c), `200 ${4 * 1024 * 1024} bytes`);
    assert.equal(sha(Buffer.concat(c.chunks)), c.header('x-sha'));
  });

  test('frames of one event-loop turn leave in one write', async () => {
    const p = mkPool(port);
    await p.call({ path: '/hello' });
    const sock = conns(p.pool)[0].socket;
    let writes = 0;
    const orig = sock.write.bind(sock);
    sock.write = ((...a: Parameters<net.Socket['write']>) => {
      writes++;
      return orig(...a);
    }) as net.Socket['write'];
    const calls = Array.from({ length: 40 }, (_, i) => p.call({ path: `/hello?i=${i}` }));
    await Promise.all(calls);
    sock.write = orig;
    // 40 HEADERS frames in one write; the responses' WINDOW_UPDATEs and SETTINGS ACKs add a few.
    assert.ok(writes <= 4, `${writes} writes for 40 requests`);
  });
});

// ------------------------------------------------------------------------------------ nginx

const NGINX = nginxBinary();

describe('nginx h2c', { skip: NGINX === null ? 'nginx binary not found: nginx conformance cases skipped' : false }, () => {
  let nginx: Nginx;
  let backend: http.Server;
  const ports = { main: 0, limited: 0, goaway: 0, backend: 0 };
  let backendActive = 0;
  let backendMax = 0;
  const BIG = crypto.randomBytes(16 * 1024 * 1024);

  before(async () => {
    backend = http.createServer((req, res) => {
      backendActive++;
      backendMax = Math.max(backendMax, backendActive);
      res.on('close', () => backendActive--);
      if (req.url!.startsWith('/echo')) {
        const h = crypto.createHash('sha256');
        let n = 0;
        req.on('data', (c: Buffer) => {
          n += c.length;
          h.update(c);
        });
        req.on('end', () => res.end(`received ${n} ${h.digest('hex')}`));
        return;
      }
      setTimeout(() => res.end('slow'), 40);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    ports.backend = (backend.address() as net.AddressInfo).port;
    for (const k of ['main', 'limited', 'goaway'] as const) ports[k] = await freePort();
    nginx = await startNginx(
      NGINX!,
      (dir) => {
        fs.mkdirSync(path.join(dir, 'files'));
        fs.writeFileSync(path.join(dir, 'files', 'big.bin'), BIG);
        return `
  upstream backend { server 127.0.0.1:${ports.backend}; keepalive 16; }
  server {
    listen 127.0.0.1:${ports.main} http2;
    client_max_body_size 0;
    location = /hello { add_header x-a b; return 200 "hello from nginx"; }
    location = /trailers { add_trailer x-trailer-one one always; add_trailer x-trailer-two two always; return 200 "with trailers"; }
    location = /push { http2_push /hello; return 200 "push offered"; }
    location /files/ { root ${dir}; }
    location /echo { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 127.0.0.1:${ports.limited} http2;
    http2_max_concurrent_streams 4;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
  server {
    listen 127.0.0.1:${ports.goaway} http2;
    keepalive_requests 5;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`;
      },
      [ports.main, ports.limited, ports.goaway],
    );
  });

  after(async () => {
    for (const p of pools) p.destroy();
    await nginx?.stop();
    backend?.closeAllConnections();
    await new Promise((r) => backend?.close(r));
  });

  test('many concurrent and sequential requests; the peer HPACK dynamic table is used', async () => {
    const p = mkPool(ports.main);
    for (let round = 0; round < 6; round++) {
      const calls = await Promise.all(Array.from({ length: 50 }, () => p.call({ path: '/hello' })));
      for (const c of calls) {
        assert.equal(c.text, 'hello from nginx', describeCall(c));
        assert.match(c.header('server') ?? '', /^nginx/);
        assert.equal(c.header('x-a'), 'b');
        assert.match(c.header('date') ?? '', /GMT$/);
        assert.equal(c.contentLength, 16);
      }
    }
    assert.equal(p.stat(CLUSTER.upstream_cx_total), 1);
    assert.ok(conns(p.pool)[0].h2.decoder.tableLength > 0, 'nginx indexed fields in our dynamic table');
  });

  for (const [name, windows] of [
    ['64 KiB windows', SMALL_WINDOWS],
    ["Envoy's 256 MiB windows", ENVOY_WINDOWS],
  ] as const) {
    test(`large bodies both ways (${name})`, async () => {
      const p = mkPool(ports.main, {}, windows);
      const body = crypto.randomBytes(5 * 1024 * 1024 + 3);
      const [down, up] = await Promise.all([p.call({ path: '/files/big.bin' }), p.call({ path: '/echo', body })]);
      assert.equal(describeCall(down), `200 ${BIG.length} bytes`);
      assert.equal(sha(Buffer.concat(down.chunks)), sha(BIG));
      assert.equal(up.text, `received ${body.length} ${sha(body)}`);
    });
  }

  test('trailers', async () => {
    const p = mkPool(ports.main);
    const c = await p.call({ path: '/trailers' });
    assert.equal(c.text, 'with trailers');
    assert.deepEqual(c.trailers, ['x-trailer-one', 'one', 'x-trailer-two', 'two']);
  });

  test('http2_push is not used on a connection with push disabled', async () => {
    const p = mkPool(ports.main);
    const c = await p.call({ path: '/push' });
    assert.equal(c.text, 'push offered');
    assert.equal(p.stat(CLUSTER.upstream_cx_protocol_error), 0);
  });

  test('http2_max_concurrent_streams 4: requests wait, none is refused', async () => {
    backendMax = 0;
    const limits = { maxConnections: 1, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, retryBudget: null };
    const p = mkPool(ports.limited, { circuitBreakers: { default: limits, high: limits } });
    const calls = await Promise.all(Array.from({ length: 16 }, (_, i) => p.call({ path: `/slow/${i}` })));
    for (const c of calls) assert.equal(describeCall(c), '200 4 bytes');
    assert.ok(backendMax <= 4, `nginx passed ${backendMax} requests at once`);
    assert.equal(p.stat(CLUSTER.upstream_cx_total), 1);
  });

  test('keepalive_requests 5: GOAWAY with streams in flight; the unprocessed ones are refused', async () => {
    const p = mkPool(ports.goaway);
    const calls = await Promise.all(Array.from({ length: 12 }, (_, i) => p.call({ path: `/slow/${i}` })));
    const ok = calls.filter((c) => c.status === 200 && c.error === null);
    const refused = calls.filter((c) => c.error === ResetReason.RemoteRefusedStream);
    assert.equal(ok.length + refused.length, 12, calls.map(describeCall).join(', '));
    assert.ok(ok.length >= 1 && ok.length <= 5, `${ok.length} served`);
    assert.ok(p.stat(CLUSTER.upstream_cx_close_notify) >= 1);
    // The refused requests can go again (as a retry would), on a new connection.
    const again = await Promise.all(refused.slice(0, 4).map(() => p.call({ path: '/slow/again' })));
    for (const c of again) assert.equal(describeCall(c), '200 4 bytes');
    assert.ok(p.stat(CLUSTER.upstream_cx_total) >= 2);
  });
});

// ------------------------------------------------------------------------------------ nuncio AUTO

describe("nuncio's own AUTO listener (node engine)", () => {
  let nuncio: Nuncio;
  let backend: http.Server;
  const ports = { auto: 0, admin: 0, backend: 0 };

  before(async () => {
    backend = http.createServer((req, res) => {
      if (req.url!.startsWith('/echo')) {
        const h = crypto.createHash('sha256');
        let n = 0;
        req.on('data', (c: Buffer) => {
          n += c.length;
          h.update(c);
        });
        req.on('end', () => res.end(`received ${n} ${h.digest('hex')}`));
        return;
      }
      if (req.url!.startsWith('/big')) {
        const total = 8 * 1024 * 1024;
        res.setHeader('content-length', String(total));
        const chunk = Buffer.alloc(256 * 1024, 0x5a);
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      res.end(`backend ${req.url}`);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    ports.backend = (backend.address() as net.AddressInfo).port;
    ports.auto = await freePort();
    ports.admin = await freePort();
    const cfg = `
static_resources:
  listeners:
  - name: auto
    address: { socket_address: { address: 127.0.0.1, port_value: ${ports.auto} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: AUTO
          stat_prefix: auto
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { path: "/direct" }
                direct_response: { status: 200, body: { inline_string: "direct from nuncio" } }
              - match: { prefix: "/" }
                route: { cluster: backend }
          http_filters: [{ name: envoy.filters.http.router }]
  clusters:
  - name: backend
    connect_timeout: 1s
    type: STATIC
    load_assignment:
      cluster_name: backend
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.backend} } } } }] }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
    nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '1'], ports.admin);
  });

  after(async () => {
    for (const p of pools) p.destroy();
    const code = await nuncio?.stop();
    backend?.closeAllConnections();
    await new Promise((r) => backend?.close(r));
    assert.equal(code, 0, nuncio?.output());
  });

  test('concurrent streams, local replies and proxied ones', async () => {
    const p = mkPool(ports.auto);
    const calls = await Promise.all(Array.from({ length: 120 }, (_, i) => p.call({ path: i % 2 ? '/direct' : `/x/${i}` })));
    calls.forEach((c, i) => {
      assert.equal(c.status, 200, describeCall(c));
      assert.equal(c.text, i % 2 ? 'direct from nuncio' : `backend /x/${i}`);
      assert.equal(c.header('server'), 'envoy');
    });
    assert.equal(p.stat(CLUSTER.upstream_cx_total), 1);
  });

  test('large bodies both ways under 64 KiB windows', async () => {
    const p = mkPool(ports.auto, {}, SMALL_WINDOWS);
    const body = crypto.randomBytes(4 * 1024 * 1024);
    const [up, down] = await Promise.all([p.call({ path: '/echo', body }), p.call({ path: '/big' })]);
    assert.equal(up.text, `received ${body.length} ${sha(body)}`);
    assert.equal(describeCall(down), `200 ${8 * 1024 * 1024} bytes`);
    assert.ok(down.chunks.every((c) => c.every((b) => b === 0x5a)));
  });
});

// ------------------------------------------------------------------------------------ scripted peer

describe('scripted peer', () => {
  /** A server that sends SETTINGS (and ACKs ours) at once, then leaves the script to the test. */
  async function scripted(settings: number[] = []) {
    return rawServer((peer) => {
      peer.settings(settings).flush();
      void peer.until((s) => s.some((f) => f.t === 'frame' && f.type === FrameType.SETTINGS && f.flags === 0)).then(() => peer.settingsAck().flush(), () => {});
    });
  }

  /** The i-th connection the scripted server accepted (waits for it). */
  async function peerAt(srv: { peers: RawPeer[] }, i: number): Promise<RawPeer> {
    for (let n = 0; n < 500 && srv.peers[i] === undefined; n++) await sleep(10);
    assert.ok(srv.peers[i], `connection ${i} was never made`);
    return srv.peers[i];
  }

  test('GOAWAY with streams in flight: those above last-stream-id are refused, the rest complete', async () => {
    const srv = await scripted();
    try {
      const p = mkPool(srv.port);
      const calls = [1, 2, 3].map(() => p.call({ path: '/x' }));
      const peer = await peerAt(srv, 0);
      await peer.until((s) => s.filter((f) => f.t === 'headers').length === 3);
      peer.goaway(1, H2Error.NO_ERROR).headers(1, [':status', '200'], false).data(1, 'first', true).flush();
      const [a, b, c] = await Promise.all(calls);
      assert.equal(describeCall(a), '200 5 bytes');
      assert.equal(b.error, ResetReason.RemoteRefusedStream);
      assert.equal(c.error, ResetReason.RemoteRefusedStream);
      assert.equal(p.stat(CLUSTER.upstream_cx_close_notify), 1);
      // The drained connection closes with our own GOAWAY; a new request gets a new connection.
      await peer.until((s) => s.some((f) => f.t === 'frame' && f.type === FrameType.GOAWAY));
      const next = p.call({ path: '/y' });
      const peer2 = await peerAt(srv, 1);
      await peer2.until((s) => s.some((f) => f.t === 'headers'));
      peer2.headers(1, [':status', '204'], true).flush();
      assert.equal((await next).status, 204);
      assert.equal(p.stat(CLUSTER.upstream_cx_total), 2);
    } finally {
      await srv.close();
    }
  });

  test('PUSH_PROMISE after push was disabled: connection error, streams fail, GOAWAY(PROTOCOL_ERROR)', async () => {
    const srv = await scripted();
    try {
      const p = mkPool(srv.port);
      const calls = [p.call({ path: '/a' }), p.call({ path: '/b' })];
      const peer = await peerAt(srv, 0);
      await peer.until((s) => s.filter((f) => f.t === 'headers').length === 2);
      peer.pushPromise(1, 2, [':method', 'GET', ':path', '/pushed', ':scheme', 'http', ':authority', 'x']);
      const res = await Promise.all(calls);
      for (const c of res) assert.equal(c.error, ResetReason.ProtocolError);
      await peer.until((s) => s.some((f) => f.t === 'frame' && f.type === FrameType.GOAWAY));
      const ga = peer.seen.find((f) => f.t === 'frame' && f.type === FrameType.GOAWAY) as { payload: Buffer };
      assert.equal(ga.payload.readUInt32BE(4), H2Error.PROTOCOL_ERROR);
      assert.equal(p.stat(CLUSTER.upstream_cx_protocol_error), 1);
    } finally {
      await srv.close();
    }
  });

  test('backpressure: no WINDOW_UPDATE for a paused stream until it resumes', async () => {
    const srv = await scripted();
    try {
      const p = mkPool(srv.port, {}, { initialStreamWindowSize: 65535, initialConnectionWindowSize: 1 << 24 });
      const c = new Call({ path: '/big' });
      c.onChunk = (x) => {
        if (x.received === 16384) x.stream!.pauseResponse();
      };
      p.pool.newStream(c);
      const peer = await peerAt(srv, 0);
      await peer.until((s) => s.some((f) => f.t === 'headers'));
      peer.headers(1, [':status', '200'], false).data(1, Buffer.alloc(65535, 1), false).flush();
      await sleep(150);
      const streamUpdates = () => peer.seen.filter((f) => f.t === 'frame' && f.type === FrameType.WINDOW_UPDATE && f.stream === 1);
      assert.equal(streamUpdates().length, 0, 'the window stays closed while paused');
      assert.equal(c.received, 16384);
      c.stream!.resumeResponse();
      await peer.until(() => streamUpdates().length > 0);
      assert.equal(c.received, 65535);
      peer.data(1, 'end', true).flush();
      await c.done;
      assert.equal(c.received, 65538);
    } finally {
      await srv.close();
    }
  });

  test('a peer that never sends SETTINGS fails the connect by timeout', async () => {
    const srv = await rawServer(() => {});
    try {
      const p = mkPool(srv.port, { connectTimeoutMs: 150 });
      const c = await p.call({ path: '/' });
      assert.equal(c.error, ResetReason.ConnectionTimeout);
      assert.equal(p.stat(CLUSTER.upstream_cx_connect_timeout), 1);
    } finally {
      await srv.close();
    }
  });

  test('an HTTP/1.1 server is a connect failure with a protocol error', async () => {
    const h1 = http.createServer((_q, r) => r.end('nope'));
    await new Promise<void>((r) => h1.listen(0, '127.0.0.1', () => r()));
    try {
      const p = mkPool((h1.address() as net.AddressInfo).port);
      const c = await p.call({ path: '/' });
      assert.equal(c.error, ResetReason.ConnectionFailure);
      assert.match(c.transport, /PROTOCOL_ERROR|FRAME_SIZE_ERROR/);
      assert.equal(p.stat(CLUSTER.upstream_cx_connect_fail), 1);
      assert.equal(p.stat(CLUSTER.upstream_cx_protocol_error), 1);
    } finally {
      h1.closeAllConnections();
      await new Promise((r) => h1.close(r));
    }
  });

  test('the peer closing the connection fails streams in flight with connection termination', async () => {
    const srv = await scripted([Setting.MAX_CONCURRENT_STREAMS, 100]);
    try {
      const p = mkPool(srv.port);
      const calls = [p.call({ path: '/a' }), p.call({ path: '/b' })];
      const peer = await peerAt(srv, 0);
      await peer.until((s) => s.filter((f) => f.t === 'headers').length === 2);
      peer.headers(1, [':status', '200'], false).flush();
      await sleep(20);
      peer.socket.destroy();
      const [a, b] = await Promise.all(calls);
      assert.equal(a.status, 200);
      assert.equal(a.error, ResetReason.ConnectionTermination);
      assert.equal(b.error, ResetReason.ConnectionTermination);
      assert.equal(p.stat(CLUSTER.upstream_cx_destroy_remote_with_active_rq), 1);
      assert.equal(p.stat(CLUSTER.upstream_rq_active), 0);
    } finally {
      await srv.close();
    }
  });

  test('idle timeout closes an idle connection with GOAWAY', async () => {
    const srv = await scripted();
    try {
      const p = mkPool(srv.port, { upstreamIdleTimeoutMs: 100 });
      const c = p.call({ path: '/a' });
      const peer = await peerAt(srv, 0);
      await peer.until((s) => s.some((f) => f.t === 'headers'));
      peer.headers(1, [':status', '200'], true).flush();
      await c;
      await peer.until((s) => s.some((f) => f.t === 'frame' && f.type === FrameType.GOAWAY), 3000);
      await new Promise<void>((r) => (peer.socket.destroyed ? r() : peer.socket.once('close', () => r())));
      assert.equal(p.stat(CLUSTER.upstream_cx_idle_timeout), 1);
      assert.equal(p.stat(CLUSTER.upstream_cx_destroy_local), 1);
    } finally {
      await srv.close();
    }
  });
});

// ------------------------------------------------------------------------------------ TLS

describe('TLS with ALPN h2', () => {
  let certs: CertFactory;
  let h2s: http2.Http2SecureServer;
  let h1s: tls.Server;
  const tlsOpts: UpstreamTlsOptions = { forHost: () => ({ ca: certs.ca.cert, servername: 'upstream.test' }) };

  before(async () => {
    certs = new CertFactory();
    const pair = certs.issue('upstream.test');
    h2s = http2.createSecureServer({ key: pair.key, cert: pair.cert, ALPNProtocols: ['h2'] }, (req, res) => {
      res.end(`tls ${(req.socket as tls.TLSSocket).alpnProtocol} ${req.httpVersion}`);
    });
    h1s = tls.createServer({ key: pair.key, cert: pair.cert, ALPNProtocols: ['http/1.1'] }, (s) => s.end());
    await new Promise<void>((r) => h2s.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => h1s.listen(0, '127.0.0.1', () => r()));
  });

  after(async () => {
    for (const p of pools) p.destroy();
    await new Promise((r) => h2s.close(r));
    await new Promise((r) => h1s.close(r));
    certs.cleanup();
  });

  test('requests over TLS, the certificate checked against the CA', async () => {
    const p = mkPool((h2s.address() as net.AddressInfo).port, {}, {}, tlsOpts);
    const calls = await Promise.all(Array.from({ length: 20 }, () => p.call({ path: '/' })));
    for (const c of calls) assert.equal(c.text, 'tls h2 2.0');
  });

  test('a server without h2 in its ALPN list is a connect failure', async () => {
    const p = mkPool((h1s.address() as net.AddressInfo).port, {}, {}, tlsOpts);
    const c = await p.call({ path: '/' });
    assert.equal(c.error, ResetReason.ConnectionFailure);
    // Servers alert when nothing in our ALPN list (h2) is acceptable; one that picks another protocol
    // anyway is refused by the pool.
    assert.match(c.transport, /ALPN|NO_APPLICATION_PROTOCOL/);
  });
});
