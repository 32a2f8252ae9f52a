// Every input a hardened proxy must refuse, with its stable code; each is also fed at every split point
// and byte by byte, and must fail the same way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { feed, bytes, splitAt } from './recorder.js';

const OK = 'HTTP/1.1 200 OK\r\n';
const CHUNKED = OK + 'Transfer-Encoding: chunked\r\n\r\n';
const POST = 'POST / HTTP/1.1\r\nHost: a\r\n';

type Case = [name: string, kind: 'request' | 'response', input: string, code: string];

const CASES: Case[] = [
  // Status line.
  ['lower-case protocol', 'response', 'http/1.1 200 OK\r\n\r\n', 'HPE_INVALID_CONSTANT'],
  ['not HTTP at all', 'response', 'ICY 200 OK\r\n\r\n', 'HPE_INVALID_CONSTANT'],
  ['HTTP/2.0 status line', 'response', 'HTTP/2.0 200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
  ['HTTP/1.2 status line', 'response', 'HTTP/1.2 200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
  ['HTTP/1.10 status line', 'response', 'HTTP/1.10 200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
  ['truncated version', 'response', 'HTTP/1\r\n\r\n', 'HPE_INVALID_VERSION'],
  ['two spaces before status', 'response', 'HTTP/1.1  200 OK\r\n\r\n', 'HPE_INVALID_STATUS'],
  ['two-digit status', 'response', 'HTTP/1.1 20 OK\r\n\r\n', 'HPE_INVALID_STATUS'],
  ['four-digit status', 'response', 'HTTP/1.1 2000 OK\r\n\r\n', 'HPE_INVALID_STATUS'],
  ['status below 100', 'response', 'HTTP/1.1 099 Low\r\n\r\n', 'HPE_INVALID_STATUS'],
  ['non-numeric status', 'response', 'HTTP/1.1 0x3 Hex\r\n\r\n', 'HPE_INVALID_STATUS'],
  ['signed status', 'response', 'HTTP/1.1 -11 Neg\r\n\r\n', 'HPE_INVALID_STATUS'],
  ['NUL in reason', 'response', 'HTTP/1.1 200 O\x00K\r\n\r\n', 'HPE_INVALID_STATUS'],
  ['lone CR in reason', 'response', 'HTTP/1.1 200 O\rK\r\n\r\n', 'HPE_INVALID_STATUS'],
  ['DEL in reason', 'response', 'HTTP/1.1 200 O\x7fK\r\n\r\n', 'HPE_INVALID_STATUS'],

  // Request line.
  ['lower-case method', 'request', 'get / HTTP/1.1\r\n\r\n', 'HPE_INVALID_METHOD'],
  ['unknown method', 'request', 'BREW / HTTP/1.1\r\n\r\n', 'HPE_INVALID_METHOD'],
  ['non-token method', 'request', 'G@T / HTTP/1.1\r\n\r\n', 'HPE_INVALID_METHOD'],
  ['leading space', 'request', ' GET / HTTP/1.1\r\n\r\n', 'HPE_INVALID_METHOD'],
  ['HTTP/2 preface', 'request', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'HPE_INVALID_METHOD'],
  ['two spaces after method', 'request', 'GET  / HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['HTTP/0.9 request', 'request', 'GET /\r\n\r\n', 'HPE_INVALID_VERSION'],
  ['HTTP/2.0 request', 'request', 'GET / HTTP/2.0\r\n\r\n', 'HPE_INVALID_VERSION'],
  ['lower-case version', 'request', 'GET / http/1.1\r\n\r\n', 'HPE_INVALID_VERSION'],
  ['trailing garbage after version', 'request', 'GET / HTTP/1.1 x\r\n\r\n', 'HPE_INVALID_VERSION'],
  ['space inside target', 'request', 'GET /a b HTTP/1.1\r\n\r\n', 'HPE_INVALID_VERSION'],
  ['obs-text in target', 'request', 'GET /caf\xe9 HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['DEL in target', 'request', 'GET /\x7f HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['tab in target', 'request', 'GET /\t HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['NUL in target', 'request', 'GET /\x00 HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['target without scheme', 'request', 'GET example.com/ HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['scheme without //', 'request', 'GET http:/x HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['empty authority', 'request', 'GET http:///x HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['authority-form on GET', 'request', 'GET host:80 HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['double asterisk', 'request', 'OPTIONS ** HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['CONNECT with a path', 'request', 'CONNECT /path HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['CONNECT without port', 'request', 'CONNECT host HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['CONNECT with empty port', 'request', 'CONNECT host: HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],
  ['CONNECT with bad port', 'request', 'CONNECT host:https HTTP/1.1\r\n\r\n', 'HPE_INVALID_URL'],

  // Field names.
  ['space before colon', 'response', OK + 'Content-Length : 0\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['tab before colon', 'request', POST + 'Transfer-Encoding\t: chunked\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['no colon', 'response', OK + 'X-A b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['empty name', 'response', OK + ': b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['CTL in name', 'response', OK + 'X\x01A: b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['NUL in name', 'request', POST + 'X\x00A: b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['separator in name', 'response', OK + 'X(A): b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['quote in name', 'response', OK + 'X"A: b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['obs-text in name', 'response', OK + 'caf\xe9: b\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['name ends the line', 'response', OK + 'X-A\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],

  // Field values and line structure.
  ['NUL in value', 'response', OK + 'X-A: b\x00c\r\n\r\n', 'HPE_INVALID_HEADER_VALUE'],
  ['CTL in value', 'request', POST + 'X-A: \x1b[31m\r\n\r\n', 'HPE_INVALID_HEADER_VALUE'],
  ['DEL in value', 'response', OK + 'X-A: b\x7f\r\n\r\n', 'HPE_INVALID_HEADER_VALUE'],
  ['vertical tab in value', 'response', OK + 'X-A: b\x0bc\r\n\r\n', 'HPE_INVALID_HEADER_VALUE'],
  ['lone CR in value', 'response', OK + 'X-A: b\rc\r\n\r\n', 'HPE_LF_EXPECTED'],
  ['lone CR ending a value', 'request', POST + 'X-A: b\r\r\n\r\n', 'HPE_LF_EXPECTED'],
  ['lone CR instead of the blank line', 'response', OK + 'X-A: b\r\n\rX\r\n\r\n', 'HPE_LF_EXPECTED'],
  ['lone CR after a bare LF line', 'response', 'HTTP/1.1 200 OK\n\r\r\n\r\n', 'HPE_LF_EXPECTED'],
  ['obs-fold', 'response', OK + 'X-A: b\r\n c\r\n\r\n', 'HPE_OBS_FOLD'],
  ['obs-fold with tab', 'request', POST + 'X-A: b\r\n\tc\r\n\r\n', 'HPE_OBS_FOLD'],
  ['whitespace before the first field', 'response', OK + ' X-A: b\r\n\r\n', 'HPE_OBS_FOLD'],

  // Framing: Content-Length.
  ['CL and TE', 'response', OK + 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
  ['TE and CL (request smuggling)', 'request', POST + 'Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
  ['CL and TE gzip (400 before 501)', 'request', POST + 'Content-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\nabc', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
  ['duplicate equal CL', 'request', POST + 'Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
  ['duplicate different CL', 'response', OK + 'Content-Length: 4\r\ncontent-length: 5\r\n\r\n', 'HPE_UNEXPECTED_CONTENT_LENGTH'],
  ['comma-separated CL', 'response', OK + 'Content-Length: 4, 4\r\n\r\nabcd', 'HPE_INVALID_CONTENT_LENGTH'],
  ['negative CL', 'request', POST + 'Content-Length: -1\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
  ['signed CL', 'request', POST + 'Content-Length: +1\r\n\r\nx', 'HPE_INVALID_CONTENT_LENGTH'],
  ['hex CL', 'response', OK + 'Content-Length: 0x10\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
  ['CL with inner space', 'response', OK + 'Content-Length: 1 2\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
  ['empty CL', 'request', POST + 'Content-Length:\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
  ['CL above 2^53-1', 'response', OK + 'Content-Length: 9007199254740992\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
  ['huge CL', 'response', OK + 'Content-Length: 99999999999999999999999\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
  ['CL on CONNECT', 'request', 'CONNECT h:443 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello', 'HPE_UNEXPECTED_CONTENT_LENGTH'],

  // Framing: Transfer-Encoding.
  ['TE gzip, chunked', 'response', OK + 'Transfer-Encoding: gzip, chunked\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['TE chunked, gzip', 'request', POST + 'Transfer-Encoding: chunked, gzip\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['TE identity', 'response', OK + 'Transfer-Encoding: identity\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['TE xchunked', 'request', POST + 'Transfer-Encoding: xchunked\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['TE chunked twice in one field', 'request', POST + 'Transfer-Encoding: chunked, chunked\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['TE in two fields', 'request', POST + 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['TE chunked then other field', 'request', POST + 'Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['empty TE', 'response', OK + 'Transfer-Encoding:\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],
  ['TE on CONNECT', 'request', 'CONNECT h:443 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n', 'HPE_INVALID_TRANSFER_ENCODING'],

  // Chunked framing.
  ['chunk size not hex', 'response', CHUNKED + 'zz\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ['empty chunk size', 'response', CHUNKED + '\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ['negative chunk size', 'request', POST + 'Transfer-Encoding: chunked\r\n\r\n-1\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ['0x-prefixed chunk size', 'response', CHUNKED + '0x5\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ['chunk size 2^53', 'response', CHUNKED + '20000000000000\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ['chunk size overflowing 64 bits', 'request', POST + 'Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ['space after chunk size without extension', 'response', CHUNKED + '5 \r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ['garbage after chunk-size whitespace', 'response', CHUNKED + '5 x\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
  ['bare LF after chunk size', 'request', POST + 'Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n', 'HPE_CR_EXPECTED'],
  ['lone CR after chunk size', 'response', CHUNKED + '5\rhello\r\n0\r\n\r\n', 'HPE_LF_EXPECTED'],
  ['bare LF in chunk extension', 'request', POST + 'Transfer-Encoding: chunked\r\n\r\n5;a\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_EXTENSION'],
  ['lone CR in chunk extension', 'request', POST + 'Transfer-Encoding: chunked\r\n\r\n5;a\rb\r\nhello\r\n0\r\n\r\n', 'HPE_LF_EXPECTED'],
  ['NUL in chunk extension', 'response', CHUNKED + '5;a=\x00\r\nhello\r\n0\r\n\r\n', 'HPE_INVALID_CHUNK_EXTENSION'],
  ['chunk extensions too long', 'response', CHUNKED + '5;' + 'a'.repeat(17000) + '\r\nhello\r\n0\r\n\r\n', 'HPE_CHUNK_EXTENSIONS_OVERFLOW'],
  ['chunk data too long', 'response', CHUNKED + '5\r\nhelloX\r\n0\r\n\r\n', 'HPE_CR_EXPECTED'],
  ['chunk data ended by bare LF', 'request', POST + 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n', 'HPE_CR_EXPECTED'],
  ['chunk data ended by CR only', 'response', CHUNKED + '5\r\nhello\r0\r\n\r\n', 'HPE_CR_EXPECTED'],
  ['bad trailer name', 'response', CHUNKED + '0\r\nX-T : 1\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
  ['obs-fold in trailers', 'request', POST + 'Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n 2\r\n\r\n', 'HPE_OBS_FOLD'],
  ['CTL in trailer value', 'response', CHUNKED + '0\r\nX-T: \x01\r\n\r\n', 'HPE_INVALID_HEADER_VALUE'],
];

for (const [name, kind, input, code] of CASES) {
  test(`rejects ${kind}: ${name} (${code})`, () => {
    const whole = feed(kind, [input]);
    assert.equal(whole.rec.error(), code, 'whole');
    assert.equal(whole.failed, true);
    assert.equal(whole.parser.dead, true);
    assert.equal(whole.parser.errorCode, code);
    assert.equal(whole.rec.events.filter((e) => e.type === 'error').length, 1);
    if (input.length <= 2000) {
      for (let at = 1; at < input.length; at++) {
        assert.equal(feed(kind, splitAt(input, at)).rec.error(), code, `split at ${at}`);
      }
      assert.equal(feed(kind, bytes(input)).rec.error(), code, 'byte by byte');
    }
  });
}

test('accepted near-misses of the rejections above', () => {
  const accepted: [string, 'request' | 'response', string][] = [
    ['tab as OWS before value', 'request', POST + 'Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n'],
    ['TE value in upper case', 'response', OK + 'Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n'],
    ['CL with leading zeros', 'response', OK + 'Content-Length: 0003\r\n\r\nabc'],
    ['CL of 2^53-1 (head only)', 'response', OK + 'Content-Length: 9007199254740991\r\n\r\n'],
    ['underscore in a name', 'request', POST + 'X_Custom_Header: 1\r\nContent-Length: 0\r\n\r\n'],
    ['all tchar punctuation in a name', 'request', POST + "!#$%&'*+-.^_`|~: v\r\nContent-Length: 0\r\n\r\n"],
    ['quoted chunk extension with spaces', 'response', CHUNKED + '3;a="b c";d=e\r\nabc\r\n0;last\r\n\r\n'],
    ['chunk size 2^53-1 (size line only)', 'response', CHUNKED + '1fffffffffffff\r\n'],
    ['obs-text in value', 'response', OK + 'X: \x80\xff\r\nContent-Length: 0\r\n\r\n'],
  ];
  for (const [name, kind, input] of accepted) {
    const r = feed(kind, [input]);
    assert.equal(r.rec.error(), null, name);
  }
});
