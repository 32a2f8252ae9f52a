import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CRLF,
  LAST_CHUNK,
  chunkHeader,
  isFieldValue,
  isToken,
  serializeRequestHead,
  serializeResponseHead,
} from '../../../../core/http/h1/serialize.js';
import { feed } from './recorder.js';

test('serializeRequestHead writes the request line, fields in order, and the blank line', () => {
  const s = serializeRequestHead('POST', '/a?b=1', ['host', 'example.com', 'content-length', '3', 'x-multi', 'one', 'x-multi', 'two']);
  assert.equal(
    s,
    'POST /a?b=1 HTTP/1.1\r\nhost: example.com\r\ncontent-length: 3\r\nx-multi: one\r\nx-multi: two\r\n\r\n',
  );
  assert.equal(serializeRequestHead('GET', '/', []), 'GET / HTTP/1.1\r\n\r\n');
});

test('a serialized request head parses back to the same method, target and fields', () => {
  const headers = ['host', 'h:1', 'x-latin1', 'caf\xe9', 'content-length', '5', 'empty', ''];
  const { rec } = feed('request', [serializeRequestHead('PUT', 'http://h:1/p', headers) + 'hello']);
  assert.equal(rec.error(), null);
  const h = rec.heads()[0];
  assert.equal(h.method, 'PUT');
  assert.equal(h.target, 'http://h:1/p');
  assert.deepEqual(h.headers, headers);
  assert.deepEqual(rec.bodies(), ['hello']);
});

test('serializeResponseHead uses the standard reason phrase and parses back', () => {
  const s = serializeResponseHead(503, ['content-length', '0', 'server', 'envoy']);
  assert.equal(s, 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nserver: envoy\r\n\r\n');
  assert.equal(serializeResponseHead(200, [], 0), 'HTTP/1.0 200 OK\r\n\r\n');
  const { rec } = feed('response', [s]);
  assert.equal(rec.heads()[0].status, 503);
  assert.deepEqual(rec.heads()[0].headers, ['content-length', '0', 'server', 'envoy']);
});

test('chunk framing helpers produce a body the parser accepts', () => {
  assert.equal(chunkHeader(255), 'ff\r\n');
  const head = serializeResponseHead(200, ['transfer-encoding', 'chunked']);
  const body = chunkHeader(5) + 'hello' + CRLF + chunkHeader(0x1f) + 'x'.repeat(0x1f) + CRLF + LAST_CHUNK;
  const { rec } = feed('response', [head + body]);
  assert.equal(rec.error(), null);
  assert.deepEqual(rec.bodies(), ['hello' + 'x'.repeat(0x1f)]);
  assert.deepEqual(rec.events.map((e) => e.type), ['head', 'body', 'done']);
});

test('isToken accepts tchar names and refuses separators, spaces, controls and non-ASCII', () => {
  for (const ok of ['content-type', 'X-Custom_1', "!#$%&'*+-.^_`|~"]) assert.equal(isToken(ok), true, ok);
  for (const bad of ['', 'a b', 'a:b', 'a\r\nb', '(x)', 'caf\xe9', 'a\u0100', 'a\x00']) assert.equal(isToken(bad), false, JSON.stringify(bad));
});

test('isFieldValue refuses CR, LF, NUL, other controls, non-latin1 and edge whitespace', () => {
  for (const ok of ['', 'text/html; charset=utf-8', 'a\tb', 'caf\xe9', '"quoted"']) assert.equal(isFieldValue(ok), true, ok);
  for (const bad of ['a\r\nx-injected: 1', 'a\nb', 'a\rb', 'a\x00', '\x7f', 'a\u20ac', ' lead', 'trail\t']) {
    assert.equal(isFieldValue(bad), false, JSON.stringify(bad));
  }
});
