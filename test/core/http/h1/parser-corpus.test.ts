// A corpus of heads as real servers and clients write them, checked against a naive reference split
// (lines at CRLF, name/value at the first colon), whole and byte by byte.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, feed } from './recorder.js';

const RESPONSES: [string, string, string][] = [
  [
    'apache',
    'HTTP/1.1 200 OK\r\nDate: Mon, 27 Jul 2009 12:28:53 GMT\r\nServer: Apache/2.4.57 (Debian)\r\n' +
      'Last-Modified: Wed, 22 Jul 2009 19:15:56 GMT\r\nETag: "34aa387-d-1568eb00"\r\nAccept-Ranges: bytes\r\n' +
      'Content-Length: 51\r\nVary: Accept-Encoding\r\nKeep-Alive: timeout=5, max=100\r\nConnection: Keep-Alive\r\n' +
      'Content-Type: text/plain\r\n\r\n',
    'Hello World! My content includes a trailing CRLF.\r\n',
  ],
  [
    'go net/http',
    'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n' +
      'Date: Thu, 26 Nov 2026 10:00:00 GMT\r\nContent-Length: 19\r\n\r\n',
    '404 page not found\n',
  ],
  [
    'envoy upstream',
    'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 19\r\ncontent-type: text/plain\r\n' +
      'date: Thu, 26 Nov 2026 10:00:00 GMT\r\nserver: envoy\r\nx-envoy-upstream-service-time: 3\r\n\r\n',
    'no healthy upstream',
  ],
  [
    'CDN with cookies and security headers',
    'HTTP/1.1 302 Found\r\nLocation: https://www.example.com/login?next=%2Fhome\r\n' +
      'Set-Cookie: session=abc123; Path=/; HttpOnly; Secure; SameSite=Lax\r\n' +
      'Set-Cookie: theme=dark; Max-Age=31536000; Path=/\r\n' +
      'Strict-Transport-Security: max-age=63072000; includeSubDomains; preload\r\n' +
      'Content-Security-Policy: default-src \'self\'; img-src * data:; script-src \'self\' \'unsafe-inline\'\r\n' +
      'Cache-Control: private, no-cache, no-store, must-revalidate\r\nAlt-Svc: h3=":443"; ma=86400\r\n' +
      'CF-RAY: 7d1a2b3c4d5e6f70-AMS\r\nContent-Length: 0\r\n\r\n',
    '',
  ],
  [
    'gzip body with binary bytes',
    'HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n',
    '\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xae',
  ],
  [
    'S3 style',
    'HTTP/1.1 200 OK\r\nx-amz-id-2: ef8yU9AS1ed4OpIszj7UDNEHGran\r\nx-amz-request-id: 318BC8BC143432E5\r\n' +
      'x-amz-version-id: 3HL4kqtJlcpXroDTDmjVBH40Nrjfkd\r\nDate: Wed, 28 Oct 2009 22:32:00 GMT\r\n' +
      'Last-Modified: Wed, 12 Oct 2009 17:50:00 GMT\r\nETag: "fba9dede5f27731c9771645a39863328"\r\n' +
      'Content-Length: 4\r\nContent-Type: text/plain\r\nServer: AmazonS3\r\n\r\n',
    'data',
  ],
  [
    'CORS preflight answer',
    'HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: https://foo.example\r\n' +
      'Access-Control-Allow-Methods: POST, GET, OPTIONS\r\nAccess-Control-Allow-Headers: X-PINGOTHER, Content-Type\r\n' +
      'Access-Control-Max-Age: 86400\r\nVary: Accept-Encoding, Origin\r\nKeep-Alive: timeout=2, max=100\r\n' +
      'Connection: Keep-Alive\r\n\r\n',
    '',
  ],
];

const REQUESTS: [string, string, string][] = [
  [
    'firefox navigation',
    'GET /docs/index.html?lang=en HTTP/1.1\r\nHost: www.example.com\r\n' +
      'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n' +
      'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n' +
      'Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n' +
      'Cookie: session=abc123; theme=dark; _ga=GA1.2.1234567890.1234567890\r\n' +
      'Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\n' +
      'Sec-Fetch-Site: none\r\nSec-Fetch-User: ?1\r\nConnection: keep-alive\r\nPriority: u=0, i\r\n\r\n',
    '',
  ],
  [
    'curl JSON POST',
    'POST /api/v1/users HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n' +
      'Content-Type: application/json\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo\r\n' +
      'Content-Length: 27\r\n\r\n',
    '{"name":"ada","admin":true}',
  ],
  [
    'proxy-style absolute-form with forwarding headers',
    'GET http://backend.internal:8080/health HTTP/1.1\r\nHost: backend.internal:8080\r\n' +
      'X-Forwarded-For: 203.0.113.7, 10.0.0.2\r\nX-Forwarded-Proto: https\r\n' +
      'X-Request-Id: 3f1c2b9e-8a47-4a5e-9d8b-6f0e1c2d3a4b\r\nVia: 1.1 edge-proxy\r\n\r\n',
    '',
  ],
];

/** Naive reference: head lines split at CRLF, fields split at the first ':', OWS trimmed, names lower-cased. */
function reference(head: string): string[] {
  const lines = head.split('\r\n').slice(1, -2);
  const out: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    out.push(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''));
  }
  return out;
}

function check(kind: 'request' | 'response', name: string, head: string, body: string): void {
  for (const chunks of [[head + body], bytes(head + body)]) {
    const { rec } = feed(kind, chunks);
    assert.equal(rec.error(), null, name);
    const h = rec.heads()[0];
    assert.deepEqual(h.headers, reference(head), name);
    assert.equal(rec.bodies().join(''), body, name);
    assert.deepEqual(rec.events[rec.events.length - 1], { type: 'done', trailers: null }, name);
    const [a, b] = head.slice(0, head.indexOf('\r\n')).split(' ');
    if (kind === 'response') assert.equal(h.status, Number(b), name);
    else assert.equal(`${h.method} ${h.target}`, `${a} ${b}`, name);
  }
}

test('real-world response heads match the reference split, whole and byte by byte', () => {
  for (const [name, head, body] of RESPONSES) check('response', name, head, body);
});

test('real-world request heads match the reference split, whole and byte by byte', () => {
  for (const [name, head, body] of REQUESTS) check('request', name, head, body);
});

test('the whole response corpus pipelined on one connection', () => {
  const stream = RESPONSES.map(([, h, b]) => h + b).join('');
  const { rec, consumed } = feed('response', [stream]);
  assert.equal(rec.error(), null);
  assert.equal(consumed, stream.length);
  assert.equal(rec.heads().length, RESPONSES.length);
  assert.deepEqual(rec.bodies(), RESPONSES.map(([, , b]) => b).filter((b) => b !== ''));
});
