// HTTP/2 abuse on the node engine, written frame by frame: rapid reset (CVE-2023-44487), SETTINGS and
// PING floods, an HPACK bomb, header lists over the limits, too many concurrent streams, empty DATA and
// PRIORITY floods. Each checks the reset or GOAWAY the client gets, the counter, and that the proxy
// serves a normal request right after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, h2get, until } from '../helpers/net.js';
import { cluster, listener, stat } from '../helpers/hostile.js';
import * as F from '../helpers/h2frames.js';

let nuncio: Nuncio;
let up: http.Server;
let held: http2.Http2Server;
const heldStreams = new Set<http2.ServerHttp2Stream>();
const ports = { h2: 0, h2small: 0, up: 0, held: 0, admin: 0 };

const ENHANCE_YOUR_CALM = 11;
const INTERNAL_ERROR = 2;
const REFUSED_STREAM = 7;

const routes = `
              - match: { prefix: "/direct" }
                direct_response: { status: 200, body: { inline_string: direct } }
              - match: { prefix: "/hold" }
                route: { cluster: held, timeout: 0s }
              - match: { prefix: "/" }
                route: { cluster: up }`;

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  up = http.createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(JSON.stringify({ url: req.url, received: n })));
  });
  await new Promise<void>((r) => up.listen(ports.up, '127.0.0.1', () => r()));
  // An upstream that accepts streams and never answers them.
  held = http2.createServer();
  held.on('stream', (s) => {
    heldStreams.add(s);
    s.on('error', () => {});
    s.on('close', () => heldStreams.delete(s));
  });
  held.on('session', (s) => s.on('error', () => {}));
  await new Promise<void>((r) => held.listen(ports.held, '127.0.0.1', () => r()));
  const cfg = `
static_resources:
  listeners:${listener('h2', ports.h2, 'AUTO', '', routes)}${listener('h2small', ports.h2small, 'AUTO', 'http2_protocol_options: { max_concurrent_streams: 5 }', routes)}
  clusters:${cluster('up', ports.up)}${cluster('held', ports.held, true)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '1'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
  up?.closeAllConnections();
  await new Promise((r) => up?.close(r));
  for (const s of heldStreams) s.destroy();
  await new Promise((r) => held?.close(r));
});

async function stillServes(port = ports.h2): Promise<void> {
  const r = await h2get(`http://127.0.0.1:${port}`, '/direct');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'direct');
}

const codes = (frames: F.ParsedFrame[], type: number) => frames.filter((f) => f.type === type).map((f) => f.code);

test('rapid reset: 600 streams opened and cancelled at once: GOAWAY ENHANCE_YOUR_CALM, downstream_rq_too_many_premature_resets', async () => {
  const resetsBefore = await stat(ports.admin, 'http2.rx_reset');
  const c = await F.RawH2.open(ports.h2);
  const out: Buffer[] = [];
  for (let i = 0; i < 600; i++) {
    const id = 1 + 2 * i;
    out.push(F.headers(id, F.request('/hold/rr'), false), F.rstStream(id));
  }
  c.write(...out);
  const frames = await c.waitClosed(10_000);
  const ga = F.goaway(frames);
  assert.ok(ga, 'no GOAWAY');
  assert.equal(ga.code, ENHANCE_YOUR_CALM);
  assert.equal(await stat(ports.admin, 'http.h2.downstream_rq_too_many_premature_resets'), 1);
  assert.ok((await stat(ports.admin, 'http2.rx_reset')) - resetsBefore >= 500);
  c.close();
  await stillServes();
});

test('a client that resets half of few streams is not cut off (fewer than 500 streams)', async () => {
  const c = await F.RawH2.open(ports.h2);
  const out: Buffer[] = [];
  for (let i = 0; i < 100; i++) out.push(F.headers(1 + 2 * i, F.request('/hold/rr2'), false), F.rstStream(1 + 2 * i));
  out.push(F.headers(201, F.request('/direct')));
  c.write(...out);
  const frames = await c.until((fs) => F.responded(fs, 201));
  assert.ok(F.responded(frames, 201));
  assert.equal(F.goaway(frames), undefined);
  assert.equal(await stat(ports.admin, 'http.h2.downstream_rq_too_many_premature_resets'), 1);
  c.close();
});

for (const [name, make] of [
  ['SETTINGS', () => F.settings()],
  ['PING', () => F.ping(7)],
] as const) {
  test(`${name} flood: 20000 frames whose acknowledgements pile up: connection closed, http2.outbound_control_flood`, async () => {
    const before = await stat(ports.admin, 'http2.outbound_control_flood');
    const c = await F.RawH2.open(ports.h2);
    const one = make();
    c.write(Buffer.concat(Array.from({ length: 20000 }, () => one)));
    const frames = await c.waitClosed(10_000);
    assert.ok(c.closed);
    const ga = F.goaway(frames);
    if (ga) assert.notEqual(ga.code, 0);
    // The client can see the close before the worker has handled the session error that counts it.
    await until(async () => (await stat(ports.admin, 'http2.outbound_control_flood')) >= before + 1, 10_000).catch(() => {});
    assert.equal(await stat(ports.admin, 'http2.outbound_control_flood'), before + 1);
    await stillServes();
  });
}

test('HPACK bomb: a 4 KB dynamic-table entry referenced 16000 times: that stream is reset, http2.header_overflow, the connection goes on', async () => {
  const before = await stat(ports.admin, 'http2.header_overflow');
  const c = await F.RawH2.open(ports.h2);
  // Stream 1 puts the entry in the server's decoding table and is served normally.
  c.write(F.blockFrames(1, Buffer.concat([F.headerBlock(F.request('/direct')), F.literalIndexed('bomb', 'a'.repeat(4000))])));
  await c.until((fs) => F.responded(fs, 1));
  // Stream 3 references it 16000 times (64 MB decoded).
  c.write(F.blockFrames(3, Buffer.concat([F.headerBlock(F.request('/direct')), Buffer.alloc(16000, F.indexed(62)[0])])));
  const frames = await c.until((fs) => fs.some((f) => f.type === F.RST_STREAM && f.stream === 3));
  assert.deepEqual(codes(frames.filter((f) => f.stream === 3), F.RST_STREAM), [ENHANCE_YOUR_CALM]);
  // The same connection serves the next stream, and the refused one is counted.
  c.write(F.headers(5, F.request('/direct')));
  await c.until((fs) => F.responded(fs, 5));
  assert.equal(F.goaway(c.frames), undefined);
  assert.equal(await stat(ports.admin, 'http2.header_overflow'), before + 1);
  c.close();
  await stillServes();
});

test('header list over max_request_headers_kb (61 KB) or max_headers_count (101 fields): stream reset, http2.header_overflow', async () => {
  const before = await stat(ports.admin, 'http2.header_overflow');
  const c = await F.RawH2.open(ports.h2);
  c.write(F.headersSplit(1, F.request('/big', [['big', 'a'.repeat(61 * 1024)]])));
  c.write(F.headersSplit(3, F.request('/many', Array.from({ length: 101 }, (_, i): [string, string] => [`x-h${i}`, 'v']))));
  // Just under both limits: served.
  c.write(F.headersSplit(5, F.request('/direct', Array.from({ length: 96 }, (_, i): [string, string] => [`x-h${i}`, 'v']))));
  const frames = await c.until((fs) => codes(fs, F.RST_STREAM).length >= 2 && F.responded(fs, 5));
  assert.deepEqual(codes(frames.filter((f) => f.stream === 1), F.RST_STREAM), [INTERNAL_ERROR]);
  assert.deepEqual(codes(frames.filter((f) => f.stream === 3), F.RST_STREAM), [INTERNAL_ERROR]);
  assert.ok(F.responded(frames, 5));
  assert.equal(await stat(ports.admin, 'http2.header_overflow'), before + 2);
  c.close();
  await stillServes();
});

test('more streams than max_concurrent_streams (5) once SETTINGS are acknowledged: connection error, downstream_cx_protocol_error', async () => {
  const before = await stat(ports.admin, 'http.h2small.downstream_cx_protocol_error');
  const c = await F.RawH2.open(ports.h2small);
  for (let i = 0; i < 6; i++) c.write(F.headers(1 + 2 * i, F.request('/hold/mcs'), false));
  const frames = await c.waitClosed(10_000);
  const ga = F.goaway(frames);
  assert.ok(ga, 'no GOAWAY');
  assert.notEqual(ga.code, 0);
  assert.equal(await stat(ports.admin, 'http.h2small.downstream_cx_protocol_error'), before + 1);
  await stillServes(ports.h2small);
});

test('more streams than max_concurrent_streams before SETTINGS are acknowledged: the extra stream gets REFUSED_STREAM', async () => {
  const before = await stat(ports.admin, 'http.h2small.downstream_rq_total');
  const c = await F.RawH2.open(ports.h2small, false);
  for (let i = 0; i < 6; i++) c.write(F.headers(1 + 2 * i, F.request('/hold/mcs2'), false));
  const frames = await c.until((fs) => fs.some((f) => f.type === F.RST_STREAM));
  assert.deepEqual(
    frames.filter((f) => f.type === F.RST_STREAM).map((f) => [f.stream, f.code]),
    [[11, REFUSED_STREAM]],
  );
  assert.equal(await stat(ports.admin, 'http.h2small.downstream_rq_total'), before + 5);
  assert.equal(F.goaway(frames), undefined);
  c.close();
  await stillServes(ports.h2small);
});

test('empty DATA frames: one is tolerated, two in a row close the connection, http2.inbound_empty_frames_flood', async () => {
  const before = await stat(ports.admin, 'http2.inbound_empty_frames_flood');
  const ok = await F.RawH2.open(ports.h2);
  ok.write(F.headers(1, F.request('/echo', [], 'POST'), false), F.data(1, Buffer.alloc(0)), F.data(1, Buffer.from('abc'), true));
  await ok.until((fs) => F.responded(fs, 1));
  assert.equal(F.goaway(ok.frames), undefined);
  ok.close();
  const c = await F.RawH2.open(ports.h2);
  const empties = [F.data(1, Buffer.alloc(0)), F.data(1, Buffer.alloc(0))];
  c.write(F.headers(1, F.request('/hold/empty', [], 'POST'), false), ...empties);
  const frames = await c.waitClosed(10_000);
  assert.ok(c.closed);
  const ga = F.goaway(frames);
  if (ga) assert.notEqual(ga.code, 0);
  assert.equal(await stat(ports.admin, 'http2.inbound_empty_frames_flood'), before + 1);
  await stillServes();
});

test('PRIORITY flood (more than 100 per opened stream): GOAWAY ENHANCE_YOUR_CALM, http2.inbound_priority_frames_flood', async () => {
  const before = await stat(ports.admin, 'http2.inbound_priority_frames_flood');
  const c = await F.RawH2.open(ports.h2);
  const prios = Array.from({ length: 300 }, () => F.priority(1));
  c.write(F.headers(1, F.request('/hold/prio'), false), ...prios);
  const frames = await c.waitClosed(10_000);
  assert.equal(F.goaway(frames)?.code, ENHANCE_YOUR_CALM);
  assert.equal(await stat(ports.admin, 'http2.inbound_priority_frames_flood'), before + 1);
  await stillServes();
});
