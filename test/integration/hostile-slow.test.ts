// Slow and greedy clients: request_headers_timeout against slowloris heads, request_timeout and
// stream_idle_timeout on both engines and over HTTP/2, the HCM idle_timeout over HTTP/2, and a client
// that uploads a huge body without ever reading the response (memory stays bounded by backpressure).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, sleep, until } from '../helpers/net.js';
import { cluster, listener, parseResponse, rawExchange, stat } from '../helpers/hostile.js';

let nuncio: Nuncio;
let echo: http.Server;
let sink: http.Server;
let hold: http.Server;
const ports = { nHdr: 0, nReq: 0, uReq: 0, nIdle: 0, uIdle: 0, nCx: 0, nBig: 0, uBig: 0, echo: 0, sink: 0, hold: 0, admin: 0 };

const routes = `
              - match: { prefix: "/hold" }
                route: { cluster: hold, timeout: 0s }
              - match: { prefix: "/pipe" }
                route: { cluster: echo, timeout: 0s }
              - match: { prefix: "/" }
                route: { cluster: sink, timeout: 0s }`;

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  // Streams the request body back as it arrives (with backpressure both ways).
  echo = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    req.pipe(res);
  });
  // Answers (with the body it got) only once the whole request is in.
  sink = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => res.end(Buffer.concat(parts)));
  });
  hold = http.createServer(() => {});
  await new Promise<void>((r) => echo.listen(ports.echo, '127.0.0.1', () => r()));
  await new Promise<void>((r) => sink.listen(ports.sink, '127.0.0.1', () => r()));
  await new Promise<void>((r) => hold.listen(ports.hold, '127.0.0.1', () => r()));
  const cfg = `
static_resources:
  listeners:${listener('nHdr', ports.nHdr, 'AUTO', 'request_headers_timeout: 0.3s', routes)}${listener('nReq', ports.nReq, 'AUTO', 'request_timeout: 0.4s', routes)}${listener(
    'uReq',
    ports.uReq,
    'HTTP1',
    'request_timeout: 0.4s',
    routes,
  )}${listener('nIdle', ports.nIdle, 'AUTO', 'stream_idle_timeout: 0.4s', routes)}${listener('uIdle', ports.uIdle, 'HTTP1', 'stream_idle_timeout: 0.4s', routes)}${listener(
    'nCx',
    ports.nCx,
    'AUTO',
    'common_http_protocol_options: { idle_timeout: 0.3s }',
    routes,
  )}${listener('nBig', ports.nBig, 'AUTO', '', routes)}${listener('uBig', ports.uBig, 'HTTP1', '', routes)}
  clusters:${cluster('echo', ports.echo)}${cluster('sink', ports.sink)}${cluster('hold', ports.hold)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '1'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
  for (const s of [echo, sink, hold]) {
    s?.closeAllConnections();
    await new Promise((r) => s?.close(r));
  }
});

async function stillServes(port: number): Promise<void> {
  const r = await get(`http://127.0.0.1:${port}/ok`, { method: 'POST', body: 'ping' });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'ping');
}

function expect408(data: string, body: string): void {
  const res = parseResponse(data);
  assert.ok(res, `no response: ${JSON.stringify(data.slice(0, 120))}`);
  assert.equal(res.status, 408);
  assert.equal(res.body, body);
  assert.equal(res.headers.get('connection'), 'close');
}

test('request_headers_timeout: a head that never completes, and a slowloris drip, get 408 "request header timeout"', async () => {
  const r = await rawExchange(ports.nHdr, ['GET /slow HTTP/1.1\r\nhost: test\r\n'], { ms: 5000 });
  expect408(r.data, 'request header timeout');
  assert.ok(r.closed);
  assert.equal(await stat(ports.admin, 'http.nHdr.downstream_rq_header_timeout'), 1);
  // One byte every 50 ms keeps the connection busy but does not extend the deadline.
  const head = 'GET /drip HTTP/1.1\r\nhost: test\r\nx-pad: ' + 'a'.repeat(60);
  const drip = await rawExchange(ports.nHdr, head.split(''), { gapMs: 50, ms: 5000 });
  expect408(drip.data, 'request header timeout');
  assert.ok(drip.ms < 3000, `took ${drip.ms} ms`);
  assert.equal(await stat(ports.admin, 'http.nHdr.downstream_rq_header_timeout'), 2);
  // A complete head in time is served.
  await stillServes(ports.nHdr);
});

test('uWebSockets.js has no timer before a head is complete: a slowloris head gets no 408, uWS closes it after ~10-12 s', { timeout: 30_000 }, async () => {
  const head = 'GET /drip HTTP/1.1\r\nhost: test\r\nx-pad: ' + 'a'.repeat(200);
  const r = await rawExchange(ports.uReq, head.split(''), { gapMs: 500, ms: 20_000 });
  assert.equal(r.data, '');
  assert.ok(r.closed, 'still open after 20 s');
  assert.ok(r.ms >= 5000, `closed after ${r.ms} ms`);
  assert.equal(await stat(ports.admin, 'http.uReq.downstream_rq_total'), 0);
});

for (const [engine, key, prefix] of [
  ['node engine', 'nReq', 'nReq'],
  ['uWebSockets.js', 'uReq', 'uReq'],
] as const) {
  test(`request_timeout (${engine}): a body still arriving after 0.4 s gets 408 "request timeout"`, async () => {
    const head = 'POST /body HTTP/1.1\r\nhost: test\r\ncontent-length: 100\r\n\r\n';
    // Bytes keep coming (every 100 ms), but request_timeout covers the whole request.
    const parts = [head, ...Array.from({ length: 30 }, () => 'x')];
    const r = await rawExchange(ports[key], parts, { gapMs: 100, ms: 5000 });
    expect408(r.data, 'request timeout');
    assert.ok(r.closed);
    assert.equal(await stat(ports.admin, `http.${prefix}.downstream_rq_timeout`), 1);
    await stillServes(ports[key]);
  });
}

for (const [engine, key, prefix] of [
  ['node engine', 'nIdle', 'nIdle'],
  ['uWebSockets.js', 'uIdle', 'uIdle'],
] as const) {
  test(`stream_idle_timeout (${engine}): 408 "stream timeout" for a stalled body, 504 once the request is complete; a steady drip is not idle`, async () => {
    const r = await rawExchange(ports[key], ['POST /stall HTTP/1.1\r\nhost: test\r\ncontent-length: 10\r\n\r\nabcde'], { ms: 5000 });
    expect408(r.data, 'stream timeout');
    assert.equal(await stat(ports.admin, `http.${prefix}.downstream_rq_idle_timeout`), 1);
    // The whole request is in but the upstream never answers: 504.
    const held = await rawExchange(ports[key], ['GET /hold HTTP/1.1\r\nhost: test\r\n\r\n'], { ms: 5000 });
    const res = parseResponse(held.data);
    assert.equal(res?.status, 504);
    assert.equal(res?.body, 'stream timeout');
    assert.equal(await stat(ports.admin, `http.${prefix}.downstream_rq_idle_timeout`), 2);
    // 12 bytes, one every 100 ms (1.2 s in all, never 0.4 s quiet): served.
    const head = 'POST /drip HTTP/1.1\r\nhost: test\r\nconnection: close\r\ncontent-length: 12\r\n\r\n';
    const drip = await rawExchange(ports[key], [head, ...'abcdefghijkl'.split('')], { gapMs: 100, ms: 5000 });
    const ok = parseResponse(drip.data);
    assert.equal(ok?.status, 200);
    assert.equal(await stat(ports.admin, `http.${prefix}.downstream_rq_idle_timeout`), 2);
    await stillServes(ports[key]);
  });
}

test('stream_idle_timeout on a head that stops half way (node engine): 408 "stream timeout"', async () => {
  const r = await rawExchange(ports.nIdle, ['GET /half HTTP/1.1\r\nhost: te'], { ms: 5000 });
  expect408(r.data, 'stream timeout');
  assert.equal(await stat(ports.admin, 'http.nIdle.downstream_rq_idle_timeout'), 3);
});

test('stream_idle_timeout over HTTP/2: 408 "stream timeout" on a stalled upload, the session stays usable', { timeout: 20_000 }, async () => {
  const s = http2.connect(`http://127.0.0.1:${ports.nIdle}`);
  s.on('error', () => {});
  const req = s.request({ ':method': 'POST', ':path': '/h2stall' });
  req.write('abc');
  const status = await new Promise<number>((resolve, reject) => {
    req.on('response', (h) => resolve(Number(h[':status'])));
    req.on('error', reject);
  });
  assert.equal(status, 408);
  let body = '';
  req.on('data', (d) => (body += d));
  await new Promise((r) => req.on('close', r));
  assert.equal(body, 'stream timeout');
  const again = s.request({ ':method': 'POST', ':path': '/h2ok' });
  again.end('fine');
  let b2 = '';
  again.on('data', (d) => (b2 += d));
  await new Promise((r) => again.on('end', r));
  assert.equal(b2, 'fine');
  s.close();
  assert.equal(await stat(ports.admin, 'http.nIdle.downstream_rq_idle_timeout'), 4);
});

test('HCM idle_timeout over HTTP/2: a session with no streams gets GOAWAY and is closed, downstream_cx_idle_timeout', { timeout: 20_000 }, async () => {
  const s = http2.connect(`http://127.0.0.1:${ports.nCx}`);
  s.on('error', () => {});
  let goaway = -1;
  s.on('goaway', (code) => (goaway = code));
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  const req = s.request({ ':method': 'POST', ':path': '/x' });
  req.end('y');
  req.on('data', () => {});
  await new Promise((r) => req.on('end', r));
  await closed;
  assert.equal(goaway, 0);
  assert.equal(await stat(ports.admin, 'http.nCx.downstream_cx_idle_timeout'), 1);
  await stillServes(ports.nCx);
});

function rssMb(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(s)![1]) / 1024;
}

/**
 * Uploads up to `limit` bytes of chunked body as fast as the socket takes them and never reads the
 * response. Returns the bytes the proxy accepted before writes stalled for `stallMs`.
 */
async function greedyUpload(port: number, limit: number, stallMs: number): Promise<{ sent: number; socket: net.Socket }> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.on('error', () => {});
  s.pause(); // never read
  s.write('POST /pipe HTTP/1.1\r\nhost: test\r\ntransfer-encoding: chunked\r\n\r\n');
  const chunk = Buffer.alloc(64 * 1024, 120);
  const framed = Buffer.concat([Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]);
  let sent = 0;
  while (sent < limit) {
    if (s.write(framed)) {
      sent += chunk.length;
      continue;
    }
    sent += chunk.length;
    const drained = await Promise.race([new Promise<boolean>((r) => s.once('drain', () => r(true))), sleep(stallMs).then(() => false)]);
    if (!drained) break;
  }
  return { sent, socket: s };
}

test('huge upload to an echoing upstream, response never read (node engine): backpressure stalls the client, memory stays bounded', { timeout: 60_000 }, async () => {
  const pid = nuncio.proc.pid!;
  const rssBefore = rssMb(pid);
  const limit = 1024 * 1024 * 1024;
  const { sent, socket } = await greedyUpload(ports.nBig, limit, 1500);
  assert.ok(sent < 256 * 1024 * 1024, `the proxy took ${(sent / 1048576).toFixed(0)} MB from a client that reads nothing`);
  assert.ok(!socket.destroyed, 'the connection should stay open, only stalled');
  const grown = rssMb(pid) - rssBefore;
  assert.ok(grown < 150, `RSS grew ${grown.toFixed(0)} MB after ${(sent / 1048576).toFixed(0)} MB uploaded`);
  assert.ok((await stat(ports.admin, 'http.nBig.downstream_flow_control_paused_reading_total')) >= 1);
  socket.destroy();
  await until(async () => (await stat(ports.admin, 'http.nBig.downstream_rq_active')) === 0, 10_000);
  await stillServes(ports.nBig);
});

test('huge upload to an echoing upstream, response never read (uWebSockets.js): stalled, or reset once per_connection_buffer_limit_bytes is held', { timeout: 60_000 }, async () => {
  const pid = nuncio.proc.pid!;
  const rssBefore = rssMb(pid);
  const resetsBefore = await stat(ports.admin, 'http.uBig.downstream_rq_tx_reset');
  const limit = 1024 * 1024 * 1024;
  const { sent, socket } = await greedyUpload(ports.uBig, limit, 1500);
  assert.ok(sent < 256 * 1024 * 1024, `the proxy took ${(sent / 1048576).toFixed(0)} MB from a client that reads nothing`);
  // uWS 20.30's pause() holds the client back unless the response is itself backed up at that moment;
  // then nuncio holds at most the buffer limit and resets the stream.
  const closed = socket.destroyed || socket.readableEnded;
  assert.equal(await stat(ports.admin, 'http.uBig.downstream_rq_tx_reset'), resetsBefore + (closed ? 1 : 0));
  const grown = rssMb(pid) - rssBefore;
  assert.ok(grown < 150, `RSS grew ${grown.toFixed(0)} MB after ${(sent / 1048576).toFixed(0)} MB uploaded`);
  assert.ok((await stat(ports.admin, 'http.uBig.downstream_flow_control_paused_reading_total')) >= 1);
  socket.destroy();
  await until(async () => (await stat(ports.admin, 'http.uBig.downstream_rq_active')) === 0, 10_000);
  await stillServes(ports.uBig);
});
