// The transport seam: raw TCPWrap (Node) and net sockets deliver the same bytes, and a
// write the kernel could not take at once stays intact even when the writer dropped its reference
// and the garbage collector ran before the write completed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { acceptRaw, connectTransport, type ServerTransport, type TransportHandler } from '../../../workers/upstream/transport.js';
import { bindShared } from '../../../workers/runtime/bind.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function sink(expect: number): Promise<{ port: number; received: Promise<Buffer>; resume: () => void; close: () => void }> {
  return new Promise((resolve) => {
    let resumeFn = () => {};
    let done!: (b: Buffer) => void;
    const received = new Promise<Buffer>((r) => (done = r));
    const srv = net.createServer((s) => {
      s.pause(); // let the sender's kernel buffer fill up
      const chunks: Buffer[] = [];
      let n = 0;
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        n += d.length;
        if (n >= expect) done(Buffer.concat(chunks));
      });
      s.on('end', () => done(Buffer.concat(chunks)));
      resumeFn = () => s.resume();
    });
    srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as net.AddressInfo).port, received, resume: () => resumeFn(), close: () => srv.close() }));
  });
}

for (const mode of ['raw', 'net'] as const) {
  test(`${mode} transport: a large write completed after GC arrives intact`, async () => {
    const prev = process.env.NUNCIO_UPSTREAM_SOCKETS;
    process.env.NUNCIO_UPSTREAM_SOCKETS = mode === 'net' ? 'net' : '';
    const s = await sink(6 + 16 * 1024 * 1024);
    let digest = '';
    let connected!: () => void;
    const up = new Promise<void>((r) => (connected = r));
    const handler: TransportHandler = { onConnect: () => connected(), onData() {}, onEnd() {}, onClose() {}, onDrain() {} };
    const t = connectTransport(handler, { host: '127.0.0.1', port: s.port });
    await up;
    (() => {
      const big = crypto.randomBytes(16 * 1024 * 1024);
      digest = crypto.createHash('sha256').update(big).digest('hex');
      t.writev(['head\r\n', big]);
    })();
    gc();
    gc();
    s.resume();
    const got = await s.received;
    t.destroy();
    s.close();
    process.env.NUNCIO_UPSTREAM_SOCKETS = prev;
    assert.equal(got.subarray(0, 6).toString(), 'head\r\n');
    assert.equal(crypto.createHash('sha256').update(got.subarray(6)).digest('hex'), digest);
  });
}

// ---------------------------------------------------------------------------------- accepted side

function acceptOne(): Promise<{ port: number; accepted: Promise<ServerTransport>; close: () => void }> {
  const bound = bindShared('127.0.0.1', 0);
  let got!: (t: ServerTransport) => void;
  const accepted = new Promise<ServerTransport>((r) => (got = r));
  const acc = acceptRaw(bound.fd, (t) => got(t), () => {});
  return Promise.resolve({
    port: bound.port,
    accepted,
    close: () => {
      acc.close();
      bound.close();
    },
  });
}

test('raw accept: a client that half-closes still gets the answer, and the peer address is right', async () => {
  const srv = await acceptOne();
  const client = net.connect({ host: '127.0.0.1', port: srv.port });
  await new Promise((r) => client.once('connect', r));
  const t = await srv.accepted;
  assert.equal(t.remoteAddress, `127.0.0.1:${client.localPort}`);
  let received = '';
  let closed = false;
  const ended = new Promise<void>((resolve) => {
    t.setHandler({
      onConnect() {},
      onData: (d) => (received += d.toString()),
      onEnd: () => resolve(),
      onClose() {},
      onDrain() {},
    });
  });
  t.onceClosed(() => (closed = true));
  client.end('ping');
  await ended;
  assert.equal(received, 'ping');
  assert.equal(t.destroyed, false, 'the FIN alone does not close an accepted connection');
  const answer = new Promise<string>((resolve) => {
    let a = '';
    client.on('data', (d) => (a += d.toString()));
    client.on('end', () => resolve(a));
  });
  t.writev(['po', Buffer.from('ng')]);
  t.end();
  assert.equal(await answer, 'pong');
  await new Promise((r) => client.once('close', r));
  for (let i = 0; i < 50 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(closed, 'close hooks ran');
  srv.close();
});

test('raw accept: toSocket hands the connection to node:net with the bytes already read put back', async () => {
  const srv = await acceptOne();
  const client = net.connect({ host: '127.0.0.1', port: srv.port });
  const t = await srv.accepted;
  const first = new Promise<Buffer>((resolve) => t.setHandler({ onConnect() {}, onData: resolve, onEnd() {}, onClose() {}, onDrain() {} }));
  client.write('abc');
  const pending = await first;
  let hookRan = false;
  t.onceClosed(() => (hookRan = true));
  const sock = t.toSocket(pending);
  let text = '';
  sock.on('data', (d: Buffer) => {
    text += d.toString();
    if (text === 'abcdef') sock.end('ok');
  });
  client.write('def');
  const reply = await new Promise<string>((resolve) => {
    let a = '';
    client.on('data', (d) => (a += d.toString()));
    client.on('end', () => resolve(a));
  });
  assert.equal(text, 'abcdef');
  assert.equal(reply, 'ok');
  client.end();
  await new Promise((r) => sock.once('close', r));
  assert.ok(hookRan, 'close hooks follow the connection to node:net');
  srv.close();
});
