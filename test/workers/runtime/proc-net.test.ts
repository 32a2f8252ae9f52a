// countServerConnections: open TCP connections on a local server port, read from /proc/net/tcp{,6}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { countServerConnections } from '../../../workers/runtime/proc-net.js';

const T = { timeout: 20_000 };

/** Polls until countServerConnections(port) === want (bounded: 200 x 10 ms). */
async function until(port: number, want: number): Promise<number> {
  let n = -1;
  for (let i = 0; i < 200; i++) {
    n = countServerConnections(port);
    if (n === want) return n;
    await new Promise((r) => setTimeout(r, 10));
  }
  return n;
}

async function withServer(host: string, fn: (port: number, server: net.Server, accepted: net.Socket[]) => Promise<void>): Promise<void> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((c) => {
    accepted.push(c);
    c.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  try {
    await fn((server.address() as net.AddressInfo).port, server, accepted);
  } finally {
    for (const c of accepted) c.destroy();
    await new Promise((r) => server.close(r));
  }
}

function connect(port: number, host: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, host, () => resolve(c));
    c.on('error', reject);
  });
}

test('a listening socket alone is not a connection', T, async () => {
  await withServer('127.0.0.1', async (port) => {
    assert.equal(countServerConnections(port), 0);
  });
});

test('counts open connections to a local server port, and drops back after close', T, async () => {
  await withServer('127.0.0.1', async (port, _server, accepted) => {
    const a = await connect(port, '127.0.0.1');
    assert.equal(await until(port, 1), 1);
    const b = await connect(port, '127.0.0.1');
    assert.equal(await until(port, 2), 2);
    // The client side closes first: the server's socket lingers in CLOSE_WAIT until it closes too.
    a.destroy();
    b.end();
    for (const c of accepted) c.end();
    assert.equal(await until(port, 0), 0);
  });
});

test('only the server port is counted, not the client ends of other connections', T, async () => {
  await withServer('127.0.0.1', async (port) => {
    await withServer('127.0.0.1', async (otherPort) => {
      const c = await connect(otherPort, '127.0.0.1');
      assert.equal(await until(otherPort, 1), 1);
      assert.equal(countServerConnections(port), 0);
      c.destroy();
      assert.equal(await until(otherPort, 0), 0);
    });
  });
});

test('IPv6 connections (/proc/net/tcp6) are counted too', T, async (t) => {
  const probe = net.createServer();
  const ok = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => resolve(true));
  });
  if (ok) await new Promise((r) => probe.close(r));
  else {
    t.skip('no IPv6 loopback');
    return;
  }
  await withServer('::1', async (port) => {
    const c = await connect(port, '::1');
    assert.equal(await until(port, 1), 1);
    c.destroy();
    assert.equal(await until(port, 0), 0);
  });
});

test('a port nobody uses counts 0', T, () => {
  assert.equal(countServerConnections(1), 0);
});
