// Hostile HTTP/1.1 input over raw TCP on both engines: malformed request lines and headers, smuggling
// vectors, oversized heads, headers_with_underscores_action and path normalisation (also over HTTP/2).
// Each case checks the status (or what uWebSockets.js does instead), the counter, that the upstream never
// saw a rejected request, and that the listener still serves a normal request afterwards.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, h2get } from '../helpers/net.js';
import { cluster, listener, parseResponse, rawExchange, recordingUpstream, stat, type Seen } from '../helpers/hostile.js';

let nuncio: Nuncio;
let upstream: http.Server;
const seen: Seen[] = [];
const ports = { nDef: 0, uDef: 0, nRej: 0, nDrop: 0, nFwd: 0, uRej: 0, uFwd: 0, nSmall: 0, uSmall: 0, up: 0, admin: 0 };

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upstream = recordingUpstream(seen);
  await new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r()));
  const reject = `
common_http_protocol_options: { headers_with_underscores_action: REJECT_REQUEST }
path_with_escaped_slashes_action: REJECT_REQUEST
normalize_path: true`;
  const forward = `
common_http_protocol_options: { headers_with_underscores_action: DROP_HEADER }
path_with_escaped_slashes_action: UNESCAPE_AND_FORWARD
normalize_path: true
merge_slashes: true`;
  const small = `
max_request_headers_kb: 2
common_http_protocol_options: { max_headers_count: 10 }`;
  const cfg = `
static_resources:
  listeners:${listener('nDef', ports.nDef, 'AUTO')}${listener('uDef', ports.uDef, 'HTTP1')}${listener('nRej', ports.nRej, 'AUTO', reject)}${listener(
    'nDrop',
    ports.nDrop,
    'AUTO',
    `
common_http_protocol_options: { headers_with_underscores_action: DROP_HEADER }
path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT
merge_slashes: true`,
  )}${listener('nFwd', ports.nFwd, 'AUTO', forward)}${listener('uRej', ports.uRej, 'HTTP1', reject)}${listener('uFwd', ports.uFwd, 'HTTP1', forward)}${listener(
    'nSmall',
    ports.nSmall,
    'AUTO',
    small,
  )}${listener('uSmall', ports.uSmall, 'HTTP1', small)}
  clusters:${cluster('up', ports.up)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '1'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
});

const GOOD = 'GET /good HTTP/1.1\r\nhost: test\r\n\r\n';

/** The listener still proxies a normal request. */
async function stillServes(port: number): Promise<void> {
  const r = await get(`http://127.0.0.1:${port}/after`);
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).url, '/after');
}

function upstreamSaw(marker: string): boolean {
  return seen.some((s) => s.url.includes(marker));
}

const H = (n: number, prefix = 'x-h') => Array.from({ length: n }, (_, i) => `${prefix}${i}: v\r\n`).join('');

// Heads Envoy's HTTP/1 codec rejects. Each request's path carries a marker so the upstream check is exact.
const malformed: [string, (m: string) => string, number][] = [
  ['invalid method token', (m) => `G@T /${m} HTTP/1.1\r\nhost: test\r\n\r\n`, 400],
  ['unknown method', (m) => `FOO /${m} HTTP/1.1\r\nhost: test\r\n\r\n`, 400],
  ['HTTP/1.2', (m) => `GET /${m} HTTP/1.2\r\nhost: test\r\n\r\n`, 400],
  ['HTTP/0.9 request line', (m) => `GET /${m}\r\n\r\n`, 400],
  ['space in the target', (m) => `GET /${m} x HTTP/1.1\r\nhost: test\r\n\r\n`, 400],
  ['control character in the target', (m) => `GET /${m}\x01 HTTP/1.1\r\nhost: test\r\n\r\n`, 400],
  ['space in a header name', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nfo o: bar\r\n\r\n`, 400],
  ['whitespace before the colon', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nfoo : bar\r\n\r\n`, 400],
  ['header line without a colon', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nfoobar\r\n\r\n`, 400],
  ['empty header name', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\n: v\r\n\r\n`, 400],
  ['control character in a value', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nfoo: b\x01r\r\n\r\n`, 400],
  ['NUL in a value', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nfoo: b\x00r\r\n\r\n`, 400],
  ['DEL in a value', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nfoo: b\x7fr\r\n\r\n`, 400],
  ['Content-Length with Transfer-Encoding', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['duplicate Content-Length (equal)', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\nabc`, 400],
  ['duplicate Content-Length (different)', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ncontent-length: 3\r\ncontent-length: 5\r\n\r\nabcde`, 400],
  ['Content-Length list', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ncontent-length: 3, 3\r\n\r\nabc`, 400],
  ['non-numeric Content-Length', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ncontent-length: 3x\r\n\r\nabc`, 400],
  ['negative Content-Length', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ncontent-length: -1\r\n\r\nabc`, 400],
  ['Transfer-Encoding gzip, chunked', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501],
  ['Transfer-Encoding identity', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ntransfer-encoding: identity\r\n\r\n`, 501],
  ['two Transfer-Encoding fields', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`, 501],
  ['obsolete line folding', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nfoo: bar\r\n baz\r\n\r\n`, 400],
  ['whitespace before the first header', (m) => `GET /${m} HTTP/1.1\r\n host: test\r\n\r\n`, 400],
  ['bare CR', (m) => `GET /${m} HTTP/1.1\rhost: test\r\n\r\n`, 400],
  ['two Host headers', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nhost: other\r\n\r\n`, 400],
  ['head over max_request_headers_kb (60)', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nbig: ${'a'.repeat(61 * 1024)}\r\n\r\n`, 431],
  ['more than max_headers_count (100) headers', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\n${H(100)}\r\n`, 431],
];

const TEXT: Record<number, string> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large', 501: 'Not Implemented' };

describe('node engine (HTTP/1.1 codec): Envoy codec errors', () => {
  let n = 0;
  for (const [name, bytes, status] of malformed) {
    test(`${name}: ${status}, connection closed, downstream_cx_protocol_error`, async () => {
      const marker = `m${n++}-${name.replace(/\W+/g, '_')}`;
      const before = await stat(ports.admin, 'http.nDef.downstream_cx_protocol_error');
      const r = await rawExchange(ports.nDef, [bytes(marker)]);
      const res = parseResponse(r.data);
      assert.ok(res, `no HTTP response: ${JSON.stringify(r.data.slice(0, 200))}`);
      assert.equal(res.status, status);
      assert.equal(res.body, TEXT[status]);
      assert.equal(res.headers.get('connection'), 'close');
      assert.equal(res.headers.get('content-type'), 'text/plain');
      assert.ok(r.closed, 'connection left open');
      assert.equal(await stat(ports.admin, 'http.nDef.downstream_cx_protocol_error'), before + 1);
      assert.ok(!upstreamSaw(marker), 'the upstream saw the rejected request');
      await stillServes(ports.nDef);
    });
  }

  test('a request pipelined after a bad one is never served', async () => {
    const r = await rawExchange(ports.nDef, [`GET /p1 HTTP/1.1\r\nhost: test\r\nfoo : bar\r\n\r\nGET /pipelined-after-bad HTTP/1.1\r\nhost: test\r\n\r\n`]);
    assert.equal(parseResponse(r.data)?.status, 400);
    assert.equal(r.data.match(/HTTP\/1\.1 /g)?.length, 1);
    assert.ok(!upstreamSaw('pipelined-after-bad'));
  });

  test('chunked body errors: invalid size and bare-LF framing get 400 and close', async () => {
    for (const [i, body] of ['zz\r\nabc\r\n0\r\n\r\n', '3\nabc\n0\n\n'].entries()) {
      const before = await stat(ports.admin, 'http.nDef.downstream_cx_protocol_error');
      const r = await rawExchange(ports.nDef, [`POST /chunk${i} HTTP/1.1\r\nhost: test\r\ntransfer-encoding: chunked\r\n\r\n${body}`]);
      assert.equal(parseResponse(r.data)?.status, 400, JSON.stringify(r.data));
      assert.ok(r.closed);
      assert.equal(await stat(ports.admin, 'http.nDef.downstream_cx_protocol_error'), before + 1);
    }
    await stillServes(ports.nDef);
  });

  test('bare-LF line ends in the head are accepted, as Envoy accepts them', async () => {
    const r = await rawExchange(ports.nDef, ['GET /bare-lf HTTP/1.1\nhost: test\nconnection: close\n\n']);
    assert.equal(parseResponse(r.data)?.status, 200);
    assert.ok(upstreamSaw('/bare-lf'));
  });

  test('HTTP/1.0 gets 426 (accept_http_10 off), not a protocol error', async () => {
    const before = await stat(ports.admin, 'http.nDef.downstream_cx_protocol_error');
    const r = await rawExchange(ports.nDef, ['GET /http10 HTTP/1.0\r\nhost: test\r\n\r\n']);
    assert.equal(parseResponse(r.data)?.status, 426);
    assert.equal(await stat(ports.admin, 'http.nDef.downstream_cx_protocol_error'), before);
    assert.ok(!upstreamSaw('/http10'));
  });

  test('smaller limits: max_request_headers_kb 2 and max_headers_count 10 give 431', async () => {
    const big = await rawExchange(ports.nSmall, [`GET /small-big HTTP/1.1\r\nhost: test\r\nbig: ${'a'.repeat(2100)}\r\n\r\n`]);
    assert.equal(parseResponse(big.data)?.status, 431);
    const many = await rawExchange(ports.nSmall, [`GET /small-many HTTP/1.1\r\nhost: test\r\n${H(10)}\r\n`]);
    assert.equal(parseResponse(many.data)?.status, 431);
    const fits = await rawExchange(ports.nSmall, [`GET /small-fits HTTP/1.1\r\nhost: test\r\nconnection: close\r\n${H(8)}\r\n`]);
    assert.equal(parseResponse(fits.data)?.status, 200);
    assert.equal(await stat(ports.admin, 'http.nSmall.downstream_cx_protocol_error'), 2);
    assert.ok(!upstreamSaw('small-big') && !upstreamSaw('small-many'));
  });
});

describe('uWebSockets.js engine: what the client sees', () => {
  // Heads nuncio's uWS handler still sees and rejects as Envoy's codec would.
  const answered: [string, (m: string) => string, number][] = [
    ['duplicate Content-Length (equal)', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\nabc`, 400],
    ['duplicate Content-Length (different)', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ncontent-length: 3\r\ncontent-length: 5\r\n\r\nabcde`, 400],
    ['Transfer-Encoding gzip, chunked', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501],
    ['Transfer-Encoding identity', (m) => `POST /${m} HTTP/1.1\r\nhost: test\r\ntransfer-encoding: identity\r\n\r\n`, 501],
    ['DEL in a value', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nfoo: b\x7fr\r\n\r\n`, 400],
    ['two Host headers', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nhost: other\r\n\r\n`, 400],
    ['head over max_request_headers_kb (60) in one read', (m) => `GET /${m} HTTP/1.1\r\nhost: test\r\nbig: ${'a'.repeat(61 * 1024)}\r\n\r\n`, 431],
  ];
  let n = 0;
  for (const [name, bytes, status] of answered) {
    test(`${name}: ${status} from nuncio's handler, closed, downstream_cx_protocol_error`, async () => {
      const marker = `u${n++}-${name.replace(/\W+/g, '_')}`;
      const before = await stat(ports.admin, 'http.uDef.downstream_cx_protocol_error');
      const r = await rawExchange(ports.uDef, [bytes(marker)]);
      const res = parseResponse(r.data);
      assert.ok(res, `no HTTP response: ${JSON.stringify(r.data.slice(0, 200))}`);
      assert.equal(res.status, status);
      assert.equal(res.body, TEXT[status]);
      assert.ok(r.closed, 'connection left open');
      assert.equal(await stat(ports.admin, 'http.uDef.downstream_cx_protocol_error'), before + 1);
      assert.ok(!upstreamSaw(marker));
      await stillServes(ports.uDef);
    });
  }

  test('uWS closes at once without a response: invalid or unknown method, CL+TE, malformed Content-Length, bad chunk size, a 5 KiB head split across reads', async () => {
    // [name, bytes, requests that reached nuncio]. A malformed Content-Length reaches the handler, which
    // rejects it (counted, never proxied), but uWS closes the connection before the 400 goes out; a bad
    // chunk comes after a valid head.
    const cases: [string, (string | Buffer)[], number][] = [
      ['G@T', ['G@T /uc-method HTTP/1.1\r\nhost: test\r\n\r\n'], 0],
      ['FOO', ['FOO /uc-unknown HTTP/1.1\r\nhost: test\r\n\r\n'], 0],
      ['CL+TE', ['POST /uc-clte HTTP/1.1\r\nhost: test\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'], 0],
      ['split 5 KiB head', [`GET /uc-split HTTP/1.1\r\nhost: test\r\nbig: ${'a'.repeat(2500)}`, `${'a'.repeat(2500)}\r\n\r\n`], 0],
      ['non-numeric Content-Length', ['POST /uc-cl HTTP/1.1\r\nhost: test\r\ncontent-length: 3x\r\n\r\nabc'], 1],
      ['negative Content-Length', ['POST /uc-negcl HTTP/1.1\r\nhost: test\r\ncontent-length: -1\r\n\r\nabc'], 1],
      ['bad chunk', ['POST /uc-chunk HTTP/1.1\r\nhost: test\r\ntransfer-encoding: chunked\r\n\r\n', 'zz\r\nabc\r\n0\r\n\r\n'], 1],
    ];
    const errorsBefore = await stat(ports.admin, 'http.uDef.downstream_cx_protocol_error');
    for (const [name, parts, reached] of cases) {
      const before = await stat(ports.admin, 'http.uDef.downstream_rq_total');
      const r = await rawExchange(ports.uDef, parts, { gapMs: 50, ms: 3000 });
      assert.ok(r.closed, `${name}: still open`);
      assert.equal(r.data, '', `${name}: got ${JSON.stringify(r.data.slice(0, 100))}`);
      assert.equal(await stat(ports.admin, 'http.uDef.downstream_rq_total'), before + reached, name);
    }
    assert.equal(await stat(ports.admin, 'http.uDef.downstream_cx_protocol_error'), errorsBefore + 2, 'the two Content-Length rejections');
    assert.ok(seen.filter((x) => x.url.startsWith('/uc-')).every((x) => x.url === '/uc-chunk'));
    // The same 5 KiB head in one read is fine.
    const one = await rawExchange(ports.uDef, [`GET /uc-one-read HTTP/1.1\r\nhost: test\r\nconnection: close\r\nbig: ${'a'.repeat(5000)}\r\n\r\n`]);
    assert.equal(parseResponse(one.data)?.status, 200);
    await stillServes(ports.uDef);
  });

  test('uWS silently stalls (no response; closed by its ~10 s idle timeout) on heads Envoy answers 400/426', { timeout: 40_000 }, async () => {
    const cases: [string, string][] = [
      ['HTTP/1.0', 'GET /us-http10 HTTP/1.0\r\nhost: test\r\n\r\n'],
      ['HTTP/1.2', 'GET /us-v12 HTTP/1.2\r\nhost: test\r\n\r\n'],
      ['space in target', 'GET /us-a b HTTP/1.1\r\nhost: test\r\n\r\n'],
      ['absolute-form target', 'GET http://test/us-abs HTTP/1.1\r\nhost: test\r\n\r\n'],
      ['missing Host', 'GET /us-nohost HTTP/1.1\r\n\r\n'],
      ['space in header name', 'GET /us-name HTTP/1.1\r\nhost: test\r\nfo o: bar\r\n\r\n'],
      ['underscore in header name (ALLOW, the default)', 'GET /us-underscore HTTP/1.1\r\nhost: test\r\nfoo_bar: baz\r\n\r\n'],
      ['control character in value', 'GET /us-ctl HTTP/1.1\r\nhost: test\r\nfoo: b\x01r\r\n\r\n'],
      ['obsolete line folding', 'GET /us-fold HTTP/1.1\r\nhost: test\r\nfoo: bar\r\n baz\r\n\r\n'],
      ['bare LF', 'GET /us-barelf HTTP/1.1\nhost: test\n\n'],
      ['49 header fields', `GET /us-49 HTTP/1.1\r\nhost: test\r\n${H(48)}\r\n`],
      ['101 header fields', `GET /us-101 HTTP/1.1\r\nhost: test\r\n${H(100)}\r\n`],
    ];
    const before = await stat(ports.admin, 'http.uDef.downstream_rq_total');
    const results = await Promise.all(cases.map(([, bytes]) => rawExchange(ports.uDef, [bytes], { ms: 20_000 })));
    results.forEach((r, i) => {
      assert.equal(r.data, '', `${cases[i][0]}: ${JSON.stringify(r.data.slice(0, 80))}`);
      assert.ok(r.closed, `${cases[i][0]}: not closed within 20 s`);
      assert.ok(r.ms >= 5000, `${cases[i][0]}: closed after ${r.ms} ms, not by the idle timeout`);
    });
    assert.equal(await stat(ports.admin, 'http.uDef.downstream_rq_total'), before);
    assert.ok(!upstreamSaw('/us-'));
    // 48 fields (Host included) still pass.
    const ok = await rawExchange(ports.uDef, [`GET /us-48 HTTP/1.1\r\nhost: test\r\nconnection: close\r\n${H(46)}\r\n`]);
    assert.equal(parseResponse(ok.data)?.status, 200);
  });

  test('chunk-size lines ending in a bare LF are accepted by uWS (the node engine answers 400)', async () => {
    const r = await rawExchange(ports.uDef, ['POST /u-chunk-lf HTTP/1.1\r\nhost: test\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n3\nabc\n0\n\n']);
    const res = parseResponse(r.data);
    assert.equal(res?.status, 200);
    assert.equal(JSON.parse(res!.body).received, 3);
  });

  test('smaller limits: max_request_headers_kb 2 and max_headers_count 10 give 431 from the handler', async () => {
    const big = await rawExchange(ports.uSmall, [`GET /usmall-big HTTP/1.1\r\nhost: test\r\nbig: ${'a'.repeat(2100)}\r\n\r\n`]);
    assert.equal(parseResponse(big.data)?.status, 431);
    const many = await rawExchange(ports.uSmall, [`GET /usmall-many HTTP/1.1\r\nhost: test\r\n${H(10)}\r\n`]);
    assert.equal(parseResponse(many.data)?.status, 431);
    const fits = await rawExchange(ports.uSmall, [`GET /usmall-fits HTTP/1.1\r\nhost: test\r\nconnection: close\r\n${H(8)}\r\n`]);
    assert.equal(parseResponse(fits.data)?.status, 200);
    assert.equal(await stat(ports.admin, 'http.uSmall.downstream_cx_protocol_error'), 2);
    assert.ok(!upstreamSaw('usmall-big') && !upstreamSaw('usmall-many'));
  });
});

describe('headers_with_underscores_action', () => {
  test('REJECT_REQUEST (node engine): 400, closed, http1.requests_rejected_with_underscores_in_headers', async () => {
    const r = await rawExchange(ports.nRej, ['GET /underscore-reject HTTP/1.1\r\nhost: test\r\nfoo_bar: baz\r\n\r\n']);
    const res = parseResponse(r.data);
    assert.equal(res?.status, 400);
    assert.equal(res?.body, 'Bad Request');
    assert.ok(r.closed);
    assert.equal(await stat(ports.admin, 'http1.requests_rejected_with_underscores_in_headers'), 1);
    assert.equal(await stat(ports.admin, 'http.nRej.downstream_cx_protocol_error'), 1);
    assert.ok(!upstreamSaw('underscore-reject'));
    await stillServes(ports.nRej);
  });

  test('REJECT_REQUEST over HTTP/2: the stream is reset, http2.requests_rejected_with_underscores_in_headers', async () => {
    await assert.rejects(h2get(`http://127.0.0.1:${ports.nRej}`, '/underscore-h2', { foo_bar: 'baz' }), /RST_STREAM|NGHTTP2|stream/i);
    assert.equal(await stat(ports.admin, 'http2.requests_rejected_with_underscores_in_headers'), 1);
    assert.ok(!upstreamSaw('underscore-h2'));
    assert.equal((await h2get(`http://127.0.0.1:${ports.nRej}`, '/h2-after')).status, 200);
  });

  test('DROP_HEADER: forwarded without the field, http1./http2.dropped_headers_with_underscores', async () => {
    const r = await get(`http://127.0.0.1:${ports.nDrop}/drop1`, { headers: { foo_bar: 'x', 'x_y_z': 'y', ok: 'kept' } });
    assert.equal(r.status, 200);
    const h = JSON.parse(r.body).headers;
    assert.equal(h.foo_bar, undefined);
    assert.equal(h.x_y_z, undefined);
    assert.equal(h.ok, 'kept');
    assert.equal(await stat(ports.admin, 'http1.dropped_headers_with_underscores'), 2);
    const r2 = await h2get(`http://127.0.0.1:${ports.nDrop}`, '/drop2', { foo_bar: 'x', ok: 'kept' });
    assert.equal(r2.status, 200);
    assert.equal(JSON.parse(r2.body).headers.foo_bar, undefined);
    assert.equal(await stat(ports.admin, 'http2.dropped_headers_with_underscores'), 1);
  });
});

describe('HTTP1 listeners whose settings uWS cannot honour run on the node engine', () => {
  test('headers_with_underscores_action REJECT_REQUEST / DROP_HEADER on codec HTTP1: 400 and dropped, as Envoy', async () => {
    const rejected = await stat(ports.admin, 'http1.requests_rejected_with_underscores_in_headers');
    const r = await rawExchange(ports.uRej, ['GET /u-underscore-reject HTTP/1.1\r\nhost: test\r\nfoo_bar: baz\r\n\r\n']);
    assert.equal(parseResponse(r.data)?.status, 400);
    assert.ok(r.closed);
    assert.equal(await stat(ports.admin, 'http1.requests_rejected_with_underscores_in_headers'), rejected + 1);
    assert.ok(!upstreamSaw('u-underscore-reject'));
    const dropped = await stat(ports.admin, 'http1.dropped_headers_with_underscores');
    const d = await get(`http://127.0.0.1:${ports.uFwd}/u-drop`, { headers: { foo_bar: 'x', ok: 'kept' } });
    assert.equal(d.status, 200);
    assert.equal(JSON.parse(d.body).headers.foo_bar, undefined);
    assert.equal(JSON.parse(d.body).headers.ok, 'kept');
    assert.equal(await stat(ports.admin, 'http1.dropped_headers_with_underscores'), dropped + 1);
    // And no uWS on them: the head uWS would stall on gets the node engine's 400 at once.
    const bad = await rawExchange(ports.uRej, ['GET /u-fold HTTP/1.1\r\nhost: test\r\nfoo: bar\r\n baz\r\n\r\n']);
    assert.equal(parseResponse(bad.data)?.status, 400);
  });
});

describe('path normalisation', () => {
  test('a fragment in the path: 400 on both engines, downstream_rq_failed_path_normalization', async () => {
    for (const [port, prefix] of [
      [ports.nDef, 'nDef'],
      [ports.uDef, 'uDef'],
    ] as const) {
      const r = await rawExchange(port, ['GET /frag#x HTTP/1.1\r\nhost: test\r\n\r\n']);
      const res = parseResponse(r.data);
      assert.equal(res?.status, 400, prefix);
      assert.equal(res?.body, '');
      assert.equal(await stat(ports.admin, `http.${prefix}.downstream_rq_failed_path_normalization`), 1, prefix);
      await stillServes(port);
    }
    assert.ok(!upstreamSaw('/frag'));
  });

  test('REJECT_REQUEST for escaped slashes: 400 (HTTP/1.1 on both engines, HTTP/2)', async () => {
    for (const [port, prefix] of [
      [ports.nRej, 'nRej'],
      [ports.uRej, 'uRej'],
    ] as const) {
      const r = await rawExchange(port, ['GET /a%2Fb HTTP/1.1\r\nhost: test\r\n\r\n']);
      assert.equal(parseResponse(r.data)?.status, 400, prefix);
      assert.equal(await stat(ports.admin, `http.${prefix}.downstream_rq_failed_path_normalization`), 1, prefix);
      // %2F in the query is not a path separator.
      const q = await get(`http://127.0.0.1:${port}/q?x=%2F`);
      assert.equal(q.status, 200);
    }
    const h2 = await h2get(`http://127.0.0.1:${ports.nRej}`, '/h2%5cx');
    assert.equal(h2.status, 400);
    assert.equal(await stat(ports.admin, 'http.nRej.downstream_rq_failed_path_normalization'), 2);
  });

  test('normalize_path: dot segments resolved, unreserved escapes decoded; an encoded NUL is 400', async () => {
    for (const port of [ports.nRej, ports.uRej]) {
      const r = await get(`http://127.0.0.1:${port}/x/./y/../%7Euser/%41b`);
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).url, '/x/~user/Ab');
    }
    const bad = await rawExchange(ports.nRej, ['GET /a/%00/b HTTP/1.1\r\nhost: test\r\n\r\n']);
    assert.equal(parseResponse(bad.data)?.status, 400);
    const badU = await rawExchange(ports.uRej, ['GET /a/%00/b HTTP/1.1\r\nhost: test\r\n\r\n']);
    assert.equal(parseResponse(badU.data)?.status, 400);
    assert.ok(!upstreamSaw('%00'));
  });

  test('UNESCAPE_AND_REDIRECT: 307 to the unescaped (and merged) path, downstream_rq_redirected_with_normalized_path', async () => {
    const r = await get(`http://127.0.0.1:${ports.nDrop}/a%2F%2Fb?q=%2F`);
    assert.equal(r.status, 307);
    assert.equal(r.headers.location, '/a/b?q=%2F');
    assert.equal(await stat(ports.admin, 'http.nDrop.downstream_rq_redirected_with_normalized_path'), 1);
    // gRPC clients cannot follow redirects: Envoy rejects instead.
    const g = await get(`http://127.0.0.1:${ports.nDrop}/svc%2FMethod`, { method: 'POST', headers: { 'content-type': 'application/grpc' }, body: '' });
    assert.equal(g.status, 400);
    assert.equal(await stat(ports.admin, 'http.nDrop.downstream_rq_failed_path_normalization'), 1);
    const h2 = await h2get(`http://127.0.0.1:${ports.nDrop}`, '/h2%2fredirect');
    assert.equal(h2.status, 307);
    assert.equal(h2.headers.location, '/h2/redirect');
  });

  test('UNESCAPE_AND_FORWARD with normalize_path and merge_slashes (both engines, HTTP/2)', async () => {
    for (const port of [ports.nFwd, ports.uFwd]) {
      const r = await get(`http://127.0.0.1:${port}/x/..//a%2F..%2fb/./c?y=//z`);
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).url, '/b/c?y=//z');
    }
    const h2 = await h2get(`http://127.0.0.1:${ports.nFwd}`, '/p%5Cq//r');
    assert.equal(h2.status, 200);
    assert.equal(JSON.parse(h2.body).url, '/p/q/r');
  });
});
