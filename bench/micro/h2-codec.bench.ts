// Micro-benchmark of our HTTP/2 client codec (core/http/h2): HPACK decoding of the header block nginx
// 1.22 sends for a small response (captured from `return 200`: every field literal with incremental
// indexing, values Huffman-coded), with and without the per-name value cache; frame parsing of one
// response (HEADERS + DATA) and of 50 in one read; HPACK encoding of a proxied request with and
// without Huffman; and one whole request/response through H2ClientConnection (encode the request,
// take the output, parse and decode the response, deliver it). Run: node dist/bench/micro/h2-codec.bench.js
import { Bench } from 'tinybench';
import { HpackDecoder } from '../../core/http/h2/hpack-decoder.js';
import { HpackEncoder, fieldBound } from '../../core/http/h2/hpack-encoder.js';
import { huffmanDecode } from '../../core/http/h2/huffman.js';
import { FrameReader, type FrameHandler } from '../../core/http/h2/frame-reader.js';
import { H2ClientConnection, type H2ConnectionEvents } from '../../core/http/h2/client-connection.js';
import { FrameType } from '../../core/http/h2/constants.js';
import type { FlatHeaders, UpstreamCallbacks, UpstreamStream } from '../../core/http/contracts.js';

/** :status 200, server: nginx/1.22.1, date, content-type: text/html; charset=utf-8, content-length: 90. */
const NGINX_BLOCK = Buffer.from(
  '887684aa6355e76197df3dbf4a09c5349fba82009c502edc13771a714c5a37ff5f92497ca589d34d1f6a1271d882a60b532acf7f5c023930',
  'hex',
);
const BODY = Buffer.alloc(90, 0x61);

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

const response = (stream: number) => Buffer.concat([frame(FrameType.HEADERS, 4, stream, NGINX_BLOCK), frame(FrameType.DATA, 1, stream, BODY)]);
const ONE = response(1);
/** One response whose stream id the connection benchmark patches in place. */
const RESP = Buffer.from(ONE);
const FIFTY = Buffer.concat(Array.from({ length: 50 }, (_, i) => response(1 + 2 * i)));

const REQUEST: FlatHeaders = [
  'user-agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'accept', 'application/json',
  'accept-encoding', 'gzip, deflate, br',
  'x-forwarded-proto', 'http',
  'x-request-id', '3f1c2b9e-8a47-4a5e-9d8b-6f0e1c2d3a4b',
  'x-envoy-expected-rq-timeout-ms', '15000',
];

let sink = 0;

class NoopFrames implements FrameHandler {
  onData(_s: number, chunk: Buffer): void {
    sink += chunk.length;
  }
  onHeaderBlock(_t: FrameType, _s: number, _e: boolean, _p: number, _b: Buffer, start: number, end: number): void {
    sink += end - start;
  }
  onFrame(): void {
    sink++;
  }
  onFrameError(): void {
    throw new Error('frame error');
  }
}

class Req implements UpstreamCallbacks {
  readonly upstreamMethod = 'GET';
  readonly upstreamPath = '/service/1';
  readonly upstreamAuthority = 'localhost:8080';
  readonly upstreamScheme = 'http';
  readonly upstreamHeaders = REQUEST;
  readonly requestContentLength = 0;
  readonly requestComplete = true;
  onUpstreamStream(_s: UpstreamStream): void {}
  onUpstreamHeaders(status: number, h: FlatHeaders): void {
    sink += status + h.length;
  }
  onUpstreamData(c: Uint8Array): void {
    sink += c.length;
  }
  onUpstreamTrailers(): void {}
  onUpstreamError(): void {
    throw new Error('stream failed');
  }
  onUpstreamWritable(): void {}
}

const events: H2ConnectionEvents = { onOutput() {}, onSettings() {}, onGoaway() {}, onConnectionError: (_c, d) => { throw new Error(d); }, onStreamClosed() {} };
function connection(): H2ClientConnection {
  const c = new H2ClientConnection(events, { initialStreamWindow: 268435456, connectionWindow: 268435456 });
  c.start();
  c.receive(frame(FrameType.SETTINGS, 0, 0, Buffer.from('000300000080000400010000000500ffffff', 'hex')));
  c.takeOutput();
  return c;
}

const cached = new HpackDecoder();
const uncached = new HpackDecoder({ valueCache: false });
const out: string[] = [];
const reader = new FrameReader(new NoopFrames());
const encRaw = new HpackEncoder(false);
const encHuff = new HpackEncoder(true);
const encBuf = Buffer.alloc(4096);
const dateHuff = NGINX_BLOCK.subarray(8, 8 + 23);
const scratch = Buffer.alloc(64);
const conn = connection();
const req = new Req();

function encode(e: HpackEncoder): number {
  let p = 0;
  p = e.encodeField(encBuf, p, ':method', 'GET');
  p = e.encodeField(encBuf, p, ':scheme', 'http');
  p = e.encodeField(encBuf, p, ':authority', 'localhost:8080');
  p = e.encodeField(encBuf, p, ':path', '/service/1');
  for (let i = 0; i < REQUEST.length; i += 2) p = e.encodeField(encBuf, p, REQUEST[i], REQUEST[i + 1]);
  return p;
}
let bound = 0;
for (let i = 0; i < REQUEST.length; i += 2) bound += fieldBound(REQUEST[i], REQUEST[i + 1]);
console.log(`request block: ${encode(encRaw)} bytes raw, ${encode(encHuff)} bytes with Huffman (bound ${bound + 60})`);

const bench = new Bench({ time: 1000, warmupTime: 300 });
bench
  .add('HPACK decode: nginx 5-field response block (value cache on)', () => {
    out.length = 0;
    cached.decode(NGINX_BLOCK, 0, NGINX_BLOCK.length, out);
  })
  .add('HPACK decode: same block, value cache off', () => {
    out.length = 0;
    uncached.decode(NGINX_BLOCK, 0, NGINX_BLOCK.length, out);
  })
  .add('Huffman decode: the 29-char date value alone', () => {
    sink += huffmanDecode(dateHuff, 0, dateHuff.length, scratch);
  })
  .add('frame parse: one response (HEADERS + DATA, 157 B)', () => {
    reader.push(ONE);
  })
  .add('frame parse: 50 responses in one read (per read)', () => {
    reader.push(FIFTY);
  })
  .add('HPACK encode: proxied GET, 10 fields, raw strings', () => {
    sink += encode(encRaw);
  })
  .add('HPACK encode: same, Huffman where shorter', () => {
    sink += encode(encHuff);
  })
  .add('H2ClientConnection: request HEADERS out + nginx response in, delivered', () => {
    const s = conn.openStream(req);
    sink += conn.takeOutput() === null ? 0 : 1;
    RESP.writeUInt32BE(s.id, 5);
    RESP.writeUInt32BE(s.id, 9 + NGINX_BLOCK.length + 5);
    conn.receive(RESP);
    sink += conn.takeOutput() === null ? 0 : 1;
  });

await bench.warmup();
await bench.run();
console.table(bench.table());
if (sink === 0) throw new Error('benchmark did no work');
