// The port of service.py: exact bytes of the hello body, Werkzeug-like headers and error pages,
// keep-alive, HEAD, and resilience to bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { helloBody, matchesServiceRoute, startServiceApp, type ServiceApp } from '../../../workers/service-app/app.js';
import { parseServiceAppArgs, USAGE } from '../../../workers/service-app/args.js';

const BOUND = { timeout: 10_000 };

const NOT_FOUND = '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n'
  + '<p>The requested URL was not found on the server. If you entered the URL manually please check your '
  + 'spelling and try again.</p>\n';
const NOT_ALLOWED = '<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n'
  + '<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n';

interface Reply { status: number; reason: string; headers: http.IncomingHttpHeaders; body: Buffer }

function request(app: ServiceApp, path: string, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: app.address, port: app.port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, reason: res.statusMessage!, headers: res.headers,
        body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes and reads everything until the server closes the connection. */
function raw(app: ServiceApp, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(app.port, app.address);
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.on('connect', () => sock.write(bytes, 'latin1'));
  });
}

async function withApp(opts: Parameters<typeof startServiceApp>[0], fn: (app: ServiceApp) => Promise<void>): Promise<void> {
  const app = await startServiceApp(opts);
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}

test('helloBody keeps the original string, "resolvedhostname" without a space', () => {
  assert.equal(helloBody('1', 'service1-1', '127.0.0.11'),
    'Hello from behind Envoy (service 1)! hostname: service1-1 resolvedhostname: 127.0.0.11\n');
});

test('GET /service/<n>: exact body bytes and Flask headers', BOUND, async () => {
  await withApp({ serviceName: '1', port: 0, hostname: 'service1-1', resolvedIp: '172.18.0.3' }, async (app) => {
    const expected = Buffer.from('Hello from behind Envoy (service 1)! hostname: service1-1 resolvedhostname: 172.18.0.3\n');
    const r = await request(app, '/service/1');
    assert.equal(r.status, 200);
    assert.equal(r.reason, 'OK');
    assert.deepEqual(r.body, expected);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['content-length'], String(expected.length));
    assert.match(String(r.headers.server), /^Werkzeug\/\S+ Python\/\S+$/);
    assert.ok(r.headers.date);
    // SERVICE_NAME picks N, not the path: any one segment gets the same answer, query ignored.
    assert.deepEqual((await request(app, '/service/abc?x=1')).body, expected);
    assert.deepEqual((await request(app, '/service/a%20b')).body, expected);
  });
});

test('defaults: hostname is os.hostname(), resolved IP is the listen address', BOUND, async () => {
  await withApp({ serviceName: '2', address: '127.0.0.12', port: 0 }, async (app) => {
    assert.equal(app.address, '127.0.0.12');
    const r = await request(app, '/service/2');
    assert.equal(r.body.toString(), `Hello from behind Envoy (service 2)! hostname: ${os.hostname()} resolvedhostname: 127.0.0.12\n`);
  });
});

test('a non-ASCII service name is sent as UTF-8 with the byte length', BOUND, async () => {
  await withApp({ serviceName: 'é', port: 0, hostname: 'h', resolvedIp: '127.0.0.1' }, async (app) => {
    const r = await request(app, '/service/1');
    assert.equal(r.body.toString('utf8'), 'Hello from behind Envoy (service é)! hostname: h resolvedhostname: 127.0.0.1\n');
    assert.equal(r.headers['content-length'], String(r.body.length));
  });
});

test('other paths get the 404 page, as Werkzeug renders it', BOUND, async () => {
  await withApp({ serviceName: '1', port: 0 }, async (app) => {
    for (const path of ['/', '/service', '/service/', '/service/1/', '/service/1/2', '/x', '/Service/1',
      '/service/a%2Fb', '/service/a%2fb']) {
      const r = await request(app, path);
      assert.equal(r.status, 404, path);
      assert.equal(r.reason, 'NOT FOUND');
      assert.equal(r.body.toString(), NOT_FOUND);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(r.headers['content-length'], String(Buffer.byteLength(NOT_FOUND)));
    }
    assert.equal((await request(app, '/nope', 'POST')).status, 404);
  });
});

test('HEAD has the GET headers and no body; OPTIONS lists methods; others are 405', BOUND, async () => {
  await withApp({ serviceName: '1', port: 0, hostname: 'h', resolvedIp: '127.0.0.1' }, async (app) => {
    const head = await request(app, '/service/1', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(helloBody('1', 'h', '127.0.0.1'))));
    const options = await request(app, '/service/1', 'OPTIONS');
    assert.equal(options.status, 200);
    assert.equal(options.headers.allow, 'OPTIONS, GET, HEAD');
    assert.equal(options.headers['content-length'], '0');
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await request(app, '/service/1', method, 'x=1');
      assert.equal(r.status, 405, method);
      assert.equal(r.reason, 'METHOD NOT ALLOWED');
      assert.equal(r.headers.allow, 'OPTIONS, GET, HEAD');
      assert.equal(r.body.toString(), NOT_ALLOWED);
    }
  });
});

test('keep-alive: pipelined requests on one connection, a request body in between', BOUND, async () => {
  await withApp({ serviceName: '1', port: 0, hostname: 'h', resolvedIp: '127.0.0.1' }, async (app) => {
    const out = await raw(app, 'GET /service/1 HTTP/1.1\r\nHost: a\r\n\r\n'
      + 'GET /service/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
      + 'GET /missing HTTP/1.1\r\nHost: a\r\n\r\n'
      + 'GET /service/1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.equal(out.split('HTTP/1.1 200 OK\r\n').length - 1, 3);
    assert.equal(out.split('HTTP/1.1 404 NOT FOUND\r\n').length - 1, 1);
    assert.equal(out.split('resolvedhostname: 127.0.0.1\n').length - 1, 3);
  });
});

test('bad input gets 400 and the server keeps serving', BOUND, async () => {
  await withApp({ serviceName: '1', port: 0 }, async (app) => {
    assert.match(await raw(app, '\x00\x01 garbage\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(await raw(app, 'GET /service/1 HTTP/1.1\r\nBad Header\r\n\r\n'), /^HTTP\/1\.1 400 /);
    // A client that goes away mid-body.
    await new Promise<void>((resolve) => {
      const sock = net.connect(app.port, app.address, () => {
        sock.end('POST /service/1 HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc');
      });
      sock.on('error', () => resolve());
      sock.on('close', () => resolve());
      sock.resume();
    });
    // Absolute-form target and odd targets are routed, not crashed on.
    assert.match(await raw(app, 'GET http://x/service/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
    assert.match(await raw(app, 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 404 /);
    assert.equal((await request(app, '/service/1')).status, 200);
  });
});

test('route matching follows Werkzeug on the decoded path', () => {
  const yes = ['/service/1', '/service/abc', '/service/1?a=b', '/service/1#f', '//service/1', '///service/x',
    'http://h/service/1', 'https://h:8/service/1?q', '/service/%', '/service/%2', '/service/a%20b', '/service/%2e'];
  const no = ['', '*', '/service', '/service/', '/service/?x', '/service/1/', '/service/a/b', '/service/a%2Fb',
    '/service/%2f', '/services/1', '/Service/1', 'http://h', 'http://h/', 'nonsense', '/x/service/1'];
  for (const t of yes) assert.equal(matchesServiceRoute(t), true, t);
  for (const t of no) assert.equal(matchesServiceRoute(t), false, t);
});

test('startServiceApp refuses a missing name and a port in use', BOUND, async () => {
  await assert.rejects(startServiceApp({ serviceName: '' }), TypeError);
  await withApp({ serviceName: '1', port: 0 }, async (app) => {
    await assert.rejects(startServiceApp({ serviceName: '1', port: app.port }), { code: 'EADDRINUSE' });
  });
});

test('CLI arguments win over the environment', () => {
  assert.deepEqual(parseServiceAppArgs(['--name', '1', '--address', '127.0.0.11', '--port', '8080',
    '--hostname', 'service1-1'], { SERVICE_NAME: '9', SERVICE_PORT: '1' }), {
    serviceName: '1', address: '127.0.0.11', port: 8080, hostname: 'service1-1', resolvedIp: undefined,
  });
  assert.deepEqual(parseServiceAppArgs([], { SERVICE_NAME: '2', SERVICE_ADDRESS: '127.0.0.21', SERVICE_PORT: '0',
    SERVICE_HOSTNAME: 'h', SERVICE_RESOLVED_IP: '10.0.0.2' }), {
    serviceName: '2', address: '127.0.0.21', port: 0, hostname: 'h', resolvedIp: '10.0.0.2',
  });
  assert.match(String(parseServiceAppArgs([], {})), /SERVICE_NAME/);
  assert.match(String(parseServiceAppArgs(['--name', '1', '--port', '80x'], {})), /bad port/);
  assert.match(String(parseServiceAppArgs(['--name', '1', '--port', '70000'], {})), /bad port/);
  assert.equal(typeof parseServiceAppArgs(['--bogus'], {}), 'string');
  assert.equal(parseServiceAppArgs(['--help'], {}), USAGE);
});
