import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  H1_CHUNKED,
  H1_CONNECTION_UPGRADE,
  H1_EXPECT_CONTINUE,
  H1_HAS_UPGRADE_HEADER,
  H1_KEEP_ALIVE,
  H1_NO_BODY,
  H1_UPGRADE,
} from '../../../../core/http/h1/parser.js';
import { KNOWN_METHODS } from '../../../../core/http/h1/methods.js';
import { feed } from './recorder.js';

test('curl-style GET: method, origin-form target with query, headers, no body', () => {
  const msg =
    'GET /api/v1/items?limit=10&sort=-date HTTP/1.1\r\n' +
    'Host: example.com:8080\r\n' +
    'User-Agent: curl/8.5.0\r\n' +
    'Accept: */*\r\n' +
    '\r\n';
  const { rec, consumed } = feed('request', [msg]);
  assert.equal(consumed, msg.length);
  assert.deepEqual(rec.events, [
    {
      type: 'head',
      status: 0,
      method: 'GET',
      target: '/api/v1/items?limit=10&sort=-date',
      versionMinor: 1,
      headers: ['host', 'example.com:8080', 'user-agent', 'curl/8.5.0', 'accept', '*/*'],
      flags: H1_KEEP_ALIVE,
      contentLength: -1,
    },
    { type: 'done', trailers: null },
  ]);
});

test('POST with Content-Length body and Expect: 100-continue', () => {
  const body = '{"hello":"world"}';
  const msg =
    'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${body.length}\r\nExpect: 100-Continue\r\n\r\n${body}`;
  const { rec, consumed } = feed('request', [msg]);
  assert.equal(consumed, msg.length);
  const head = rec.heads()[0];
  assert.equal(head.flags, H1_KEEP_ALIVE | H1_EXPECT_CONTINUE);
  assert.equal(head.contentLength, body.length);
  assert.deepEqual(rec.bodies(), [body]);
  assert.deepEqual(rec.events.map((e) => e.type), ['head', 'body', 'done']);
});

test('a body shorter than its Content-Length leaves the rest to the next message', () => {
  const { rec } = feed('request', ['POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcdGET / HTTP/1.1\r\n\r\n']);
  assert.deepEqual(rec.bodies(), ['abc']);
  assert.equal(rec.error(), 'HPE_INVALID_METHOD'); // "dGET" is not a method
});

test('chunked request body with trailers', () => {
  const msg =
    'PUT /obj HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: Digest\r\n\r\n' +
    '4\r\nWiki\r\n5\r\npedia\r\n0\r\nDigest: sha-256=abc\r\n\r\n';
  const { rec, consumed } = feed('request', [msg]);
  assert.equal(consumed, msg.length);
  assert.equal(rec.heads()[0].flags, H1_KEEP_ALIVE | H1_CHUNKED);
  assert.deepEqual(rec.bodies(), ['Wikipedia']);
  assert.deepEqual(rec.events[rec.events.length - 1], { type: 'done', trailers: ['digest', 'sha-256=abc'] });
});

test('request target forms: absolute, asterisk, authority (CONNECT only)', () => {
  const abs = feed('request', ['GET http://user@example.com:8080/p/a?q=1#frag HTTP/1.1\r\nHost: example.com\r\n\r\n']);
  assert.equal(abs.rec.heads()[0].target, 'http://user@example.com:8080/p/a?q=1#frag');
  const abs2 = feed('request', ['GET svn+ssh://h?x HTTP/1.1\r\n\r\n']);
  assert.equal(abs2.rec.heads()[0].target, 'svn+ssh://h?x');
  const star = feed('request', ['OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n']);
  assert.equal(star.rec.heads()[0].target, '*');
  const v6 = feed('request', ['CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n']);
  assert.equal(v6.rec.heads()[0].target, '[::1]:443');
});

test('CONNECT request: no body, stops after the head so tunnel bytes stay with the caller', () => {
  const head = 'CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\nContent-Length: 0\r\n\r\n';
  const { rec, parser, consumed } = feed('request', [head + '\x16\x03\x01\x02\x00']);
  assert.equal(consumed, head.length);
  assert.equal(parser.upgraded, true);
  const h = rec.heads()[0];
  assert.equal(h.method, 'CONNECT');
  assert.equal(h.flags & (H1_UPGRADE | H1_NO_BODY), H1_UPGRADE | H1_NO_BODY);
  assert.deepEqual(rec.events.map((e) => e.type), ['head', 'done']);
});

test('WebSocket upgrade request stops after the message; reset() resumes HTTP parsing if declined', () => {
  const head =
    'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  const next = 'GET /again HTTP/1.1\r\nHost: a\r\n\r\n';
  const { rec, parser, consumed } = feed('request', [head + next]);
  assert.equal(consumed, head.length);
  assert.equal(parser.upgraded, true);
  const h = rec.heads()[0];
  assert.equal(
    h.flags,
    H1_KEEP_ALIVE | H1_UPGRADE | H1_CONNECTION_UPGRADE | H1_HAS_UPGRADE_HEADER,
  );
  parser.reset();
  assert.equal(parser.execute(Buffer.from(next)), next.length);
  assert.equal(rec.heads()[1].target, '/again');
  // An Upgrade header without "Connection: upgrade" is not an upgrade.
  const plain = feed('request', ['GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n']);
  assert.equal(plain.rec.heads()[0].flags & H1_UPGRADE, 0);
  assert.equal(plain.parser.upgraded, false);
});

test('HTTP/1.0 requests: close unless keep-alive; chunked in 1.0 forces close', () => {
  assert.equal(feed('request', ['GET / HTTP/1.0\r\n\r\n']).rec.heads()[0].flags & H1_KEEP_ALIVE, 0);
  const ka = feed('request', ['GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n']).rec.heads()[0];
  assert.equal(ka.flags & H1_KEEP_ALIVE, H1_KEEP_ALIVE);
  assert.equal(ka.versionMinor, 0);
  const te = feed('request', ['POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n']);
  assert.equal(te.rec.error(), null);
  assert.equal(te.rec.heads()[0].flags & H1_KEEP_ALIVE, 0);
});

test('pipelined requests in one chunk, with leading empty lines between them', () => {
  const msg =
    'GET /1 HTTP/1.1\r\nHost: a\r\n\r\n' +
    'POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\r\n' +
    'DELETE /3 HTTP/1.1\r\nHost: a\r\n\r\n';
  const { rec, consumed } = feed('request', [msg]);
  assert.equal(consumed, msg.length);
  assert.equal(rec.error(), null);
  assert.deepEqual(rec.heads().map((h) => `${h.method} ${h.target}`), ['GET /1', 'POST /2', 'DELETE /3']);
  assert.deepEqual(rec.bodies(), ['abc']);
});

test('every known method is accepted and interned', () => {
  for (const m of KNOWN_METHODS) {
    const target = m === 'CONNECT' ? 'h:1' : '/';
    const { rec } = feed('request', [`${m} ${target} HTTP/1.1\r\n\r\n`]);
    assert.equal(rec.error(), null, m);
    assert.equal(rec.heads()[0].method, m);
  }
});

test('custom methods: rejected by default (as Envoy), accepted with allowCustomMethods', () => {
  assert.equal(feed('request', ['BREW /pot HTTP/1.1\r\n\r\n']).rec.error(), 'HPE_INVALID_METHOD');
  assert.equal(feed('request', ['get / HTTP/1.1\r\n\r\n']).rec.error(), 'HPE_INVALID_METHOD');
  const r = feed('request', ['BREW /pot HTTP/1.1\r\n\r\n'], {
    limits: { maxHeaderBytes: 8192, maxHeaders: 100, allowCustomMethods: true },
  });
  assert.equal(r.rec.error(), null);
  assert.equal(r.rec.heads()[0].method, 'BREW');
});

test('zero Content-Length request completes at the end of its head', () => {
  const { rec } = feed('request', ['POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n']);
  assert.deepEqual(rec.events.map((e) => e.type), ['head', 'done']);
  assert.equal(rec.heads()[0].contentLength, 0);
});

test('request with Connection: close refuses a following pipelined request', () => {
  const { rec } = feed('request', ['GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n']);
  assert.deepEqual(rec.events.map((e) => e.type), ['head', 'done', 'error']);
  assert.equal(rec.error(), 'HPE_CLOSED_CONNECTION');
});
