// Incremental parsing: a message stream gives the same events however it is cut into chunks, and the
// size limits hold at their exact boundaries whether the head arrives whole or in pieces.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytes, feed, splitAt, LIMITS, Recorder, type Event } from './recorder.js';
import { H1Parser } from '../../../../core/http/h1/parser.js';

type Kind = 'request' | 'response';

const STREAMS: [string, Kind, string][] = [
  [
    'nginx keep-alive response',
    'response',
    'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Thu, 26 Nov 2026 10:00:00 GMT\r\n' +
      'Content-Type: application/json\r\nContent-Length: 60\r\nConnection: keep-alive\r\n\r\n' +
      '{"id":12345,"name":"nuncio","ok":true,"items":[1,2,3,4,5,6]}',
  ],
  [
    'chunked with extensions and trailers',
    'response',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n' +
      '5;x=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Sum: 42\r\nX-Other: a b\r\n\r\n',
  ],
  [
    'pipelined: interim, 204, chunked, length, with empty lines between',
    'response',
    'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n' +
      '\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz',
  ],
  ['bare LF head', 'response', 'HTTP/1.1 301 Moved\nLocation: /x\nContent-Length: 0\n\nHTTP/1.1 200 OK\n\n'],
  [
    'pipelined requests with bodies',
    'request',
    'GET /a?b=c HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n' +
      'POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello' +
      'PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nT: 1\r\n\r\n' +
      'OPTIONS * HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
  ],
  [
    'websocket upgrade request followed by frames',
    'request',
    'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x02hi',
  ],
];

/** Events of a run plus whether it ended in an error, for comparison across chunkings. */
function run(kind: Kind, chunks: string[], finish = true): Event[] {
  return feed(kind, chunks, { finish }).rec.events;
}

for (const [name, kind, stream] of STREAMS) {
  test(`same events at every split point and byte by byte: ${name}`, () => {
    const expected = run(kind, [stream]);
    assert.equal(expected.some((e) => e.type === 'error'), false);
    for (let at = 1; at < stream.length; at++) {
      assert.deepEqual(run(kind, splitAt(stream, at)), expected, `split at ${at}`);
    }
    assert.deepEqual(run(kind, bytes(stream)), expected, 'byte by byte');
    // Every pair of split points (three chunks) for the shorter streams.
    if (stream.length <= 160) {
      for (let a = 1; a < stream.length; a++) {
        for (let b = a + 1; b < stream.length; b++) {
          const chunks = [stream.slice(0, a), stream.slice(a, b), stream.slice(b)];
          assert.deepEqual(run(kind, chunks), expected, `split at ${a} and ${b}`);
        }
      }
    }
  });
}

test('maxHeaderBytes is exact: a head of that many bytes passes, one more fails, whole or split', () => {
  const head = 'HTTP/1.1 200 OK\r\nX-Pad: ' + 'p'.repeat(100) + '\r\nContent-Length: 0\r\n\r\n';
  const exact = { maxHeaderBytes: head.length, maxHeaders: 10 };
  const short = { maxHeaderBytes: head.length - 1, maxHeaders: 10 };
  const chunkings = [[head], ...Array.from({ length: head.length - 1 }, (_, i) => splitAt(head, i + 1)), bytes(head)];
  for (const chunks of chunkings) {
    const ok = feed('response', chunks, { limits: exact });
    assert.equal(ok.rec.error(), null, JSON.stringify(chunks.map((c) => c.length)));
    assert.equal(ok.rec.heads().length, 1);
    const bad = feed('response', chunks, { limits: short });
    assert.equal(bad.rec.error(), 'HPE_HEADER_OVERFLOW', JSON.stringify(chunks.map((c) => c.length)));
  }
});

test('an unterminated head fails at the limit instead of buffering forever', () => {
  const limits = { maxHeaderBytes: 1024, maxHeaders: 10 };
  const r = feed('request', ['GET / HTTP/1.1\r\nX: ', ...Array.from({ length: 200 }, () => 'aaaaaaaaaa')], { limits });
  assert.equal(r.rec.error(), 'HPE_HEADER_OVERFLOW');
  const one = feed('request', ['GET / HTTP/1.1\r\nX: ' + 'a'.repeat(5000)], { limits });
  assert.equal(one.rec.error(), 'HPE_HEADER_OVERFLOW');
});

test('maxHeaders is exact, for heads and for trailers', () => {
  const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join('');
  const limits = { maxHeaderBytes: 8192, maxHeaders: 5 };
  assert.equal(feed('response', [`HTTP/1.1 200 OK\r\n${fields(5)}\r\n`], { limits }).rec.error(), null);
  assert.equal(feed('response', [`HTTP/1.1 200 OK\r\n${fields(6)}\r\n`], { limits }).rec.error(), 'HPE_TOO_MANY_HEADERS');
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n';
  const ok = feed('response', [`${chunked}${fields(5)}\r\n`], { limits });
  assert.equal(ok.rec.error(), null);
  assert.equal((ok.rec.events[ok.rec.events.length - 1] as { trailers: string[] }).trailers.length, 10);
  assert.equal(feed('response', [`${chunked}${fields(6)}\r\n`], { limits }).rec.error(), 'HPE_TOO_MANY_HEADERS');
});

test('trailer sections are bounded by maxHeaderBytes too', () => {
  const limits = { maxHeaderBytes: 64, maxHeaders: 10 };
  const pre = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n';
  const trailer = 'X: ' + 'a'.repeat(57) + '\r\n\r\n'; // 64 bytes
  assert.equal(feed('response', [pre + trailer], { limits }).rec.error(), null);
  assert.equal(feed('response', [pre, ...bytes(trailer)], { limits }).rec.error(), null);
  const over = 'X: ' + 'a'.repeat(58) + '\r\n\r\n';
  assert.equal(feed('response', [pre + over], { limits }).rec.error(), 'HPE_HEADER_OVERFLOW');
  assert.equal(feed('response', [pre, ...bytes(over)], { limits }).rec.error(), 'HPE_HEADER_OVERFLOW');
});

test('endless empty lines between messages are bounded', () => {
  const r = feed('response', ['\r\n'.repeat(5000)], { limits: { maxHeaderBytes: 8192, maxHeaders: 10 } });
  assert.equal(r.rec.error(), 'HPE_HEADER_OVERFLOW');
});

// ---- property tests -----------------------------------------------------------------------------

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&\'*+.^`|~');
const name = fc.string({ unit: tokenChar, minLength: 1, maxLength: 20 }).filter((n) => {
  const l = n.toLowerCase();
  return l !== 'content-length' && l !== 'transfer-encoding' && l !== 'connection' && l !== 'upgrade';
});
const valueChar = fc.oneof(
  fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
  fc.constant(' '),
);
const value = fc.string({ unit: valueChar, maxLength: 40 }).map((v) => v.trim());
const fields = fc.array(fc.tuple(name, value), { maxLength: 12 });
const body = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 });

/** A response with random fields, framed by Content-Length or chunked (random chunk sizes, maybe trailers). */
const response = fc
  .record({
    status: fc.constantFrom(200, 201, 404, 500, 204, 304, 100),
    fields,
    body,
    chunked: fc.boolean(),
    cuts: fc.array(fc.nat({ max: 80 }), { maxLength: 4 }),
    trailers: fc.array(fc.tuple(name, value), { maxLength: 3 }),
    lf: fc.boolean(),
  })
  .map(({ status, fields: fs, body: b, chunked, cuts, trailers, lf }) => {
    const eol = lf ? '\n' : '\r\n';
    let s = `HTTP/1.1 ${status} Reason${eol}` + fs.map(([n, v]) => `${n}: ${v}${eol}`).join('');
    if (status === 204 || status === 304 || status === 100) return s + eol;
    if (!chunked) return s + `Content-Length: ${b.length}${eol}${eol}` + b;
    s += `Transfer-Encoding: chunked${eol}${eol}`;
    const points = [...new Set(cuts.filter((c) => c > 0 && c < b.length))].sort((x, y) => x - y);
    let prev = 0;
    for (const p of [...points, b.length]) {
      if (p > prev) s += `${(p - prev).toString(16)}\r\n${b.slice(prev, p)}\r\n`;
      prev = p;
    }
    return s + '0\r\n' + trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('') + '\r\n';
  });

/** Cuts `s` at the given fractions into chunks. */
function chunkAt(s: string, fractions: number[]): string[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * s.length)))].filter((p) => p > 0 && p < s.length).sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of [...points, s.length]) {
    out.push(s.slice(prev, p));
    prev = p;
  }
  return out;
}

test('property: generated responses (pipelined) parse without error and identically in any chunking', () => {
  fc.assert(
    fc.property(
      fc.array(response, { minLength: 1, maxLength: 3 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
      (msgs, fractions) => {
        const stream = msgs.join('');
        const whole = run('response', [stream]);
        assert.equal(whole.some((e) => e.type === 'error'), false, JSON.stringify(stream));
        assert.equal(whole.filter((e) => e.type === 'done').length, msgs.length);
        assert.deepEqual(run('response', chunkAt(stream, fractions)), whole);
      },
    ),
    { numRuns: 400 },
  );
});

test('property: arbitrary bytes never throw, and any chunking agrees on success events or on failing', () => {
  const alphabet = fc.constantFrom(
    'HTTP/1.1 ', '200 OK', 'GET / HTTP/1.1', '\r\n', '\n', '\r', ' ', ':', 'Content-Length: 3',
    'Transfer-Encoding: chunked', 'Connection: close', '0', '5', ';x', 'abc', '\x00', '\t', '\xff', 'X-A: b',
  );
  fc.assert(
    fc.property(
      fc.constantFrom<Kind>('request', 'response'),
      fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
      (kind, stream, fractions) => {
        const whole = run(kind, [stream]);
        const split = run(kind, chunkAt(stream, fractions));
        const wholeFailed = whole.some((e) => e.type === 'error');
        const splitFailed = split.some((e) => e.type === 'error');
        assert.equal(splitFailed, wholeFailed);
        const ok = (evs: Event[]) => evs.filter((e) => e.type !== 'error');
        if (!wholeFailed) assert.deepEqual(split, whole);
        else {
          // Events before the error agree as far as the shorter run got (an error can surface later
          // when a split head only gets parsed once its blank line or the EOF arrives).
          const a = ok(whole);
          const b = ok(split);
          const n = Math.min(a.length, b.length) - 1; // the last body event may be cut differently
          assert.deepEqual(b.slice(0, Math.max(0, n)), a.slice(0, Math.max(0, n)));
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('parsers of one thread interleaved chunk by chunk give each its own heads (field offsets are shared scratch)', () => {
  // A second parser with a higher field limit grows the shared scratch while the first is mid-head.
  const a = new Recorder();
  const b = new Recorder();
  const pa = new H1Parser('request', a, LIMITS);
  const pb = new H1Parser('response', b, { maxHeaderBytes: 65536, maxHeaders: 300 });
  const reqA = 'GET /a HTTP/1.1\r\nHost: a.example\r\nX-One: 1\r\nX-Two: 22\r\n\r\n';
  const many = Array.from({ length: 250 }, (_, i) => `X-F${i}: v${i}\r\n`).join('');
  const resB = `HTTP/1.1 200 OK\r\n${many}Content-Length: 2\r\n\r\nok`;
  const ca = bytes(reqA);
  const cb = [resB.slice(0, 40), resB.slice(40, 3000), resB.slice(3000)];
  for (let i = 0; i < Math.max(ca.length, cb.length); i++) {
    if (i < ca.length) assert.equal(pa.execute(Buffer.from(ca[i], 'latin1')), 1);
    if (i < cb.length) pb.execute(Buffer.from(cb[i], 'latin1'));
  }
  assert.deepEqual(a.heads().map((h) => [h.method, h.target, h.headers]), [['GET', '/a', ['host', 'a.example', 'x-one', '1', 'x-two', '22']]]);
  const hb = b.heads();
  assert.equal(hb.length, 1);
  assert.equal(hb[0].headers.length, 251 * 2);
  assert.deepEqual(hb[0].headers.slice(0, 4), ['x-f0', 'v0', 'x-f1', 'v1']);
  assert.deepEqual(hb[0].headers.slice(-4), ['x-f249', 'v249', 'content-length', '2']);
  assert.deepEqual(b.bodies(), ['ok']);
  // And the first parser still parses its next head whole.
  const reqA2 = 'POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n';
  pa.execute(Buffer.from(reqA2, 'latin1'));
  assert.deepEqual(a.heads()[1].headers, ['host', 'a', 'content-length', '0']);
});
