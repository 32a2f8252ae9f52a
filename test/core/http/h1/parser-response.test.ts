import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  H1_CHUNKED,
  H1_CONNECTION_CLOSE,
  H1_CONNECTION_KEEP_ALIVE,
  H1_CONNECTION_UPGRADE,
  H1_EOF_BODY,
  H1_HAS_UPGRADE_HEADER,
  H1_INTERIM,
  H1_KEEP_ALIVE,
  H1_NO_BODY,
  H1_UPGRADE,
  H1Parser,
} from '../../../../core/http/h1/parser.js';
import { LIMITS, Recorder, feed } from './recorder.js';

const NGINX =
  'HTTP/1.1 200 OK\r\n' +
  'Server: nginx/1.22.1\r\n' +
  'Date: Thu, 26 Nov 2026 10:00:00 GMT\r\n' +
  'Content-Type: application/json\r\n' +
  'Content-Length: 13\r\n' +
  'Connection: keep-alive\r\n' +
  'ETag: "6543-5e1"\r\n' +
  '\r\n' +
  '{"ok": true}\n';

test('typical nginx response: lower-cased names, values, keep-alive, body', () => {
  const { rec, consumed } = feed('response', [NGINX]);
  assert.equal(consumed, NGINX.length);
  assert.deepEqual(rec.events, [
    {
      type: 'head',
      status: 200,
      method: '',
      target: '',
      versionMinor: 1,
      headers: [
        'server', 'nginx/1.22.1',
        'date', 'Thu, 26 Nov 2026 10:00:00 GMT',
        'content-type', 'application/json',
        'content-length', '13',
        'connection', 'keep-alive',
        'etag', '"6543-5e1"',
      ],
      flags: H1_KEEP_ALIVE | H1_CONNECTION_KEEP_ALIVE,
      contentLength: 13,
    },
    { type: 'body', data: '{"ok": true}\n' },
    { type: 'done', trailers: null },
  ]);
});

test('node:http style chunked response with extensions and trailers', () => {
  const msg =
    'HTTP/1.1 200 OK\r\n' +
    'Content-Type: text/plain\r\n' +
    'Trailer: X-Checksum, Server-Timing\r\n' +
    'Date: Thu, 26 Nov 2026 10:00:00 GMT\r\n' +
    'Connection: keep-alive\r\n' +
    'Keep-Alive: timeout=5\r\n' +
    'Transfer-Encoding: chunked\r\n' +
    '\r\n' +
    '5\r\nhello\r\n' +
    '7;name=value;quoted="a b"\r\n, world\r\n' +
    'A\r\n0123456789\r\n' +
    '0\r\n' +
    'X-Checksum: abc123\r\n' +
    'Server-Timing: db;dur=53\r\n' +
    '\r\n';
  const { rec, consumed } = feed('response', [msg]);
  assert.equal(consumed, msg.length);
  const [head] = rec.heads();
  assert.equal(head.flags, H1_KEEP_ALIVE | H1_CHUNKED | H1_CONNECTION_KEEP_ALIVE);
  assert.equal(head.contentLength, -1);
  assert.deepEqual(head.headers.filter((_, i) => i % 2 === 0), [
    'content-type', 'trailer', 'date', 'connection', 'keep-alive', 'transfer-encoding',
  ]);
  assert.deepEqual(rec.bodies(), ['hello, world0123456789']);
  assert.deepEqual(rec.events[rec.events.length - 1], {
    type: 'done',
    trailers: ['x-checksum', 'abc123', 'server-timing', 'db;dur=53'],
  });
});

test('chunked response without trailers completes with null trailers', () => {
  const { rec } = feed('response', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n']);
  assert.deepEqual(rec.bodies(), ['abc']);
  assert.deepEqual(rec.events[rec.events.length - 1], { type: 'done', trailers: null });
});

test('chunk size is hex, case-insensitive, with leading zeros and optional extension whitespace', () => {
  const body = 'x'.repeat(0x1a);
  const msg = `HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n001A ; ext\r\n${body}\r\n0000\r\n\r\n`;
  const { rec } = feed('response', [msg]);
  assert.equal(rec.error(), null);
  assert.deepEqual(rec.bodies(), [body]);
});

test('values: OWS trimmed, inner whitespace kept, empty values, obs-text kept as latin1', () => {
  const msg =
    'HTTP/1.1 200 OK\r\n' +
    'X-Pad: \t  padded value \t \r\n' +
    'X-Empty:\r\n' +
    'X-Empty-Ws:   \r\n' +
    'X-Latin1: caf\xe9\r\n' +
    'X-UPPER-lower: MiXeD\r\n' +
    'Content-Length: 0\r\n' +
    '\r\n';
  const { rec } = feed('response', [msg]);
  assert.deepEqual(rec.heads()[0].headers, [
    'x-pad', 'padded value',
    'x-empty', '',
    'x-empty-ws', '',
    'x-latin1', 'caf\xe9',
    'x-upper-lower', 'MiXeD',
    'content-length', '0',
  ]);
  assert.deepEqual(rec.events.map((e) => e.type), ['head', 'done']);
});

test('status line without reason phrase, with empty reason, and with a long reason', () => {
  for (const line of ['HTTP/1.1 404', 'HTTP/1.1 404 ', 'HTTP/1.1 404 Not Found At All, Sorry\t(really)']) {
    const { rec } = feed('response', [`${line}\r\nContent-Length: 0\r\n\r\n`]);
    assert.equal(rec.error(), null, line);
    assert.equal(rec.heads()[0].status, 404);
  }
});

test('HTTP/1.0 response: close by default, keep-alive when asked, EOF body without length', () => {
  const a = feed('response', ['HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi']);
  assert.equal(a.rec.heads()[0].flags & H1_KEEP_ALIVE, 0);
  assert.equal(a.rec.heads()[0].versionMinor, 0);
  const b = feed('response', ['HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi']);
  assert.equal(b.rec.heads()[0].flags & H1_KEEP_ALIVE, H1_KEEP_ALIVE);
  const c = feed('response', ['HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil ', 'the end'], { finish: true });
  assert.equal(c.rec.heads()[0].flags, H1_EOF_BODY);
  assert.deepEqual(c.rec.bodies(), ['until the end']);
  assert.deepEqual(c.rec.events[c.rec.events.length - 1], { type: 'done', trailers: null });
});

test('close-delimited HTTP/1.1 response completes only at finish()', () => {
  const r = feed('response', ['HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>', '</html>']);
  assert.deepEqual(r.rec.events.map((e) => e.type), ['head', 'body']);
  assert.equal(r.rec.heads()[0].flags, H1_EOF_BODY);
  r.parser.finish();
  assert.deepEqual(r.rec.events.map((e) => e.type), ['head', 'body', 'done']);
  assert.deepEqual(r.rec.bodies(), ['<html></html>']);
  // Nothing can follow: the connection is gone.
  assert.equal(r.parser.execute(Buffer.from('x')), -1);
  assert.equal(r.rec.error(), 'HPE_CLOSED_CONNECTION');
});

test('Connection: close response with a length: complete, then bytes after it are an error', () => {
  const msg = 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx';
  const r = feed('response', [msg]);
  assert.equal(r.rec.heads()[0].flags, H1_CONNECTION_CLOSE);
  assert.deepEqual(r.rec.events.map((e) => e.type), ['head', 'body', 'done']);
  const r2 = feed('response', [msg + 'HTTP/1.1 200 OK\r\n']);
  assert.deepEqual(r2.rec.events.map((e) => e.type), ['head', 'body', 'done', 'error']);
  assert.equal(r2.rec.error(), 'HPE_CLOSED_CONNECTION');
});

test('304 and HEAD answers have no body whatever their framing headers say; 204 with a zero length', () => {
  const cases: [string, string][] = [
    ['HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n', 'content-length 10'],
    ['HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n', 'chunked'],
    ['HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n', 'zero length'],
    ['HTTP/1.1 204 No Content\r\n\r\n', 'no framing'],
  ];
  for (const [first, label] of cases) {
    const { rec } = feed('response', [first + 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz']);
    assert.equal(rec.error(), null, label);
    const heads = rec.heads();
    assert.equal(heads.length, 2, label);
    assert.equal(heads[0].flags & H1_NO_BODY, H1_NO_BODY, label);
    assert.deepEqual(rec.bodies(), ['z'], label);
  }
});

test('1xx and 204 may not carry Transfer-Encoding or a nonzero Content-Length (as Envoy)', () => {
  assert.equal(feed('response', ['HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n']).rec.error(), 'HPE_UNEXPECTED_CONTENT_LENGTH');
  assert.equal(feed('response', ['HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n']).rec.error(), 'HPE_INVALID_TRANSFER_ENCODING');
  assert.equal(feed('response', ['HTTP/1.1 100 Continue\r\nContent-Length: 1\r\n\r\n']).rec.error(), 'HPE_UNEXPECTED_CONTENT_LENGTH');
  assert.equal(feed('response', ['HTTP/1.1 101 Switching Protocols\r\nTransfer-Encoding: chunked\r\n\r\n']).rec.error(), 'HPE_INVALID_TRANSFER_ENCODING');
  assert.equal(feed('response', ['HTTP/1.1 103 Early Hints\r\nContent-Length: 0\r\n\r\n']).rec.error(), null);
});

test('100 Continue and 103 Early Hints are reported as interim messages before the final one', () => {
  const msg =
    'HTTP/1.1 100 Continue\r\n\r\n' +
    'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n' +
    'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';
  const { rec, consumed } = feed('response', [msg]);
  assert.equal(consumed, msg.length);
  const heads = rec.heads();
  assert.deepEqual(heads.map((h) => h.status), [100, 103, 201]);
  assert.equal(heads[0].flags, H1_INTERIM | H1_NO_BODY | H1_KEEP_ALIVE);
  assert.deepEqual(heads[1].headers, ['link', '</style.css>; rel=preload; as=style']);
  assert.deepEqual(rec.events.map((e) => e.type), ['head', 'done', 'head', 'done', 'head', 'body', 'done']);
});

test('HEAD response: expectNoBody, kept across a 100 Continue, cleared after the final response', () => {
  const msg =
    'HTTP/1.1 100 Continue\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nTransfer-Encoding: chunked\r\n\r\n';
  const bad = feed('response', [msg], { setup: (p) => p.expectNoBody() });
  // Content-Length with Transfer-Encoding is refused even on a body-less response.
  assert.equal(bad.rec.error(), 'HPE_UNEXPECTED_CONTENT_LENGTH');

  const ok =
    'HTTP/1.1 100 Continue\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc';
  const { rec } = feed('response', [ok], { setup: (p) => p.expectNoBody() });
  assert.equal(rec.error(), null);
  const heads = rec.heads();
  assert.equal(heads[1].flags & H1_NO_BODY, H1_NO_BODY);
  assert.equal(heads[1].contentLength, 1234);
  assert.equal(heads[2].flags & H1_NO_BODY, 0);
  assert.deepEqual(rec.bodies(), ['abc']);
});

test('pipelined responses in one chunk, the pool marking the second as a HEAD answer from onMessageComplete', () => {
  const msg =
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst' +
    'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nthird\r\n0\r\n\r\n' +
    'HTTP/1.1 204 No Content\r\n\r\n';
  let completed = 0;
  const { rec, consumed } = feed('response', [msg], {
    setup: (p, r) => {
      r.onDone = () => {
        completed++;
        if (completed === 1) p.expectNoBody();
      };
    },
  });
  assert.equal(consumed, msg.length);
  assert.equal(rec.error(), null);
  assert.deepEqual(rec.heads().map((h) => h.status), [200, 200, 200, 204]);
  assert.deepEqual(rec.bodies(), ['first', 'third']);
  assert.equal(completed, 4);
});

test('101 Switching Protocols stops the parser where the tunnel bytes begin', () => {
  const head =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';
  const frame = '\x81\x05hello';
  const { rec, parser, consumed } = feed('response', [head + frame]);
  assert.equal(consumed, head.length);
  assert.equal(parser.upgraded, true);
  const h = rec.heads()[0];
  assert.equal(h.status, 101);
  assert.equal(h.flags & (H1_UPGRADE | H1_CONNECTION_UPGRADE | H1_HAS_UPGRADE_HEADER), H1_UPGRADE | H1_CONNECTION_UPGRADE | H1_HAS_UPGRADE_HEADER);
  assert.deepEqual(rec.events.map((e) => e.type), ['head', 'done']);
  // Further input is not HTTP: nothing is consumed until reset().
  assert.equal(parser.execute(Buffer.from(frame, 'latin1')), 0);
  parser.finish();
  assert.equal(rec.error(), null);
});

test('CONNECT: a 2xx opens a tunnel, a non-2xx is an ordinary response', () => {
  const ok = feed('response', ['HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01'], {
    setup: (p) => p.expectConnect(),
  });
  assert.equal(ok.consumed, 'HTTP/1.1 200 Connection established\r\n\r\n'.length);
  assert.equal(ok.parser.upgraded, true);
  assert.equal(ok.rec.heads()[0].flags & (H1_UPGRADE | H1_NO_BODY), H1_UPGRADE | H1_NO_BODY);

  const denied = feed('response', ['HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\nnope'], {
    setup: (p) => p.expectConnect(),
  });
  assert.equal(denied.parser.upgraded, false);
  assert.deepEqual(denied.rec.bodies(), ['nope']);
});

test('Connection options are parsed as a case-insensitive token list', () => {
  const flagsOf = (v: string) =>
    feed('response', [`HTTP/1.1 200 OK\r\nConnection: ${v}\r\nContent-Length: 0\r\n\r\n`]).rec.heads()[0].flags;
  assert.equal(flagsOf('Close') & (H1_CONNECTION_CLOSE | H1_KEEP_ALIVE), H1_CONNECTION_CLOSE);
  assert.equal(flagsOf('keep-alive, Upgrade'), H1_KEEP_ALIVE | H1_CONNECTION_KEEP_ALIVE | H1_CONNECTION_UPGRADE);
  assert.equal(flagsOf(' ,x-custom ,  CLOSE ,') & H1_CONNECTION_CLOSE, H1_CONNECTION_CLOSE);
  assert.equal(flagsOf('closed, keep-alives') & (H1_CONNECTION_CLOSE | H1_CONNECTION_KEEP_ALIVE), 0);
  // Two Connection fields combine.
  const two = feed('response', ['HTTP/1.1 200 OK\r\nConnection: upgrade\r\nConnection: close\r\nContent-Length: 0\r\n\r\n']);
  assert.equal(two.rec.heads()[0].flags, H1_CONNECTION_UPGRADE | H1_CONNECTION_CLOSE);
});

test('empty lines before a response are skipped', () => {
  const { rec } = feed('response', ['\r\n\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']);
  assert.equal(rec.error(), null);
  assert.equal(rec.heads()[0].status, 200);
});

test('bare LF line ends are accepted in the head (as Envoy does)', () => {
  const { rec } = feed('response', ['HTTP/1.1 200 OK\nContent-Length: 2\nX-A: b\n\nok']);
  assert.equal(rec.error(), null);
  assert.deepEqual(rec.heads()[0].headers, ['content-length', '2', 'x-a', 'b']);
  assert.deepEqual(rec.bodies(), ['ok']);
});

test('finish(): clean when idle, error when a head, a length or a chunked body is cut short', () => {
  const idle = feed('response', ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'], { finish: true });
  assert.equal(idle.rec.error(), null);
  for (const partial of [
    'HTTP/1.1 200 OK\r\nContent-Len',
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 1\r\n',
  ]) {
    const r = feed('response', [partial], { finish: true });
    assert.equal(r.rec.error(), 'HPE_INVALID_EOF_STATE', partial);
    assert.equal(r.parser.dead, true);
  }
});

test('idle reflects whether a message is in progress', () => {
  const rec = new Recorder();
  const p = new H1Parser('response', rec, LIMITS);
  assert.equal(p.idle, true);
  p.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab'));
  assert.equal(p.idle, false);
  p.execute(Buffer.from('c'));
  assert.equal(p.idle, true);
  p.execute(Buffer.from('\r\n'));
  assert.equal(p.idle, false);
});

test('pause() in onMessageComplete stops after that message; resume() and re-feed continue', () => {
  const first = 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na';
  const second = 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb';
  const rec = new Recorder();
  const p = new H1Parser('response', rec, LIMITS);
  rec.onDone = () => p.pause();
  const all = Buffer.from(first + second);
  const n = p.execute(all);
  assert.equal(n, first.length);
  assert.equal(p.execute(all.subarray(n)), 0); // still paused
  p.resume();
  assert.equal(p.execute(all.subarray(n)), second.length);
  assert.deepEqual(rec.bodies(), ['a', 'b']);
});

test('body pieces are views of the input, not copies', () => {
  const input = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody');
  const seen: Buffer[] = [];
  const p = new H1Parser(
    'response',
    {
      onHead() {},
      onBody(chunk) {
        seen.push(chunk);
      },
      onMessageComplete() {},
      onError() {},
    },
    LIMITS,
  );
  p.execute(input);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].buffer, input.buffer);
  assert.equal(seen[0].byteOffset, input.byteOffset + input.length - 4);
  // A chunk that is all body is passed through as is.
  const p2Seen: Buffer[] = [];
  const p2 = new H1Parser('response', { onHead() {}, onBody: (c) => void p2Seen.push(c), onMessageComplete() {}, onError() {} }, LIMITS);
  p2.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n'));
  const tail = Buffer.from('12345678');
  p2.execute(tail);
  assert.equal(p2Seen[0], tail);
});

test('reset() revives a dead parser and clears expectations', () => {
  const r = feed('response', ['NOT HTTP\r\n\r\n'], { setup: (p) => p.expectNoBody() });
  assert.equal(r.rec.error(), 'HPE_INVALID_CONSTANT');
  assert.equal(r.parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), -1);
  r.parser.reset();
  assert.equal(r.parser.errorCode, '');
  const msg = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nq');
  assert.equal(r.parser.execute(msg), msg.length);
  assert.deepEqual(r.rec.bodies(), ['q']);
});

test('a large body arriving in many pieces is delivered in order without copying into the parser', () => {
  const body = Buffer.alloc(100_000, 'x');
  const rec = new Recorder();
  const p = new H1Parser('response', rec, LIMITS);
  p.execute(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`));
  for (let off = 0; off < body.length; off += 7919) p.execute(body.subarray(off, off + 7919));
  assert.equal(rec.bodies()[0].length, body.length);
  assert.deepEqual(rec.events.map((e) => e.type), ['head', 'body', 'done']);
});
