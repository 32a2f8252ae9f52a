// bindShared: a socket bound once and listened on by fd from each worker's event loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { bindShared, freePort } from '../../../workers/runtime/bind.js';

const T = { timeout: 20_000 };

function listenFd(server: net.Server, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** One request-less exchange: connect, read what the server writes, wait for the close. */
function fetchBanner(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const c = net.connect(port, host);
    c.setEncoding('utf8');
    c.on('data', (d) => (data += d));
    c.on('error', reject);
    c.on('close', () => resolve(data));
  });
}

test('bindShared on 127.0.0.1:0 binds a free port; a server can listen on the fd', T, async () => {
  const b = bindShared('127.0.0.1', 0);
  assert.ok(b.port > 0 && b.port < 65536, `port ${b.port}`);
  assert.ok(b.fd >= 0);
  const s = net.createServer((c) => c.end('hello'));
  try {
    await listenFd(s, b.fd);
    const addr = s.address() as net.AddressInfo;
    assert.equal(addr.port, b.port);
    assert.equal(addr.address, '127.0.0.1');
    assert.equal(await fetchBanner(b.port), 'hello');
  } finally {
    // The server's handle owns the same fd: close both at once so the number cannot be reused between.
    s.close();
    b.close();
  }
});

test('a listening socket on the requested port: "address already in use"', T, async () => {
  const other = net.createServer();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const port = (other.address() as net.AddressInfo).port;
  try {
    assert.throws(() => bindShared('127.0.0.1', port), { message: 'address already in use' });
  } finally {
    other.close();
  }
});

test('an address of no local interface is refused with the libuv error name', T, (t) => {
  let b;
  try {
    b = bindShared('192.0.2.1', 0); // TEST-NET-1
  } catch (e) {
    assert.equal((e as Error).message, 'EADDRNOTAVAIL');
    return;
  }
  b.close();
  t.skip('this host allows non-local binds (ip_nonlocal_bind)');
});

test('two listeners share the fd, one per event loop (a second in the same thread is refused)', T, async () => {
  const b = bindShared('127.0.0.1', 0);
  const main = net.createServer((c) => c.end('main'));
  await listenFd(main, b.fd);

  // libuv allows one handle per fd in a loop: the second listen fails cleanly and the first keeps serving.
  const again = net.createServer();
  await assert.rejects(listenFd(again, b.fd), { code: 'EEXIST' });
  assert.equal(await fetchBanner(b.port), 'main');

  // A worker thread (its own loop) listens on the same fd, as nuncio's workers do.
  const code = `
    const net = require('node:net');
    const { parentPort, workerData } = require('node:worker_threads');
    const s = net.createServer((c) => c.end('worker'));
    s.listen({ fd: workerData.fd }, () => parentPort.postMessage({ port: s.address().port }));
    parentPort.on('message', (m) => { if (m === 'close') { s.close(); parentPort.postMessage('closed'); } });
  `;
  const w = new Worker(code, { eval: true, workerData: { fd: b.fd } });
  try {
    const first = (await new Promise((r) => w.once('message', r))) as { port: number };
    assert.equal(first.port, b.port);
    // The kernel hands each connection to one of the two loops; every one is served by exactly one.
    for (let i = 0; i < 40; i++) {
      const got = await fetchBanner(b.port);
      assert.ok(got === 'main' || got === 'worker', `banner ${got}`);
    }
  } finally {
    // Every handle owns the same fd number: close the worker's, then (with no fd opened in between)
    // this thread's and the bound one.
    w.postMessage('close');
    await new Promise((r) => w.once('message', r));
    main.close();
    b.close();
    await w.terminate();
  }
});

test('IPv6 loopback works too', T, async (t) => {
  let b;
  try {
    b = bindShared('::1', 0);
  } catch (e) {
    t.skip(`no IPv6 loopback: ${(e as Error).message}`);
    return;
  }
  const s = net.createServer((c) => c.end('six'));
  try {
    await listenFd(s, b.fd);
    assert.equal((s.address() as net.AddressInfo).address, '::1');
    assert.equal(await fetchBanner(b.port, '::1'), 'six');
  } finally {
    s.close();
    b.close();
  }
});

test('freePort returns a port that can then be listened on', T, async () => {
  const port = freePort('127.0.0.1');
  assert.ok(port > 0);
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', resolve);
  });
  assert.equal((s.address() as net.AddressInfo).port, port);
  await new Promise((r) => s.close(r));
});
