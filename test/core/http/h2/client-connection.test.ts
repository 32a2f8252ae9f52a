// H2ClientConnection against a scripted peer: preface and settings, a request's frames, responses
// (plain, informational, trailers, HPACK dynamic table), the RFC 9113 checks that reset a stream,
// RST_STREAM / GOAWAY / PING / PUSH_PROMISE handling, flow control both ways with backpressure, and
// the connection errors that end it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { H2ClientConnection, type H2ClientOptions, type H2ClientStream, type H2ConnectionEvents } from '../../../../core/http/h2/client-connection.js';
import { FrameReader, type FrameHandler } from '../../../../core/http/h2/frame-reader.js';
import { FrameWriter, writeFrameHeader } from '../../../../core/http/h2/frame-writer.js';
import { HpackEncoder, fieldBound, writeInt } from '../../../../core/http/h2/hpack-encoder.js';
import { HpackDecoder } from '../../../../core/http/h2/hpack-decoder.js';
import { CLIENT_PREFACE, Flag, FrameType, H2Error, Setting } from '../../../../core/http/h2/constants.js';
import { ResetReason, type FlatHeaders, type UpstreamCallbacks, type UpstreamStream } from '../../../../core/http/contracts.js';

/** What the client sent, frame by frame. */
type Sent =
  | { t: 'data'; stream: number; bytes: number; end: boolean }
  | { t: 'headers'; stream: number; end: boolean; fields: string[] }
  | { t: 'frame'; type: number; flags: number; stream: number; payload: Buffer };

class Peer implements FrameHandler, H2ConnectionEvents {
  readonly conn: H2ClientConnection;
  readonly sent: Sent[] = [];
  readonly log: string[] = [];
  private readonly reader = new FrameReader(this, 1 << 24, 1 << 20);
  private readonly dec = new HpackDecoder();
  readonly enc = new HpackEncoder(false);
  private prefaceLeft = CLIENT_PREFACE.length;
  private dataBytes = 0;
  outputSignals = 0;
  settingsCap = -1;
  connError: string | null = null;

  constructor(opts: Partial<H2ClientOptions> = {}) {
    this.conn = new H2ClientConnection(this, { initialStreamWindow: 65535, connectionWindow: 65535, ...opts });
  }

  // ---- events from the connection
  onOutput(): void {
    this.outputSignals++;
  }
  onSettings(max: number): void {
    this.settingsCap = max;
    this.log.push(`settings ${max}`);
  }
  onGoaway(last: number, code: number): void {
    this.log.push(`goaway ${last} ${code}`);
  }
  onConnectionError(code: number, detail: string): void {
    this.connError = detail;
    this.log.push(`connection error ${code}`);
  }
  onStreamClosed(s: H2ClientStream): void {
    this.log.push(`closed ${s.id}`);
  }

  // ---- reading what the client wrote
  /** Parses the client's pending output; returns the new frames. */
  read(): Sent[] {
    const o = this.conn.takeOutput();
    let b = o === null ? Buffer.alloc(0) : Array.isArray(o) ? Buffer.concat(o) : o;
    if (this.prefaceLeft > 0) {
      assert.deepEqual(b.subarray(0, this.prefaceLeft), CLIENT_PREFACE.subarray(CLIENT_PREFACE.length - this.prefaceLeft));
      b = b.subarray(this.prefaceLeft);
      this.prefaceLeft = 0;
    }
    const n = this.sent.length;
    this.reader.push(b);
    return this.sent.slice(n);
  }
  onData(stream: number, chunk: Buffer, flow: number, last: boolean, end: boolean): void {
    if (flow >= 0) this.dataBytes = 0;
    this.dataBytes += chunk.length;
    if (last) this.sent.push({ t: 'data', stream, bytes: this.dataBytes, end });
  }
  onHeaderBlock(_type: FrameType, stream: number, end: boolean, _p: number, block: Buffer, s: number, e: number): void {
    const out: string[] = [];
    this.dec.decode(block, s, e, out);
    this.sent.push({ t: 'headers', stream, end, fields: [...this.dec.pseudo.slice(0, this.dec.pseudoLength), ...out] });
  }
  onFrame(type: number, flags: number, stream: number, payload: Buffer, s: number, e: number): void {
    this.sent.push({ t: 'frame', type, flags, stream, payload: Buffer.from(payload.subarray(s, e)) });
  }
  onFrameError(code: H2Error, detail: string): void {
    throw new Error(`client wrote a bad frame: ${code} ${detail}`);
  }

  // ---- writing to the client
  frame(type: number, flags: number, stream: number, payload: number[] | Buffer = []): void {
    const p = Buffer.from(payload as Uint8Array);
    const h = Buffer.alloc(9);
    writeFrameHeader(h, 0, p.length, type, flags, stream);
    this.conn.receive(Buffer.concat([h, p]));
  }
  settings(pairs: number[] = []): void {
    const b = Buffer.alloc(pairs.length * 3);
    for (let i = 0; i < pairs.length; i += 2) {
      b.writeUInt16BE(pairs[i], i * 3);
      b.writeUInt32BE(pairs[i + 1], i * 3 + 2);
    }
    this.frame(FrameType.SETTINGS, 0, 0, b);
  }
  block(fields: string[]): Buffer {
    let bound = 0;
    for (let i = 0; i < fields.length; i += 2) bound += fieldBound(fields[i], fields[i + 1]);
    const b = Buffer.alloc(bound);
    let p = 0;
    for (let i = 0; i < fields.length; i += 2) p = this.enc.encodeField(b, p, fields[i], fields[i + 1]);
    return b.subarray(0, p);
  }
  /** Literal fields without indexing, written as given (our encoder would drop some of them). */
  rawBlock(fields: string[]): Buffer {
    const out = Buffer.alloc(4096);
    let p = 0;
    for (let i = 0; i < fields.length; i += 2) {
      out[p++] = 0;
      p = writeInt(out, p, 7, 0, fields[i].length);
      p += out.write(fields[i], p, 'latin1');
      p = writeInt(out, p, 7, 0, fields[i + 1].length);
      p += out.write(fields[i + 1], p, 'latin1');
    }
    return out.subarray(0, p);
  }
  headers(stream: number, fields: string[], end: boolean): void {
    this.frame(FrameType.HEADERS, Flag.END_HEADERS | (end ? Flag.END_STREAM : 0), stream, this.block(fields));
  }
  data(stream: number, body: string | Buffer, end: boolean): void {
    this.frame(FrameType.DATA, end ? Flag.END_STREAM : 0, stream, typeof body === 'string' ? Buffer.from(body) : body);
  }
  windowUpdate(stream: number, inc: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(inc);
    this.frame(FrameType.WINDOW_UPDATE, 0, stream, b);
  }
  rst(stream: number, code: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(code);
    this.frame(FrameType.RST_STREAM, 0, stream, b);
  }
  goaway(last: number, code: number): void {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(last);
    b.writeUInt32BE(code, 4);
    this.frame(FrameType.GOAWAY, 0, 0, b);
  }

  /** Connection set up: preface read, peer SETTINGS sent and ours acknowledged. */
  static ready(opts: Partial<H2ClientOptions> = {}, settings: number[] = []): Peer {
    const p = new Peer(opts);
    p.conn.start();
    p.read();
    p.settings(settings);
    p.frame(FrameType.SETTINGS, Flag.ACK, 0);
    p.read();
    return p;
  }
}

class Req implements UpstreamCallbacks {
  upstreamMethod = 'GET';
  upstreamPath = '/p?q=1';
  upstreamAuthority = 'example.test';
  upstreamScheme = 'http';
  upstreamHeaders: FlatHeaders = ['user-agent', 'test', 'x-request-id', 'abc'];
  requestContentLength = 0;
  requestComplete = true;
  readonly log: string[] = [];
  body = '';
  stream: UpstreamStream | null = null;
  onData: ((r: Req) => void) | null = null;
  onUpstreamStream(s: UpstreamStream): void {
    this.stream = s;
  }
  onUpstreamHeaders(status: number, headers: FlatHeaders, cl: number, end: boolean): void {
    this.log.push(`headers ${status} ${JSON.stringify(headers)} ${cl} ${end}`);
  }
  onUpstreamData(chunk: Uint8Array, end: boolean): void {
    this.body += Buffer.from(chunk).toString();
    this.log.push(`data ${chunk.length} ${end}`);
    this.onData?.(this);
  }
  onUpstreamTrailers(t: FlatHeaders): void {
    this.log.push(`trailers ${JSON.stringify(t)}`);
  }
  onUpstreamError(reason: ResetReason, transport: string): void {
    this.log.push(`error ${reason}${transport ? ' ' + transport : ''}`);
  }
  onUpstreamWritable(): void {
    this.log.push('writable');
  }
}

function open(p: Peer, over: Partial<Req> = {}): { r: Req; s: H2ClientStream } {
  const r = Object.assign(new Req(), over);
  const s = p.conn.openStream(r);
  r.stream = s;
  return { r, s };
}

const frames = (sent: Sent[], type: number) => sent.filter((x): x is Extract<Sent, { t: 'frame' }> => x.t === 'frame' && x.type === type);

describe('connection set-up', () => {
  test('preface, SETTINGS (push off, our window and header list size) and the connection window', () => {
    const p = new Peer({ initialStreamWindow: 1 << 20, connectionWindow: 8 << 20, maxHeaderListSize: 32768 });
    p.conn.start();
    assert.equal(p.outputSignals, 1);
    const sent = p.read();
    const s = frames(sent, FrameType.SETTINGS)[0];
    const pairs: number[] = [];
    for (let i = 0; i < s.payload.length; i += 6) pairs.push(s.payload.readUInt16BE(i), s.payload.readUInt32BE(i + 2));
    assert.deepEqual(pairs, [Setting.ENABLE_PUSH, 0, Setting.INITIAL_WINDOW_SIZE, 1 << 20, Setting.MAX_HEADER_LIST_SIZE, 32768]);
    const wu = frames(sent, FrameType.WINDOW_UPDATE)[0];
    assert.equal(wu.stream, 0);
    assert.equal(wu.payload.readUInt32BE(0), (8 << 20) - 65535);
    assert.equal(p.conn.gotSettings, false);
    p.settings([Setting.MAX_CONCURRENT_STREAMS, 7, Setting.MAX_FRAME_SIZE, 32768]);
    assert.deepEqual(p.log, ['settings 7']);
    assert.equal(p.conn.peerMaxFrameSize, 32768);
    const ack = frames(p.read(), FrameType.SETTINGS);
    assert.equal(ack.length, 1);
    assert.equal(ack[0].flags, Flag.ACK);
  });

  test('a first frame other than SETTINGS is a connection error', () => {
    const p = new Peer();
    p.conn.start();
    p.read();
    p.frame(FrameType.PING, 0, 0, Buffer.alloc(8));
    assert.match(p.connError!, /PROTOCOL_ERROR/);
    const ga = frames(p.read(), FrameType.GOAWAY)[0];
    assert.equal(ga.payload.readUInt32BE(4), H2Error.PROTOCOL_ERROR);
    assert.equal(p.conn.canOpen, false);
  });

  test('bad settings values are connection errors', () => {
    for (const [pairs, code] of [
      [[Setting.ENABLE_PUSH, 1], H2Error.PROTOCOL_ERROR],
      [[Setting.MAX_FRAME_SIZE, 100], H2Error.PROTOCOL_ERROR],
      [[Setting.MAX_FRAME_SIZE, 1 << 24], H2Error.PROTOCOL_ERROR],
      [[Setting.INITIAL_WINDOW_SIZE, 2 ** 31], H2Error.FLOW_CONTROL_ERROR],
    ] as [number[], H2Error][]) {
      const p = new Peer();
      p.conn.start();
      p.read();
      p.settings(pairs);
      assert.equal(frames(p.read(), FrameType.GOAWAY)[0].payload.readUInt32BE(4), code, JSON.stringify(pairs));
    }
  });

  test('PING is answered with the same payload', () => {
    const p = Peer.ready();
    p.frame(FrameType.PING, 0, 0, Buffer.from('abcdefgh'));
    p.frame(FrameType.PING, Flag.ACK, 0, Buffer.from('ignored!'));
    const pings = frames(p.read(), FrameType.PING);
    assert.equal(pings.length, 1);
    assert.equal(pings[0].flags, Flag.ACK);
    assert.equal(pings[0].payload.toString(), 'abcdefgh');
  });

  test('a flood of PINGs in one read ends the connection (ENHANCE_YOUR_CALM)', () => {
    const p = Peer.ready({ maxOutboundControlFrames: 10 });
    const one = Buffer.alloc(17);
    writeFrameHeader(one, 0, 8, FrameType.PING, 0, 0);
    p.conn.receive(Buffer.concat(Array.from({ length: 20 }, () => one)));
    assert.match(p.connError!, /ENHANCE_YOUR_CALM/);
  });
});

describe('requests and responses', () => {
  test('GET: one HEADERS frame with END_STREAM; response head and body in order', () => {
    const p = Peer.ready();
    const { r, s } = open(p);
    assert.equal(s.id, 1);
    const sent = p.read();
    assert.deepEqual(sent, [
      { t: 'headers', stream: 1, end: true, fields: [':method', 'GET', ':scheme', 'http', ':authority', 'example.test', ':path', '/p?q=1', 'user-agent', 'test', 'x-request-id', 'abc'] },
    ]);
    p.headers(1, [':status', '200', 'content-type', 'text/plain', 'content-length', '5'], false);
    p.data(1, 'hello', true);
    assert.deepEqual(r.log, ['headers 200 ["content-type","text/plain","content-length","5"] 5 false', 'data 5 true']);
    assert.deepEqual(p.log.slice(-1), ['closed 1']);
    assert.equal(p.conn.activeStreams, 0);
    assert.equal(open(p).s.id, 3);
  });

  test('POST: content-length sent, body framed, END_STREAM on the last DATA', () => {
    const p = Peer.ready();
    const { r, s } = open(p, { upstreamMethod: 'POST', requestContentLength: 11 });
    assert.equal(s.write(Buffer.from('hello '), false), true);
    assert.equal(s.write(Buffer.from('world'), true), true);
    const sent = p.read();
    assert.deepEqual(sent[0], { t: 'headers', stream: 1, end: false, fields: [':method', 'POST', ':scheme', 'http', ':authority', 'example.test', ':path', '/p?q=1', 'user-agent', 'test', 'x-request-id', 'abc', 'content-length', '11'] });
    assert.deepEqual(sent.slice(1), [
      { t: 'data', stream: 1, bytes: 6, end: false },
      { t: 'data', stream: 1, bytes: 5, end: true },
    ]);
    p.headers(1, [':status', '201'], true);
    assert.deepEqual(r.log, ['headers 201 [] -1 true']);
  });

  test('a streamed body with unknown length ends with an empty DATA frame', () => {
    const p = Peer.ready();
    const { s } = open(p, { upstreamMethod: 'POST', requestContentLength: -1 });
    s.write(Buffer.from('abc'), false);
    s.write(Buffer.alloc(0), true);
    assert.deepEqual(p.read().slice(1), [
      { t: 'data', stream: 1, bytes: 3, end: false },
      { t: 'data', stream: 1, bytes: 0, end: true },
    ]);
  });

  test('informational responses are skipped; trailers end the stream', () => {
    const p = Peer.ready();
    const { r } = open(p);
    p.headers(1, [':status', '100'], false);
    p.headers(1, [':status', '103', 'link', '</a>'], false);
    p.headers(1, [':status', '200'], false);
    p.data(1, 'abc', false);
    p.headers(1, ['grpc-status', '0', 'x-t', 'v'], true);
    assert.deepEqual(r.log, ['headers 200 [] -1 false', 'data 3 false', 'trailers ["grpc-status","0","x-t","v"]']);
    assert.equal(p.conn.activeStreams, 0);
  });

  test('empty trailers end the stream like END_STREAM on DATA', () => {
    const p = Peer.ready();
    const { r } = open(p);
    p.headers(1, [':status', '200'], false);
    p.data(1, 'abc', false);
    p.headers(1, [], true);
    assert.deepEqual(r.log, ['headers 200 [] -1 false', 'data 3 false', 'data 0 true']);
  });

  test('HEAD, 204 and 304: content-length without a body is fine', () => {
    const p = Peer.ready();
    const { r: a } = open(p, { upstreamMethod: 'HEAD' });
    p.headers(1, [':status', '200', 'content-length', '1000'], true);
    assert.deepEqual(a.log, ['headers 200 ["content-length","1000"] 1000 true']);
    const { r: b } = open(p);
    p.headers(3, [':status', '304', 'content-length', '1000'], true);
    assert.deepEqual(b.log, ['headers 304 ["content-length","1000"] 1000 true']);
  });

  test('the peer dynamic table is used across responses', () => {
    const p = Peer.ready();
    const { r: a } = open(p);
    // :status 200 indexed; server: nginx with incremental indexing (static name 54).
    p.frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, Buffer.from([0x88, 0x76, 0x05, ...Buffer.from('nginx')]));
    const { r: b } = open(p);
    // The same field by its dynamic index (62).
    p.frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, Buffer.from([0x88, 0xbe]));
    assert.deepEqual(a.log, ['headers 200 ["server","nginx"] -1 true']);
    assert.deepEqual(b.log, a.log);
  });

  test('a response that ends before the request body resets our half (CANCEL)', () => {
    const p = Peer.ready();
    const { r, s } = open(p, { upstreamMethod: 'POST', requestContentLength: -1 });
    s.write(Buffer.from('part'), false);
    p.read();
    p.headers(1, [':status', '413'], true);
    assert.deepEqual(r.log, ['headers 413 [] -1 true']);
    const rst = frames(p.read(), FrameType.RST_STREAM);
    assert.equal(rst.length, 1);
    assert.equal(rst[0].payload.readUInt32BE(0), H2Error.CANCEL);
    assert.equal(s.write(Buffer.from('more'), true), true);
    assert.deepEqual(p.read(), []);
  });

  test('reset() by the exchange: RST_STREAM(CANCEL), no more callbacks, late frames ignored', () => {
    const p = Peer.ready();
    const { r, s } = open(p);
    p.headers(1, [':status', '200'], false);
    s.reset();
    assert.deepEqual(frames(p.read(), FrameType.RST_STREAM).map((f) => [f.stream, f.payload.readUInt32BE(0)]), [[1, H2Error.CANCEL]]);
    p.data(1, 'late', false);
    p.headers(1, ['x', 'y'], true);
    assert.deepEqual(r.log, ['headers 200 [] -1 false']);
    assert.equal(p.connError, null);
    assert.equal(p.conn.recvWindow, 65535 - 4);
  });
});

describe('malformed responses reset the stream (PROTOCOL_ERROR)', () => {
  const cases: [string, (p: Peer) => void][] = [
    ['no :status', (p) => p.headers(1, ['x', 'y'], true)],
    ['bad :status', (p) => p.headers(1, [':status', '20x'], true)],
    ['101', (p) => p.headers(1, [':status', '101'], false)],
    ['informational with END_STREAM', (p) => p.headers(1, [':status', '100'], true)],
    ['a request pseudo-header', (p) => p.headers(1, [':status', '200', ':path', '/'], true)],
    ['upper-case name', (p) => p.headers(1, [':status', '200', 'X-Up', '1'], true)],
    ['connection-specific field', (p) => p.frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, p.rawBlock([':status', '200', 'connection', 'close']))],
    ['te other than trailers', (p) => p.frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, p.rawBlock([':status', '200', 'te', 'gzip']))],
    ['CR LF in a value', (p) => p.headers(1, [':status', '200', 'x', 'a\r\nset-cookie: evil'], true)],
    ['content-length not a number', (p) => p.headers(1, [':status', '200', 'content-length', '1e3'], false)],
    ['END_STREAM with content-length > 0', (p) => p.headers(1, [':status', '200', 'content-length', '3'], true)],
    [
      'more body than content-length',
      (p) => {
        p.headers(1, [':status', '200', 'content-length', '3'], false);
        p.data(1, 'abcd', false);
      },
    ],
    [
      'less body than content-length',
      (p) => {
        p.headers(1, [':status', '200', 'content-length', '3'], false);
        p.data(1, 'ab', true);
      },
    ],
    ['DATA before HEADERS', (p) => p.data(1, 'x', true)],
    [
      'trailers without END_STREAM',
      (p) => {
        p.headers(1, [':status', '200'], false);
        p.headers(1, ['x', 'y'], false);
      },
    ],
    [
      'pseudo-header in trailers',
      (p) => {
        p.headers(1, [':status', '200'], false);
        p.headers(1, [':status', '200'], true);
      },
    ],
  ];
  for (const [name, script] of cases) {
    test(name, () => {
      const p = Peer.ready();
      const { r } = open(p);
      script(p);
      assert.match(r.log.at(-1)!, new RegExp(`^error ${ResetReason.ProtocolError}$`));
      assert.equal(r.log.filter((l) => l.startsWith('error')).length, 1);
      const rst = frames(p.read(), FrameType.RST_STREAM);
      assert.deepEqual(rst.map((f) => [f.stream, f.payload.readUInt32BE(0)]), [[1, H2Error.PROTOCOL_ERROR]]);
      assert.equal(p.connError, null, 'a stream error, not a connection error');
      assert.equal(p.conn.activeStreams, 0);
    });
  }

  test('a header list over our limit', () => {
    const p = Peer.ready({ maxHeaderListSize: 200 });
    const { r } = open(p);
    p.headers(1, [':status', '200', 'x-big', 'v'.repeat(300)], true);
    assert.deepEqual(r.log, [`error ${ResetReason.ProtocolError}`]);
  });
});

describe('RST_STREAM, GOAWAY, PUSH_PROMISE', () => {
  test('RST_STREAM: REFUSED_STREAM is a refusal, other codes a remote reset', () => {
    const p = Peer.ready();
    const { r: a } = open(p);
    const { r: b } = open(p);
    p.rst(1, H2Error.REFUSED_STREAM);
    p.headers(3, [':status', '200'], false);
    p.rst(3, H2Error.INTERNAL_ERROR);
    assert.deepEqual(a.log, [`error ${ResetReason.RemoteRefusedStream}`]);
    assert.deepEqual(b.log, ['headers 200 [] -1 false', `error ${ResetReason.RemoteReset}`]);
    assert.deepEqual(frames(p.read(), FrameType.RST_STREAM), [], 'no RST_STREAM in reply to one');
  });

  test('RST_STREAM(NO_ERROR) after the whole announced body completes the response; short or unannounced it is a reset', () => {
    const p = Peer.ready();
    const { r: whole } = open(p);
    const { r: short } = open(p);
    const { r: unsized } = open(p);
    const { r: held, s: heldStream } = open(p);
    p.headers(1, [':status', '200', 'content-length', '5'], false);
    p.data(1, 'hello', false);
    p.rst(1, H2Error.NO_ERROR);
    assert.deepEqual(whole.log, ['headers 200 ["content-length","5"] 5 false', 'data 5 false', 'data 0 true']);
    p.headers(3, [':status', '200', 'content-length', '5'], false);
    p.data(3, 'hel', false);
    p.rst(3, H2Error.NO_ERROR);
    assert.deepEqual(short.log, ['headers 200 ["content-length","5"] 5 false', 'data 3 false', `error ${ResetReason.RemoteReset}`]);
    p.headers(5, [':status', '200'], false);
    p.data(5, 'hello', false);
    p.rst(5, H2Error.NO_ERROR);
    assert.deepEqual(unsized.log, ['headers 200 [] -1 false', 'data 5 false', `error ${ResetReason.RemoteReset}`]);
    // A paused reader keeps the held body, and gets the end after it.
    p.headers(7, [':status', '200', 'content-length', '4'], false);
    heldStream.pauseResponse();
    p.data(7, 'body', false);
    p.rst(7, H2Error.NO_ERROR);
    assert.deepEqual(held.log, ['headers 200 ["content-length","4"] 4 false']);
    heldStream.resumeResponse();
    assert.equal(held.body, 'body');
    assert.deepEqual(held.log.slice(-1), ['data 0 true']);
    assert.deepEqual(frames(p.read(), FrameType.RST_STREAM), [], 'no RST_STREAM in reply to one');
  });

  test('GOAWAY: no new streams; streams above last-stream-id refused; the rest complete', () => {
    const p = Peer.ready();
    const reqs = [open(p), open(p), open(p)].map((x) => x.r);
    p.goaway(3, H2Error.NO_ERROR);
    assert.equal(p.conn.canOpen, false);
    assert.deepEqual(p.log.slice(-2), ['goaway 3 0', 'closed 5'], 'the pool hears of GOAWAY before the refusals');
    assert.deepEqual(reqs[2].log, [`error ${ResetReason.RemoteRefusedStream}`]);
    p.headers(1, [':status', '200'], true);
    p.headers(3, [':status', '200'], true);
    assert.deepEqual(reqs[0].log, ['headers 200 [] -1 true']);
    assert.deepEqual(reqs[1].log, ['headers 200 [] -1 true']);
    // A second GOAWAY may lower the id further.
    const q = Peer.ready();
    const two = [open(q), open(q)].map((x) => x.r);
    q.goaway(0x7fffffff, H2Error.NO_ERROR);
    q.goaway(1, H2Error.NO_ERROR);
    assert.deepEqual(two[1].log, [`error ${ResetReason.RemoteRefusedStream}`]);
    assert.deepEqual(two[0].log, []);
  });

  test('PUSH_PROMISE before our SETTINGS are acknowledged is refused; after, a connection error', () => {
    const p = new Peer();
    p.conn.start();
    p.read();
    p.settings([]);
    open(p);
    const promise = Buffer.concat([Buffer.from([0, 0, 0, 2]), p.block([':method', 'GET', ':path', '/pushed', ':scheme', 'http', ':authority', 'x'])]);
    p.frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, promise);
    const rst = frames(p.read(), FrameType.RST_STREAM);
    assert.deepEqual(rst.map((f) => [f.stream, f.payload.readUInt32BE(0)]), [[2, H2Error.REFUSED_STREAM]]);
    p.frame(FrameType.SETTINGS, Flag.ACK, 0);
    p.frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, promise);
    assert.match(p.connError!, /PROTOCOL_ERROR/);
  });

  test('frames for idle streams are connection errors', () => {
    for (const send of [(p: Peer) => p.data(5, 'x', false), (p: Peer) => p.headers(5, [':status', '200'], true), (p: Peer) => p.rst(4, 8), (p: Peer) => p.windowUpdate(7, 10)]) {
      const p = Peer.ready();
      const { r } = open(p);
      send(p);
      assert.match(p.connError!, /PROTOCOL_ERROR/);
      assert.deepEqual(r.log, [`error ${ResetReason.ProtocolError}`], 'streams in flight fail');
    }
  });

  test('an undecodable header block is a COMPRESSION_ERROR', () => {
    const p = Peer.ready();
    open(p);
    p.frame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0x80]));
    assert.match(p.connError!, /COMPRESSION_ERROR/);
  });

  test('stream ids run out', () => {
    const p = Peer.ready({ firstStreamId: 0x7fffffff });
    assert.equal(p.conn.canOpen, true);
    open(p);
    assert.equal(p.conn.canOpen, false);
    assert.equal(p.conn.idsExhausted, true);
  });
});

describe('flow control', () => {
  test('request body waits for the peer windows; write() backpressure and onUpstreamWritable', () => {
    const p = Peer.ready({}, [Setting.INITIAL_WINDOW_SIZE, 1000]);
    const { r, s } = open(p, { upstreamMethod: 'POST', requestContentLength: 200000 });
    assert.equal(s.write(Buffer.alloc(100000, 1), false), false, 'more than the high-water mark waits');
    assert.equal(s.write(Buffer.alloc(100000, 2), true), false);
    let data = p.read().filter((x) => x.t === 'data');
    assert.equal(data.reduce((n, d) => n + (d.t === 'data' ? d.bytes : 0), 0), 1000, 'stream window: 1000');
    // Stream window opens; the connection window (65535) is the limit now.
    p.windowUpdate(1, 1 << 30);
    data = p.read().filter((x) => x.t === 'data');
    assert.equal(data.reduce((n, d) => n + (d.t === 'data' ? d.bytes : 0), 0), 65535 - 1000);
    assert.ok(data.every((d) => d.t === 'data' && d.bytes <= 16384), 'frames no larger than the peer max frame size');
    assert.deepEqual(r.log, []);
    p.windowUpdate(0, 1 << 30);
    data = p.read().filter((x) => x.t === 'data');
    assert.equal(data.reduce((n, d) => n + (d.t === 'data' ? d.bytes : 0), 0), 200000 - 65535);
    assert.equal(data.at(-1)!.t === 'data' && data.at(-1)!.end, true);
    assert.deepEqual(r.log, ['writable']);
  });

  test('SETTINGS_INITIAL_WINDOW_SIZE changes adjust streams in flight (also below zero)', () => {
    const p = Peer.ready();
    const { s } = open(p, { upstreamMethod: 'POST', requestContentLength: -1 });
    s.write(Buffer.alloc(30000), false);
    p.read();
    assert.equal(s.sendWindow, 65535 - 30000);
    p.settings([Setting.INITIAL_WINDOW_SIZE, 10000]);
    assert.equal(s.sendWindow, 10000 - 30000);
    s.write(Buffer.alloc(10), false);
    assert.deepEqual(p.read().filter((x) => x.t === 'data'), []);
    p.settings([Setting.INITIAL_WINDOW_SIZE, 40010]);
    assert.deepEqual(p.read().filter((x) => x.t === 'data'), [{ t: 'data', stream: 1, bytes: 10, end: false }]);
  });

  test('window overflow from WINDOW_UPDATE: stream and connection errors', () => {
    const p = Peer.ready();
    const { r } = open(p, { upstreamMethod: 'POST', requestContentLength: -1 });
    p.windowUpdate(1, 0x7fffffff);
    assert.deepEqual(r.log, [`error ${ResetReason.ProtocolError}`]);
    assert.equal(frames(p.read(), FrameType.RST_STREAM)[0].payload.readUInt32BE(0), H2Error.FLOW_CONTROL_ERROR);
    p.windowUpdate(0, 0x7fffffff);
    assert.match(p.connError!, /FLOW_CONTROL_ERROR/);
  });

  test('response body: WINDOW_UPDATEs in batches of half a window, for the stream and the connection', () => {
    const p = Peer.ready({ initialStreamWindow: 65535, connectionWindow: 65535 });
    const { r } = open(p);
    p.headers(1, [':status', '200'], false);
    p.data(1, Buffer.alloc(16000), false);
    p.data(1, Buffer.alloc(16000), false);
    assert.deepEqual(frames(p.read(), FrameType.WINDOW_UPDATE), []);
    p.data(1, Buffer.alloc(16000), false);
    const wu = frames(p.read(), FrameType.WINDOW_UPDATE).map((f) => [f.stream, f.payload.readUInt32BE(0)]);
    assert.deepEqual(wu, [[0, 48000], [1, 48000]]);
    assert.equal(r.body.length, 48000);
  });

  test('more than the windows allow: stream FLOW_CONTROL_ERROR; connection FLOW_CONTROL_ERROR', () => {
    const p = Peer.ready({ initialStreamWindow: 1000, connectionWindow: 65535 });
    const { r } = open(p);
    p.headers(1, [':status', '200'], false);
    p.data(1, Buffer.alloc(1001), false);
    assert.deepEqual(r.log.slice(-1), [`error ${ResetReason.ProtocolError}`]);
    assert.equal(frames(p.read(), FrameType.RST_STREAM)[0].payload.readUInt32BE(0), H2Error.FLOW_CONTROL_ERROR);
    const q = Peer.ready({ initialStreamWindow: 1 << 20, connectionWindow: 65535 });
    open(q);
    q.headers(1, [':status', '200'], false);
    for (let i = 0; i < 4; i++) q.data(1, Buffer.alloc(16384), false);
    assert.equal(q.connError, null, 'consumed bytes were given back');
    const r2 = Peer.ready({ initialStreamWindow: 1 << 20, connectionWindow: 65535 });
    r2.conn.takeOutput();
    open(r2);
    r2.headers(1, [':status', '200'], false);
    // One frame over the whole connection window.
    r2.conn.reader.maxFrameSize = 1 << 20;
    r2.data(1, Buffer.alloc(70000), false);
    assert.match(r2.connError!, /FLOW_CONTROL_ERROR/);
  });

  test('pauseResponse: body is held and no stream WINDOW_UPDATE goes out until resumeResponse', () => {
    const p = Peer.ready({ initialStreamWindow: 20000, connectionWindow: 1 << 20 });
    const { r, s } = open(p);
    p.headers(1, [':status', '200'], false);
    s.pauseResponse();
    p.data(1, 'a'.repeat(8000), false);
    p.data(1, 'b'.repeat(8000), false);
    p.headers(1, ['x-trailer', '1'], true);
    assert.deepEqual(r.log, ['headers 200 [] -1 false']);
    assert.deepEqual(frames(p.read(), FrameType.WINDOW_UPDATE), []);
    // Resume, then pause again from inside the first delivery.
    r.onData = (q) => {
      q.onData = null;
      s.pauseResponse();
    };
    s.resumeResponse();
    assert.deepEqual(r.log.slice(1), ['data 8000 false']);
    s.resumeResponse();
    assert.deepEqual(r.log.slice(1), ['data 8000 false', 'data 8000 false', 'trailers ["x-trailer","1"]']);
    assert.equal(r.body, 'a'.repeat(8000) + 'b'.repeat(8000));
    assert.equal(p.conn.activeStreams, 0);
  });

  test('while paused the peer runs out of stream window; resuming gives it back', () => {
    const p = Peer.ready({ initialStreamWindow: 20000, connectionWindow: 1 << 20 });
    const { r, s } = open(p);
    p.headers(1, [':status', '200'], false);
    s.pauseResponse();
    p.data(1, Buffer.alloc(12000), false);
    p.data(1, Buffer.alloc(8000), false);
    assert.deepEqual(frames(p.read(), FrameType.WINDOW_UPDATE).filter((f) => f.stream === 1), []);
    s.resumeResponse();
    const wu = frames(p.read(), FrameType.WINDOW_UPDATE).filter((f) => f.stream === 1);
    assert.deepEqual(wu.map((f) => f.payload.readUInt32BE(0)), [20000]);
    assert.equal(r.body.length, 20000);
  });

  test('padding counts against the windows and is given back', () => {
    const p = Peer.ready({ initialStreamWindow: 80, connectionWindow: 65535 });
    const { r } = open(p);
    p.headers(1, [':status', '200'], false);
    p.frame(FrameType.DATA, Flag.PADDED, 1, Buffer.concat([Buffer.from([40]), Buffer.from('hi'), Buffer.alloc(40)]));
    assert.deepEqual(frames(p.read(), FrameType.WINDOW_UPDATE).map((f) => [f.stream, f.payload.readUInt32BE(0)]), [[1, 43]]);
    assert.equal(r.body, 'hi');
  });

  test('empty DATA frames without END_STREAM: tolerated once, a flood is an error', () => {
    const p = Peer.ready({ maxConsecutiveEmptyFrames: 2 });
    open(p);
    p.headers(1, [':status', '200'], false);
    p.data(1, '', false);
    p.data(1, '', false);
    assert.equal(p.connError, null);
    p.data(1, '', false);
    assert.match(p.connError!, /PROTOCOL_ERROR/);
  });
});

describe('transport', () => {
  test('output is signalled once until taken', () => {
    const p = Peer.ready();
    const before = p.outputSignals;
    open(p);
    open(p);
    open(p);
    assert.equal(p.outputSignals, before + 1);
    p.read();
    open(p);
    assert.equal(p.outputSignals, before + 2);
  });

  test('no DATA is framed while the transport is backed up; transportDrained resumes', () => {
    const p = Peer.ready({}, [Setting.INITIAL_WINDOW_SIZE, 1 << 20]);
    p.windowUpdate(0, 1 << 20);
    const { s } = open(p, { upstreamMethod: 'POST', requestContentLength: 1000 });
    p.read();
    p.conn.transportBacklog = 1 << 20;
    s.write(Buffer.alloc(1000), true);
    assert.deepEqual(p.read(), []);
    p.conn.transportDrained();
    assert.deepEqual(p.read(), [{ t: 'data', stream: 1, bytes: 1000, end: true }]);
  });

  test('destroy() fails every stream with the given reason', () => {
    const p = Peer.ready();
    const a = open(p).r;
    const b = open(p).r;
    p.conn.destroy(ResetReason.ConnectionTermination, '');
    assert.deepEqual([a.log, b.log], [[`error ${ResetReason.ConnectionTermination}`], [`error ${ResetReason.ConnectionTermination}`]]);
    assert.equal(p.conn.canOpen, false);
  });

  test('shutdown() sends GOAWAY(NO_ERROR) once and takes no new streams', () => {
    const p = Peer.ready();
    open(p);
    p.conn.shutdown();
    p.conn.shutdown();
    const ga = frames(p.read(), FrameType.GOAWAY);
    assert.equal(ga.length, 1);
    assert.equal(ga[0].payload.readUInt32BE(4), H2Error.NO_ERROR);
    assert.equal(p.conn.canOpen, false);
  });
});

