// The topology's DNS server, checked through node's own resolver (c-ares) and with raw packets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import fc from 'fast-check';
import { DnsServer } from '../../../workers/topology/dns-server.js';

const BOUND = { timeout: 10_000 };

async function withServer(fn: (server: DnsServer, resolver: Resolver, port: number) => Promise<void>,
  opts: { tcp?: boolean } = {}): Promise<void> {
  const server = new DnsServer({ address: '127.0.0.1', port: 0, ...opts });
  const { port } = await server.start();
  // One try and a short timeout keep the 'timeout' failure test quick; nothing asserts on time.
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    await fn(server, resolver, port);
  } finally {
    resolver.cancel();
    await server.stop();
  }
}

async function errorCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
  return undefined;
}

/** A query message: header then one question, name uncompressed. */
function query(id: number, name: string, qtype = 1, opts: { rd?: boolean; qclass?: number; qdcount?: number;
  opcode?: number } = {}): Buffer {
  const labels = name === '' ? [] : name.split('.');
  const nameBytes = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0])]);
  const msg = Buffer.alloc(12 + nameBytes.length + 4);
  msg.writeUInt16BE(id, 0);
  msg.writeUInt16BE(((opts.opcode ?? 0) << 11) | (opts.rd === false ? 0 : 0x0100), 2);
  msg.writeUInt16BE(opts.qdcount ?? 1, 4);
  nameBytes.copy(msg, 12);
  msg.writeUInt16BE(qtype, 12 + nameBytes.length);
  msg.writeUInt16BE(opts.qclass ?? 1, 12 + nameBytes.length + 2);
  return msg;
}

interface Header { id: number; qr: boolean; opcode: number; aa: boolean; tc: boolean; rd: boolean; ra: boolean;
  rcode: number; qd: number; an: number; ns: number; ar: number }

function header(msg: Buffer): Header {
  const f = msg.readUInt16BE(2);
  return {
    id: msg.readUInt16BE(0), qr: (f & 0x8000) !== 0, opcode: (f >> 11) & 0xf, aa: (f & 0x0400) !== 0,
    tc: (f & 0x0200) !== 0, rd: (f & 0x0100) !== 0, ra: (f & 0x0080) !== 0, rcode: f & 0xf,
    qd: msg.readUInt16BE(4), an: msg.readUInt16BE(6), ns: msg.readUInt16BE(8), ar: msg.readUInt16BE(10),
  };
}

/** Sends each packet from one UDP socket and collects replies until one carries `untilId`. */
async function udpExchange(port: number, packets: Buffer[], untilId: number): Promise<Buffer[]> {
  const sock = dgram.createSocket('udp4');
  const replies: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      sock.on('error', reject);
      sock.on('message', (msg) => {
        replies.push(msg);
        if (msg.length >= 2 && msg.readUInt16BE(0) === untilId) resolve();
      });
      sock.bind(0, '127.0.0.1', () => {
        for (const p of packets) sock.send(p, port, '127.0.0.1');
      });
    });
  } finally {
    sock.close();
  }
  return replies;
}

/** Writes `chunks` on one TCP connection and reads `count` length-framed replies. */
async function tcpExchange(port: number, chunks: Buffer[], count: number): Promise<Buffer[]> {
  const sock = net.connect(port, '127.0.0.1');
  const replies: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      sock.on('error', reject);
      sock.on('close', () => reject(new Error(`closed after ${replies.length} replies`)));
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          replies.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (replies.length >= count) resolve();
      });
      sock.on('connect', () => {
        for (const c of chunks) sock.write(c);
      });
    });
  } finally {
    sock.destroy();
  }
  return replies;
}

function framed(msg: Buffer): Buffer {
  const out = Buffer.alloc(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

test('resolve4 returns every address of a known name, with its ttl', BOUND, async () => {
  await withServer(async (server, resolver) => {
    server.setRecords('service1', ['127.0.0.11', '127.0.0.12', '127.0.0.13'], 7);
    const got = await resolver.resolve4('service1', { ttl: true });
    assert.deepEqual(got.map((r) => r.address).sort(), ['127.0.0.11', '127.0.0.12', '127.0.0.13']);
    assert.deepEqual(got.map((r) => r.ttl), [7, 7, 7]);
  });
});

test('names match case-insensitively, with or without trailing dot', BOUND, async () => {
  await withServer(async (server, resolver) => {
    server.setRecords('Service2.', ['127.0.0.21']);
    assert.deepEqual(await resolver.resolve4('service2'), ['127.0.0.21']);
    assert.deepEqual(await resolver.resolve4('SERVICE2.'), ['127.0.0.21']);
    assert.deepEqual(server.records('SERVICE2'), ['127.0.0.21']);
  });
});

test('AAAA for a known name is NODATA; unknown names are NXDOMAIN', BOUND, async () => {
  await withServer(async (server, resolver) => {
    server.setRecords('service1', ['127.0.0.11']);
    assert.equal(await errorCode(resolver.resolve6('service1')), 'ENODATA');
    assert.equal(await errorCode(resolver.resolve4('service3')), 'ENOTFOUND');
    assert.equal(await errorCode(resolver.resolve6('service3')), 'ENOTFOUND');
  });
});

test('a name with an empty record set exists but has no A records', BOUND, async () => {
  await withServer(async (server, resolver) => {
    server.setRecords('service1', []);
    assert.equal(await errorCode(resolver.resolve4('service1')), 'ENODATA');
  });
});

test('record changes and removal are seen by the next query (default ttl 0)', BOUND, async () => {
  await withServer(async (server, resolver) => {
    server.setRecords('service1', ['127.0.0.11']);
    const first = await resolver.resolve4('service1', { ttl: true });
    assert.deepEqual(first, [{ address: '127.0.0.11', ttl: 0 }]);
    server.setRecords('service1', ['127.0.0.11', '127.0.0.12', '127.0.0.13']);
    assert.equal((await resolver.resolve4('service1')).length, 3);
    server.remove('service1');
    assert.equal(await errorCode(resolver.resolve4('service1')), 'ENOTFOUND');
    assert.equal(server.queriesFor('SERVICE1'), 3);
    assert.equal(server.queries, 3);
  });
});

test('failure modes: SERVFAIL, REFUSED, no answer (timeout), then back to normal', BOUND, async () => {
  await withServer(async (server, resolver) => {
    server.setRecords('service1', ['127.0.0.11']);
    server.setFailure('service1', 'servfail');
    assert.equal(await errorCode(resolver.resolve4('service1')), 'ESERVFAIL');
    server.setFailure('service1', 'refused');
    assert.equal(await errorCode(resolver.resolve4('service1')), 'EREFUSED');
    server.setFailure('service1', 'timeout');
    assert.equal(await errorCode(resolver.resolve4('service1')), 'ETIMEOUT');
    server.setFailure('unknown', 'servfail');
    assert.equal(await errorCode(resolver.resolve4('unknown')), 'ESERVFAIL');
    server.setFailure('service1', null);
    assert.deepEqual(await resolver.resolve4('service1'), ['127.0.0.11']);
    assert.ok(server.queriesFor('service1') >= 4);
  });
});

test('answers too large for UDP are truncated and then served over TCP', BOUND, async () => {
  await withServer(async (server, resolver, port) => {
    const many = Array.from({ length: 60 }, (_, i) => `10.1.0.${i + 1}`);
    server.setRecords('big', many);
    const [udpReply] = await udpExchange(port, [query(0x0101, 'big')], 0x0101);
    const h = header(udpReply);
    assert.equal(h.tc, true);
    assert.ok(udpReply.length <= 512);
    assert.equal(h.an, Math.floor((512 - 12 - 9) / 16));
    assert.deepEqual((await resolver.resolve4('big')).sort(), many.slice().sort());
  });
});

test('header bits, echoed question and answer records on the wire', BOUND, async () => {
  await withServer(async (server, _resolver, port) => {
    server.setRecords('service1', ['127.0.0.11', '127.0.0.12'], 30);
    const q = query(0x1234, 'SeRvIcE1', 1, { rd: true });
    const noRd = query(0x1235, 'service1', 1, { rd: false });
    const replies = await udpExchange(port, [q, noRd], 0x1235);
    const reply = replies.find((r) => r.readUInt16BE(0) === 0x1234)!;
    assert.deepEqual(header(reply), { id: 0x1234, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false,
      rcode: 0, qd: 1, an: 2, ns: 0, ar: 0 });
    // The question comes back byte for byte, in the case it was asked.
    assert.deepEqual(reply.subarray(12, q.length), q.subarray(12));
    let off = q.length;
    for (const ip of [[127, 0, 0, 11], [127, 0, 0, 12]]) {
      assert.equal(reply.readUInt16BE(off), 0xc00c);
      assert.equal(reply.readUInt16BE(off + 2), 1);
      assert.equal(reply.readUInt16BE(off + 4), 1);
      assert.equal(reply.readUInt32BE(off + 6), 30);
      assert.equal(reply.readUInt16BE(off + 10), 4);
      assert.deepEqual([...reply.subarray(off + 12, off + 16)], ip);
      off += 16;
    }
    assert.equal(off, reply.length);
    assert.equal(header(replies.find((r) => r.readUInt16BE(0) === 0x1235)!).rd, false);
  });
});

test('NXDOMAIN is authoritative; other types are NODATA; ANY returns the A records', () => {
  const server = new DnsServer({ address: '127.0.0.1', port: 0 });
  server.setRecords('service1', ['127.0.0.11']);
  const nx = header(server.respond(query(1, 'nope'), 512)!);
  assert.equal(nx.rcode, 3);
  assert.equal(nx.aa, true);
  assert.equal(nx.an, 0);
  const mx = header(server.respond(query(2, 'service1', 15), 512)!);
  assert.equal(mx.rcode, 0);
  assert.equal(mx.an, 0);
  const any = header(server.respond(query(3, 'service1', 255), 512)!);
  assert.equal(any.an, 1);
  const chaos = header(server.respond(query(4, 'service1', 1, { qclass: 3 }), 512)!);
  assert.equal(chaos.rcode, 5);
});

test('malformed messages get FORMERR or NOTIMP, or are ignored, and never throw', () => {
  const server = new DnsServer({ address: '127.0.0.1', port: 0 });
  server.setRecords('service1', ['127.0.0.11']);
  assert.equal(server.respond(Buffer.alloc(0), 512), null);
  assert.equal(server.respond(Buffer.from([1, 2, 3, 4, 5]), 512), null);

  const response = query(5, 'service1');
  response[2] |= 0x80; // QR set: a response, never answered
  assert.equal(server.respond(response, 512), null);

  const two = header(server.respond(query(6, 'service1', 1, { qdcount: 2 }), 512)!);
  assert.deepEqual([two.id, two.qr, two.rcode, two.qd], [6, true, 1, 0]);
  const none = header(server.respond(query(7, 'service1', 1, { qdcount: 0 }), 512)!);
  assert.equal(none.rcode, 1);
  const iquery = header(server.respond(query(8, 'service1', 1, { opcode: 1 }), 512)!);
  assert.deepEqual([iquery.rcode, iquery.opcode], [4, 1]);

  const truncatedName = query(9, 'service1').subarray(0, 16);
  assert.equal(header(server.respond(truncatedName, 512)!).rcode, 1);
  const noType = query(10, 'service1').subarray(0, 12 + 10 + 2);
  assert.equal(header(server.respond(noType, 512)!).rcode, 1);

  const selfPointer = Buffer.concat([query(11, '').subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  assert.equal(header(server.respond(selfPointer, 512)!).rcode, 1);
  const badLabelType = Buffer.concat([query(12, '').subarray(0, 12), Buffer.from([0x41, 0, 0, 1, 0, 1])]);
  assert.equal(header(server.respond(badLabelType, 512)!).rcode, 1);
  const longLabels = Array.from({ length: 5 }, () => 'a'.repeat(63)).join('.');
  assert.equal(header(server.respond(query(13, longLabels), 512)!).rcode, 1);

  const loop = Buffer.concat([query(14, '').subarray(0, 12), Buffer.from([1, 0x61, 0xc0, 12, 0, 1, 0, 1])]);
  assert.equal(header(server.respond(loop, 512)!).rcode, 1);

  // A backwards pointer is legal: label 'x', then a pointer to the header's zero ARCOUNT byte, which
  // ends the name. The echoed question is re-encoded without the pointer.
  server.setRecords('x', ['127.0.0.9']);
  const compressed = Buffer.concat([query(15, '').subarray(0, 12), Buffer.from([1, 0x78, 0xc0, 11, 0, 1, 0, 1])]);
  const reply = server.respond(compressed, 512)!;
  assert.deepEqual([header(reply).rcode, header(reply).an], [0, 1]);
  assert.deepEqual([...reply.subarray(12, 19)], [1, 0x78, 0, 0, 1, 0, 1]);
});

test('respond never throws and keeps UDP answers within 512 bytes, whatever the bytes', () => {
  const server = new DnsServer({ address: '127.0.0.1', port: 0 });
  server.setRecords('a', Array.from({ length: 40 }, (_, i) => `10.0.0.${i}`));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
    const reply = server.respond(Buffer.from(bytes), 512);
    assert.ok(reply === null || reply.length <= 512);
  }), { numRuns: 2000 });
  // Mutations of a valid query reach deeper into the parser than random bytes.
  const base = query(1, 'a');
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    (edits) => {
      const msg = Buffer.from(base);
      for (const [i, v] of edits) msg[i] = v;
      const reply = server.respond(msg, 512);
      assert.ok(reply === null || reply.length <= 512);
    }), { numRuns: 2000 });
});

test('garbage over UDP does not stop the server answering', BOUND, async () => {
  await withServer(async (server, resolver, port) => {
    server.setRecords('service1', ['127.0.0.11']);
    const replies = await udpExchange(port, [Buffer.from('hello'), Buffer.alloc(0),
      query(0x2222, 'service1', 1, { qdcount: 3 }), query(0x3333, 'service1')], 0x3333);
    const formErr = replies.find((r) => r.readUInt16BE(0) === 0x2222);
    assert.equal(formErr && header(formErr).rcode, 1);
    assert.equal(header(replies.find((r) => r.readUInt16BE(0) === 0x3333)!).an, 1);
    assert.deepEqual(await resolver.resolve4('service1'), ['127.0.0.11']);
  });
});

test('TCP: several framed queries in one write and one query split across writes', BOUND, async () => {
  await withServer(async (server, _resolver, port) => {
    server.setRecords('service1', ['127.0.0.11', '127.0.0.12']);
    const both = Buffer.concat([framed(query(21, 'service1')), framed(query(22, 'nope'))]);
    const replies = await tcpExchange(port, [both], 2);
    assert.deepEqual(replies.map((r) => [header(r).id, header(r).rcode, header(r).an]), [[21, 0, 2], [22, 3, 0]]);
    const one = framed(query(23, 'service1'));
    const split = await tcpExchange(port, [one.subarray(0, 1), one.subarray(1, 7), one.subarray(7)], 1);
    assert.equal(header(split[0]).id, 23);
  });
});

test('UDP only when tcp is false; start reports the bound address; stop is idempotent', BOUND, async () => {
  const server = new DnsServer({ address: '127.0.0.1', port: 0, tcp: false });
  const bound = await server.start();
  assert.equal(bound.address, '127.0.0.1');
  assert.ok(bound.port > 0);
  assert.deepEqual(server.address, bound);
  server.setRecords('x', ['127.0.0.9']);
  const [reply] = await udpExchange(bound.port, [query(31, 'x')], 31);
  assert.equal(header(reply).an, 1);
  await server.stop();
  await server.stop();
  assert.equal(server.address, null);
});

test('a port already in use makes start reject', BOUND, async () => {
  const first = new DnsServer({ address: '127.0.0.1', port: 0 });
  const { port } = await first.start();
  try {
    const second = new DnsServer({ address: '127.0.0.1', port });
    assert.equal(await errorCode(second.start()), 'EADDRINUSE');
  } finally {
    await first.stop();
  }
});

test('setRecords rejects addresses that are not IPv4 and bad ttls', () => {
  const server = new DnsServer({ address: '127.0.0.1', port: 0 });
  assert.throws(() => server.setRecords('x', ['::1']), TypeError);
  assert.throws(() => server.setRecords('x', ['127.0.0.300']), TypeError);
  assert.throws(() => server.setRecords('x', ['127.0.0.1'], -1), TypeError);
  assert.throws(() => new DnsServer({ address: 'localhost', port: 0 }), TypeError);
});

test('start twice gives one binding; the server can start again after stop', BOUND, async () => {
  const server = new DnsServer({ address: '127.0.0.1', port: 0 });
  const [a, b] = await Promise.all([server.start(), server.start()]);
  assert.deepEqual(a, b);
  await server.stop();
  server.setRecords('again', ['127.0.0.5']);
  const { port } = await server.start();
  try {
    const [reply] = await udpExchange(port, [query(41, 'again')], 41);
    assert.equal(header(reply).an, 1);
  } finally {
    await server.stop();
  }
});
