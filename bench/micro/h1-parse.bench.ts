// Micro-benchmark of the HTTP/1.1 codec: parsing a typical ~150-byte response head plus a 60-byte body
// arriving in one chunk (and split in two), against Node's own llhttp binding; and request-head
// serialization as a string vs. into a Buffer. Run: node dist/bench/micro/h1-parse.bench.js

import { createRequire } from 'node:module';
import { Bench } from 'tinybench';
import { H1Parser, type H1Handler } from '../../core/http/h1/parser.js';
import { serializeRequestHead } from '../../core/http/h1/serialize.js';

const HEAD =
  'HTTP/1.1 200 OK\r\n' +
  'Server: nginx/1.22.1\r\n' +
  'Date: Thu, 26 Nov 2026 10:00:00 GMT\r\n' +
  'Content-Type: application/json\r\n' +
  'Content-Length: 60\r\n' +
  'Connection: keep-alive\r\n' +
  '\r\n';
const BODY = '{"id":12345,"name":"nuncio","ok":true,"items":[1,2,3,4,5,6]}';
const MSG = Buffer.from(HEAD + BODY, 'latin1');
const CHUNKED = Buffer.from(
  HEAD.replace('Content-Length: 60', 'Transfer-Encoding: chunked') + '3c\r\n' + BODY + '\r\n0\r\n\r\n',
  'latin1',
);
const SPLIT_AT = 90;
const REQUEST = Buffer.from(
  'GET /api/v1/items?limit=10 HTTP/1.1\r\n' +
    'Host: api.example.com\r\n' +
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n' +
    'Accept: application/json\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\n' +
    'Accept-Language: en-US,en;q=0.5\r\n' +
    'Connection: keep-alive\r\n' +
    '\r\n',
  'latin1',
);
const PART1 = MSG.subarray(0, SPLIT_AT);
const PART2 = MSG.subarray(SPLIT_AT);

class Sink implements H1Handler {
  status = 0;
  bodyBytes = 0;
  done = 0;
  onHead(status: number): void {
    this.status = status;
  }
  onBody(chunk: Buffer): void {
    this.bodyBytes += chunk.length;
  }
  onMessageComplete(): void {
    this.done++;
  }
  onError(code: string): void {
    throw new Error(code);
  }
}

const sink = new Sink();
const ours = new H1Parser('response', sink, { maxHeaderBytes: 60 * 1024, maxHeaders: 100 });
const oursRequest = new H1Parser('request', sink, { maxHeaderBytes: 60 * 1024, maxHeaders: 100 });

// llhttp through Node's HTTPParser binding (what node:http and undici-less clients use).
interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(b: Buffer): number | Error;
  [k: number]: unknown;
}
type LlhttpCtor = { new (): LlhttpParser; RESPONSE: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number; kOnExecute: number };
let llhttp: LlhttpParser | null = null;
try {
  const require = createRequire(import.meta.url);
  const { HTTPParser } = require('_http_common') as { HTTPParser: LlhttpCtor };
  const p = new HTTPParser();
  p.initialize(HTTPParser.RESPONSE, {}, 0, 0);
  let status = 0;
  let bodyBytes = 0;
  p[HTTPParser.kOnHeadersComplete] = (_maj: number, _min: number, headers: string[], _m: unknown, _u: unknown, code: number) => {
    status = code + headers.length * 0;
    return 0;
  };
  p[HTTPParser.kOnBody] = (b: Buffer) => {
    bodyBytes += b.length;
  };
  p[HTTPParser.kOnMessageComplete] = () => {
    sink.done += status + bodyBytes * 0 > 0 ? 1 : 0;
  };
  llhttp = p;
} catch {
  llhttp = null;
}

const HEADERS = [
  'host', 'api.internal:8080',
  'user-agent', 'curl/8.5.0',
  'accept', '*/*',
  'x-request-id', '3f1c2b9e-8a47-4a5e-9d8b-6f0e1c2d3a4b',
  'x-forwarded-for', '10.0.0.1',
  'x-forwarded-proto', 'http',
  'x-envoy-expected-rq-timeout-ms', '15000',
];

interface Latin1Writer {
  latin1Write(s: string, offset: number): number;
}
const OUT = Buffer.allocUnsafeSlow(4096);

function serializeToBuffer(method: string, target: string, headers: readonly string[]): Buffer {
  const out = OUT as Buffer & Latin1Writer;
  let o = out.latin1Write(method, 0);
  out[o++] = 32;
  o += out.latin1Write(target, o);
  o += out.latin1Write(' HTTP/1.1\r\n', o);
  for (let i = 0; i < headers.length; i += 2) {
    o += out.latin1Write(headers[i], o);
    out[o++] = 58;
    out[o++] = 32;
    o += out.latin1Write(headers[i + 1], o);
    out[o++] = 13;
    out[o++] = 10;
  }
  out[o++] = 13;
  out[o++] = 10;
  return out.subarray(0, o);
}

let sinkLen = 0;
const bench = new Bench({ time: 1000, warmupTime: 300 });
bench
  .add('nuncio H1Parser: 154 B head + 60 B body, one chunk', () => {
    ours.execute(MSG);
  })
  .add('nuncio H1Parser: same, split in two chunks', () => {
    ours.execute(PART1);
    ours.execute(PART2);
  })
  .add('nuncio H1Parser: chunked body, one chunk', () => {
    ours.execute(CHUNKED);
  })
  .add(`nuncio H1Parser: ${REQUEST.length} B browser-like GET request`, () => {
    oursRequest.execute(REQUEST);
  });
if (llhttp !== null) {
  const p = llhttp;
  bench.add('node llhttp (HTTPParser binding): same message, one chunk', () => {
    p.execute(MSG);
  });
}
bench
  .add('serializeRequestHead -> string, flattened (socket.write(s, "latin1") flattens the rope once)', () => {
    const s = serializeRequestHead('GET', '/api/v1/items?limit=10', HEADERS);
    sinkLen += s.charCodeAt(s.length - 1); // charCodeAt flattens the concatenation rope
  })
  .add('serialize into a Buffer with latin1Write per piece', () => {
    sinkLen += serializeToBuffer('GET', '/api/v1/items?limit=10', HEADERS).length;
  })
  .add('serializeRequestHead -> Buffer.from(string, latin1)', () => {
    sinkLen += Buffer.from(serializeRequestHead('GET', '/api/v1/items?limit=10', HEADERS), 'latin1').length;
  });

await bench.warmup();
await bench.run();
console.table(bench.table());
if (sink.done === 0 || sinkLen === 0) throw new Error('benchmark did no work');
