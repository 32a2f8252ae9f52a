// The upstream transport seam: raw TCPWrap (Node) and net sockets deliver the same bytes, and a
// write the kernel could not take at once stays intact even when the writer dropped its reference
// and the garbage collector ran before the write completed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { connectTransport, type TransportHandler } from '../../../workers/upstream/transport.js';

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
