import { test } from 'node:test';
import assert from 'node:assert/strict';
import { H1ResponseReader, requestHead } from '../../../bench/loadgen/h1-response.js';

function collect(chunks: string[]): { statuses: number[]; broken: string | null } {
  const r = new H1ResponseReader();
  const statuses: number[] = [];
  for (const c of chunks) r.feed(Buffer.from(c, 'latin1'), { onResponse: (s) => statuses.push(s) });
  return { statuses, broken: r.broken };
}

test('Content-Length responses, several in one chunk and one split at every byte', () => {
  const one = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello';
  const two = 'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n';
  assert.deepEqual(collect([one + two + one]).statuses, [200, 404, 200]);
  const all = one + two;
  for (let i = 1; i < all.length; i++) assert.deepEqual(collect([all.slice(0, i), all.slice(i)]).statuses, [200, 404], `split at ${i}`);
});

test('chunked bodies with trailers, 1xx interim responses skipped, 204 without a body', () => {
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\nX-T: 1\r\n\r\n';
  const interim = 'HTTP/1.1 100 Continue\r\n\r\n';
  const empty = 'HTTP/1.1 204 No Content\r\n\r\n';
  const all = interim + chunked + empty;
  assert.deepEqual(collect([all]).statuses, [200, 204]);
  assert.deepEqual(collect(all.split('')).statuses, [200, 204]);
});

test('a response without framing marks the connection broken', () => {
  const r = collect(['HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody']);
  assert.deepEqual(r.statuses, []);
  assert.match(r.broken ?? '', /without Content-Length/);
});

test('requestHead is a GET with Host', () => {
  assert.equal(requestHead('127.0.0.1', 8080, '/service/1').toString('latin1'),
    'GET /service/1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: nuncio-bench\r\nAccept: */*\r\n\r\n');
});
