// Real traffic: responses written by node:http's server parsed from a raw socket (requests written with
// serializeRequestHead, so node's own parser also checks the serializer), and requests written by
// node:http's client parsed by the request parser. Loopback only; every server is closed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { H1_CHUNKED, H1_EOF_BODY, H1_INTERIM, H1_KEEP_ALIVE, H1_NO_BODY, H1Parser } from '../../../../core/http/h1/parser.js';
import { serializeRequestHead } from '../../../../core/http/h1/serialize.js';
import { LIMITS, Recorder } from './recorder.js';

const BIG = Buffer.alloc(200_000, 'b');

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const seen = { method: req.method, url: req.url, headers: req.rawHeaders };
  switch (req.url) {
    case '/cl': {
      const body = JSON.stringify(seen);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    case '/chunked':
      res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Sum' });
      res.write('one,');
      res.write('two,');
      res.addTrailers({ 'X-Sum': '3' });
      res.end('three');
      return;
    case '/stream':
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('one,');
      res.end('two');
      return;
    case '/204':
      res.writeHead(204, { 'X-Empty': 'yes' });
      res.end();
      return;
    case '/304':
      res.writeHead(304, { ETag: '"x"' });
      res.end();
      return;
    case '/big':
      res.writeHead(200, { 'Content-Length': BIG.length });
      res.end(BIG);
      return;
    case '/echo': {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        res.writeHead(200, { 'Content-Length': body.length });
        res.end(body);
      });
      return;
    }
    default:
      res.writeHead(200);
      res.end(req.method === 'HEAD' ? undefined : 'default body');
  }
}

async function withServer<T>(fn: (port: number) => Promise<T>): Promise<T> {
  const server = http.createServer(handler);
  server.on('checkContinue', (req, res) => {
    res.writeContinue();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Sends `raw` on a fresh connection and parses the answer until `messages` final responses are complete
 * (or the peer closes). `heads` lists which requests were HEAD, in order.
 */
function exchange(port: number, raw: Buffer | string, messages: number, heads: boolean[] = []): Promise<Recorder> {
  return new Promise((resolve, reject) => {
    const rec = new Recorder();
    const parser = new H1Parser('response', rec, LIMITS);
    let finals = 0;
    let next = 0;
    const prime = () => {
      if (heads[next] === true) parser.expectNoBody();
    };
    prime();
    rec.onDone = (r) => {
      const last = r.heads()[r.heads().length - 1];
      if ((last.flags & H1_INTERIM) !== 0) return;
      finals++;
      next++;
      prime();
      if (finals === messages) {
        sock.end();
        resolve(rec);
      }
    };
    const sock = net.connect(port, '127.0.0.1', () => sock.write(raw));
    sock.on('data', (d: Buffer) => {
      if (parser.execute(d) < 0) {
        sock.destroy();
        reject(new Error(`parse error ${parser.errorCode}`));
      }
    });
    sock.on('end', () => {
      parser.finish();
      if (finals < messages) resolve(rec);
    });
    sock.on('error', reject);
  });
}

function get(path: string, extra: string[] = [], method = 'GET'): string {
  return serializeRequestHead(method, path, ['host', '127.0.0.1', ...extra]);
}

test('node:http responses: length, chunked with trailers, 204, 304, HEAD, pipelined on one connection', async () => {
  await withServer(async (port) => {
    const raw =
      get('/cl', ['x-custom', 'v1']) +
      get('/chunked') +
      get('/204') +
      get('/304', ['if-none-match', '"x"']) +
      get('/cl', [], 'HEAD') +
      get('/last');
    const rec = await exchange(port, raw, 6, [false, false, false, false, true, false]);
    assert.equal(rec.error(), null);
    const heads = rec.heads();
    assert.deepEqual(heads.map((h) => h.status), [200, 200, 204, 304, 200, 200]);
    for (const h of heads) assert.equal(h.flags & H1_KEEP_ALIVE, H1_KEEP_ALIVE);
    // The server saw exactly what serializeRequestHead wrote.
    const seen = JSON.parse(rec.bodies()[0]) as { method: string; url: string; headers: string[] };
    assert.deepEqual(seen, { method: 'GET', url: '/cl', headers: ['host', '127.0.0.1', 'x-custom', 'v1'] });
    assert.equal(heads[1].flags & H1_CHUNKED, H1_CHUNKED);
    assert.equal(rec.bodies()[1], 'one,two,three');
    const done = rec.events.filter((e) => e.type === 'done') as { trailers: string[] | null }[];
    assert.deepEqual(done[1].trailers, ['x-sum', '3']);
    assert.equal(heads[2].flags & H1_NO_BODY, H1_NO_BODY);
    assert.equal(heads[4].flags & H1_NO_BODY, H1_NO_BODY);
    assert.ok(heads[4].contentLength > 0);
    assert.equal(rec.bodies()[rec.bodies().length - 1], 'default body');
    assert.ok(heads[0].headers.includes('date'));
  });
});

test('node:http: 100-continue interim response, then the echoed body', async () => {
  await withServer(async (port) => {
    const head = serializeRequestHead('POST', '/echo', [
      'host', '127.0.0.1', 'content-length', '11', 'expect', '100-continue',
    ]);
    const rec = await exchange(port, head + 'hello world', 1);
    assert.deepEqual(rec.heads().map((h) => h.status), [100, 200]);
    assert.equal(rec.heads()[0].flags & H1_INTERIM, H1_INTERIM);
    assert.deepEqual(rec.bodies(), ['hello world']);
  });
});

test('node:http: a 200 KB body arrives in several socket reads', async () => {
  await withServer(async (port) => {
    const rec = await exchange(port, get('/big'), 1);
    assert.equal(rec.error(), null);
    assert.equal(rec.bodies()[0].length, BIG.length);
  });
});

test('node:http: HTTP/1.0 request gets a close-delimited response completed by finish()', async () => {
  await withServer(async (port) => {
    const rec = await exchange(port, 'GET /stream HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n', 1);
    assert.equal(rec.error(), null);
    const h = rec.heads()[0];
    assert.equal(h.versionMinor, 1);
    assert.equal(h.flags & (H1_EOF_BODY | H1_KEEP_ALIVE), H1_EOF_BODY);
    assert.equal(rec.bodies()[0], 'one,two');
    assert.equal(rec.events[rec.events.length - 1].type, 'done');
  });
});

test('node:http client requests parse: GET, POST with length, chunked POST with trailers', async () => {
  const rec = new Recorder();
  const parser = new H1Parser('request', rec, LIMITS);
  const server = net.createServer((sock) => {
    sock.on('data', (d: Buffer) => {
      const before = rec.events.filter((e) => e.type === 'done').length;
      assert.ok(parser.execute(d) >= 0, parser.errorCode);
      const after = rec.events.filter((e) => e.type === 'done').length;
      for (let i = before; i < after; i++) sock.write('HTTP/1.1 204 No Content\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (opts: http.RequestOptions, body?: string, trailers?: Record<string, string>) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, agent, ...opts }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      if (trailers) {
        req.write(body ?? '');
        req.addTrailers(trailers);
        req.end();
      } else req.end(body);
    });
  try {
    await send({ method: 'GET', path: '/search?q=a%20b', headers: { 'X-Trace': 'abc' } });
    await send({ method: 'POST', path: '/form', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 'a=1&b=2');
    await send(
      { method: 'PUT', path: '/stream', headers: { 'Transfer-Encoding': 'chunked', Trailer: 'X-Digest' } },
      'streamed body',
      { 'X-Digest': 'd1' },
    );
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  assert.equal(rec.error(), null);
  const heads = rec.heads();
  assert.deepEqual(heads.map((h) => `${h.method} ${h.target}`), ['GET /search?q=a%20b', 'POST /form', 'PUT /stream']);
  assert.ok(heads[0].headers.includes('x-trace'));
  assert.equal(heads[1].contentLength, 7);
  assert.equal(heads[2].flags & H1_CHUNKED, H1_CHUNKED);
  assert.deepEqual(rec.bodies(), ['a=1&b=2', 'streamed body']);
  const done = rec.events.filter((e) => e.type === 'done') as { trailers: string[] | null }[];
  assert.deepEqual(done[2].trailers, ['x-digest', 'd1']);
});
