// Frame reader and writer: every frame type written by FrameWriter reads back the same, whole or
// split at random points (property test); padding and CONTINUATION handling; framing errors.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameReader, type FrameHandler } from '../../../../core/http/h2/frame-reader.js';
import { FrameWriter, writeFrameHeader } from '../../../../core/http/h2/frame-writer.js';
import { Flag, FrameType, H2Error } from '../../../../core/http/h2/constants.js';

type Ev = (string | number | boolean)[];

/** Records frames, joining DATA pieces into one event per frame. */
class Rec implements FrameHandler {
  events: Ev[] = [];
  private data: { stream: number; flow: number; bytes: Buffer[] } | null = null;
  onData(streamId: number, chunk: Buffer, flowLength: number, last: boolean, endStream: boolean): void {
    if (flowLength >= 0) {
      assert.equal(this.data, null, 'a new DATA frame began before the last one ended');
      this.data = { stream: streamId, flow: flowLength, bytes: [] };
    } else assert.notEqual(this.data, null, 'a DATA piece without a first piece');
    this.data!.bytes.push(Buffer.from(chunk));
    if (last) {
      const d = this.data!;
      this.events.push(['data', d.stream, d.flow, Buffer.concat(d.bytes).toString('hex'), endStream]);
      this.data = null;
    } else assert.equal(endStream, false);
  }
  onHeaderBlock(type: FrameType, streamId: number, endStream: boolean, promisedId: number, block: Buffer, start: number, end: number): void {
    this.events.push(['block', type, streamId, endStream, promisedId, block.toString('hex', start, end)]);
  }
  onFrame(type: number, flags: number, streamId: number, payload: Buffer, start: number, end: number): void {
    this.events.push(['frame', type, flags, streamId, payload.toString('hex', start, end)]);
  }
  onFrameError(code: H2Error, detail: string): void {
    this.events.push(['error', code, detail]);
  }
}

function raw(type: number, flags: number, stream: number, payload: Buffer | number[]): Buffer {
  const p = Buffer.from(payload as Uint8Array);
  const h = Buffer.alloc(9);
  writeFrameHeader(h, 0, p.length, type, flags, stream);
  return Buffer.concat([h, p]);
}

function take(w: FrameWriter): Buffer {
  const o = w.take();
  return o === null ? Buffer.alloc(0) : Array.isArray(o) ? Buffer.concat(o) : o;
}

/** A byte stream with one of everything, and the events it must produce. */
function sample(): { bytes: Buffer; events: Ev[] } {
  const w = new FrameWriter();
  w.settings([1, 4096, 3, 100, 4, 1 << 20]);
  w.settingsAck();
  w.ping(false, Buffer.from('01234567'), 0);
  w.windowUpdate(0, 1000);
  w.windowUpdate(3, 0x7fffffff);
  w.rstStream(5, H2Error.CANCEL);
  w.goaway(7, H2Error.NO_ERROR, 'bye');
  const small = Buffer.from('hello');
  w.data(1, small, 0, small.length, false);
  const big = Buffer.alloc(5000, 0x61);
  w.data(1, big, 100, 4100, true);
  w.data(3, Buffer.alloc(0), 0, 0, true);
  // A header block of 40 bytes split into HEADERS + 2 CONTINUATION frames (max frame 16).
  const block = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCD');
  const b = w.beginHeaders(block.length);
  block.copy(b, w.pos);
  w.endHeaders(9, w.pos + block.length, true, 16);
  const a = take(w);
  // Hand-built: padded DATA, padded HEADERS with priority, PUSH_PROMISE, PRIORITY, unknown type.
  const extra = Buffer.concat([
    raw(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 11, [3, 0x41, 0x42, 0, 0, 0]),
    raw(FrameType.DATA, Flag.PADDED, 11, [0]),
    raw(FrameType.HEADERS, Flag.PADDED | Flag.PRIORITY | Flag.END_HEADERS, 13, [2, 0, 0, 0, 1, 16, 0x82, 0x84, 0, 0]),
    raw(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 13, [0, 0, 0, 2, 0x88]),
    raw(FrameType.PRIORITY, 0, 13, [0, 0, 0, 0, 5]),
    raw(0xfa, 0xff, 0, [1, 2, 3]),
  ]);
  const events: Ev[] = [
    ['frame', FrameType.SETTINGS, 0, 0, '000100001000' + '000300000064' + '000400100000'],
    ['frame', FrameType.SETTINGS, Flag.ACK, 0, ''],
    ['frame', FrameType.PING, 0, 0, Buffer.from('01234567').toString('hex')],
    ['frame', FrameType.WINDOW_UPDATE, 0, 0, '000003e8'],
    ['frame', FrameType.WINDOW_UPDATE, 0, 3, '7fffffff'],
    ['frame', FrameType.RST_STREAM, 0, 5, '00000008'],
    ['frame', FrameType.GOAWAY, 0, 0, '00000007' + '00000000' + Buffer.from('bye').toString('hex')],
    ['data', 1, 5, small.toString('hex'), false],
    ['data', 1, 4000, big.toString('hex', 100, 4100), true],
    ['data', 3, 0, '', true],
    ['block', FrameType.HEADERS, 9, true, 0, block.toString('hex')],
    ['data', 11, 6, '4142', true],
    ['data', 11, 1, '', false],
    ['block', FrameType.HEADERS, 13, false, 0, '8284'],
    ['block', FrameType.PUSH_PROMISE, 13, false, 2, '88'],
    ['frame', FrameType.PRIORITY, 0, 13, '0000000005'],
    ['frame', 0xfa, 0xff, 0, '010203'],
  ];
  return { bytes: Buffer.concat([a, extra]), events };
}

describe('round trips', () => {
  test('every frame type reads back as written (one chunk)', () => {
    const { bytes, events } = sample();
    const r = new Rec();
    new FrameReader(r).push(bytes);
    assert.deepEqual(r.events, events);
  });

  test('byte by byte', () => {
    const { bytes, events } = sample();
    const r = new Rec();
    const reader = new FrameReader(r);
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
    assert.deepEqual(r.events, events);
  });

  test('property: any split into chunks gives the same frames', () => {
    const { bytes, events } = sample();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const r = new Rec();
        const reader = new FrameReader(r);
        let prev = 0;
        for (const c of [...points, bytes.length]) {
          reader.push(bytes.subarray(prev, c));
          prev = c;
        }
        assert.deepEqual(r.events, events);
      }),
      { numRuns: 400 },
    );
  });

  test('property: random DATA frames (sizes, padding, splits) deliver their bytes and flow lengths', () => {
    const frame = fc.record({ len: fc.integer({ min: 0, max: 3000 }), pad: fc.option(fc.integer({ min: 0, max: 255 })), end: fc.boolean() });
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }), (frames, steps) => {
        const parts: Buffer[] = [];
        const want: Ev[] = [];
        frames.forEach((f, i) => {
          const data = Buffer.alloc(f.len, i + 1);
          if (f.pad === null) {
            parts.push(raw(FrameType.DATA, f.end ? Flag.END_STREAM : 0, 1, data));
            want.push(['data', 1, f.len, data.toString('hex'), f.end]);
          } else {
            const payload = Buffer.concat([Buffer.from([f.pad]), data, Buffer.alloc(f.pad)]);
            parts.push(raw(FrameType.DATA, Flag.PADDED | (f.end ? Flag.END_STREAM : 0), 1, payload));
            want.push(['data', 1, payload.length, data.toString('hex'), f.end]);
          }
        });
        const bytes = Buffer.concat(parts);
        const r = new Rec();
        const reader = new FrameReader(r);
        let p = 0;
        for (let i = 0; p < bytes.length; i++) {
          const n = steps[i % steps.length];
          reader.push(bytes.subarray(p, p + n));
          p += n;
        }
        assert.deepEqual(r.events, want);
      }),
      { numRuns: 300 },
    );
  });
});

describe('framing errors are connection errors', () => {
  const cases: [string, Buffer, H2Error][] = [
    ['frame over the maximum size', raw(FrameType.DATA, 0, 1, Buffer.alloc(16385)), H2Error.FRAME_SIZE_ERROR],
    ['DATA on stream 0', raw(FrameType.DATA, 0, 0, [1]), H2Error.PROTOCOL_ERROR],
    ['HEADERS on stream 0', raw(FrameType.HEADERS, Flag.END_HEADERS, 0, [0x82]), H2Error.PROTOCOL_ERROR],
    ['RST_STREAM on stream 0', raw(FrameType.RST_STREAM, 0, 0, [0, 0, 0, 8]), H2Error.PROTOCOL_ERROR],
    ['RST_STREAM of 3 bytes', raw(FrameType.RST_STREAM, 0, 1, [0, 0, 8]), H2Error.FRAME_SIZE_ERROR],
    ['SETTINGS on a stream', raw(FrameType.SETTINGS, 0, 1, []), H2Error.PROTOCOL_ERROR],
    ['SETTINGS of 5 bytes', raw(FrameType.SETTINGS, 0, 0, [0, 1, 0, 0, 0]), H2Error.FRAME_SIZE_ERROR],
    ['SETTINGS ACK with a payload', raw(FrameType.SETTINGS, Flag.ACK, 0, [0, 1, 0, 0, 0, 0]), H2Error.FRAME_SIZE_ERROR],
    ['PING of 7 bytes', raw(FrameType.PING, 0, 0, Buffer.alloc(7)), H2Error.FRAME_SIZE_ERROR],
    ['PING on a stream', raw(FrameType.PING, 0, 1, Buffer.alloc(8)), H2Error.PROTOCOL_ERROR],
    ['GOAWAY of 7 bytes', raw(FrameType.GOAWAY, 0, 0, Buffer.alloc(7)), H2Error.FRAME_SIZE_ERROR],
    ['GOAWAY on a stream', raw(FrameType.GOAWAY, 0, 3, Buffer.alloc(8)), H2Error.PROTOCOL_ERROR],
    ['WINDOW_UPDATE of 5 bytes', raw(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(5)), H2Error.FRAME_SIZE_ERROR],
    ['DATA padding longer than the payload', raw(FrameType.DATA, Flag.PADDED, 1, [5, 1, 2]), H2Error.PROTOCOL_ERROR],
    ['padded DATA without a pad length', raw(FrameType.DATA, Flag.PADDED, 1, []), H2Error.FRAME_SIZE_ERROR],
    ['HEADERS padding longer than the payload', raw(FrameType.HEADERS, Flag.PADDED | Flag.END_HEADERS, 1, [9, 0x82]), H2Error.PROTOCOL_ERROR],
    ['HEADERS too short for its priority fields', raw(FrameType.HEADERS, Flag.PRIORITY | Flag.END_HEADERS, 1, [0, 0, 0]), H2Error.FRAME_SIZE_ERROR],
    ['CONTINUATION without HEADERS', raw(FrameType.CONTINUATION, Flag.END_HEADERS, 1, [0x82]), H2Error.PROTOCOL_ERROR],
    ['HEADERS interrupted by DATA', Buffer.concat([raw(FrameType.HEADERS, 0, 1, [0x82]), raw(FrameType.DATA, 0, 1, [1])]), H2Error.PROTOCOL_ERROR],
    ['CONTINUATION on another stream', Buffer.concat([raw(FrameType.HEADERS, 0, 1, [0x82]), raw(FrameType.CONTINUATION, Flag.END_HEADERS, 3, [0x84])]), H2Error.PROTOCOL_ERROR],
  ];
  for (const [name, bytes, code] of cases) {
    test(name, () => {
      const r = new Rec();
      const reader = new FrameReader(r);
      reader.push(Buffer.concat([bytes, raw(FrameType.PING, 0, 0, Buffer.alloc(8))]));
      assert.equal(r.events.length, 1, JSON.stringify(r.events));
      assert.equal(r.events[0][0], 'error');
      assert.equal(r.events[0][1], code);
      assert.equal(reader.isStopped, true);
    });
  }

  test('header blocks over the limit', () => {
    const r = new Rec();
    const reader = new FrameReader(r, 16384, 1000);
    reader.push(Buffer.concat([raw(FrameType.HEADERS, 0, 1, Buffer.alloc(600)), raw(FrameType.CONTINUATION, 0, 1, Buffer.alloc(600))]));
    assert.deepEqual(r.events.map((e) => e.slice(0, 2)), [['error', H2Error.ENHANCE_YOUR_CALM]]);
  });
});

describe('writer', () => {
  test('small DATA payloads are copied, large ones referenced; take() hands out fresh bytes', () => {
    const w = new FrameWriter();
    const big = Buffer.alloc(10000, 7);
    w.data(1, Buffer.from('ab'), 0, 2, false);
    w.data(1, big, 0, big.length, true);
    assert.equal(w.length, 9 + 2 + 9 + 10000);
    const parts = w.take() as Buffer[];
    assert.ok(Array.isArray(parts));
    assert.equal(parts.length, 2);
    assert.equal(parts[1].buffer, big.buffer, 'the large payload is not copied');
    const first = Buffer.from(parts[0]);
    w.ping(false, Buffer.alloc(8, 1), 0);
    const again = w.take();
    assert.ok(Buffer.isBuffer(again) && again.length === 17, 'a lone slab slice comes as one Buffer');
    assert.deepEqual(parts[0], first, 'bytes handed out are never overwritten');
    assert.equal(w.length, 0);
    assert.equal(w.take(), null);
  });

  test('a header block larger than the peer frame size becomes HEADERS + CONTINUATION', () => {
    const w = new FrameWriter();
    const block = Buffer.alloc(40000, 0x82);
    const b = w.beginHeaders(block.length);
    block.copy(b, w.pos);
    w.endHeaders(1, w.pos + block.length, false, 16384);
    const bytes = take(w);
    assert.equal(bytes.length, 40000 + 27);
    const r = new Rec();
    new FrameReader(r).push(bytes);
    assert.deepEqual(r.events, [['block', FrameType.HEADERS, 1, false, 0, block.toString('hex')]]);
    assert.equal(bytes[3], FrameType.HEADERS);
    assert.equal(bytes[4], 0);
    assert.equal(bytes[9 + 16384 + 3], FrameType.CONTINUATION);
  });
});
