import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { H2FrameReader, headersFrame, openingBytes, requestBlock, statusOf } from '../../../bench/loadgen/h2-client.js';

test('statusOf reads static-table and raw literal :status, and gives up on Huffman', () => {
  assert.equal(statusOf(Buffer.from([0x88]), 0, 1), 200);
  assert.equal(statusOf(Buffer.from([0x8d]), 0, 1), 404);
  assert.equal(statusOf(Buffer.from([0x3f, 0xe1, 0x1f, 0x88]), 0, 4), 200, 'after a dynamic table size update');
  assert.equal(statusOf(Buffer.from([0x48, 0x03, ...Buffer.from('503')]), 0, 5), 503, 'literal with incremental indexing');
  assert.equal(statusOf(Buffer.from([0x08, 0x03, ...Buffer.from('302')]), 0, 5), 302, 'literal without indexing');
  assert.equal(statusOf(Buffer.from([0x48, 0x82, 0x64, 0x02]), 0, 4), 0, 'Huffman value');
});

/** Our frames against node's HTTP/2 server: several GETs in turn on one connection. */
test('requests on one connection get their status against node:http2, split frames included', async () => {
  const server = http2.createServer();
  const paths: string[] = [];
  server.on('stream', (stream, headers) => {
    paths.push(String(headers[':path']));
    const code = headers[':path'] === '/missing' ? 404 : 200;
    stream.respond({ ':status': code, 'content-type': 'text/plain' });
    stream.end(code === 200 ? 'x'.repeat(100_000) : '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const sock = net.connect(port, '127.0.0.1');
  try {
    await new Promise<void>((r) => sock.once('connect', r));
    sock.write(openingBytes());
    const reader = new H2FrameReader();
    const got: [number, number][] = [];
    let wake: () => void = () => {};
    const ev = {
      onResponse: (id: number, status: number) => {
        got.push([id, status]);
        wake();
      },
      onStreamError: (id: number) => assert.fail(`stream error on ${id}`),
      reply: (b: Buffer) => sock.write(b),
    };
    // Feed in 7-byte pieces so frames straddle reads.
    sock.on('data', (d: Buffer) => {
      for (let i = 0; i < d.length; i += 7) reader.feed(d.subarray(i, i + 7), ev);
    });
    const ask = (id: number, path: string) =>
      new Promise<void>((r) => {
        wake = r;
        sock.write(headersFrame(id, requestBlock(`127.0.0.1:${port}`, path)));
      });
    await ask(1, '/a');
    await ask(3, '/missing');
    await ask(5, '/b');
    assert.deepEqual(got, [[1, 200], [3, 404], [5, 200]]);
    assert.deepEqual(paths, ['/a', '/missing', '/b']);
  } finally {
    sock.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
