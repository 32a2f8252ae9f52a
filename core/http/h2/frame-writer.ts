// Outgoing HTTP/2 frames, collected until the adapter takes them (once per event-loop turn) as a few
// Buffers for one write/writev. Small frames are written into a slab that is never rewritten once
// handed out (each take() gives away a fresh slice); large DATA payloads are passed by reference.
import { FRAME_HEADER_SIZE, Flag, FrameType } from './constants.js';

const SLAB = 16384;
/** DATA payloads up to this size are copied next to their frame header instead of referenced. */
const COPY_MAX = 2048;

export function writeFrameHeader(b: Uint8Array, p: number, len: number, type: number, flags: number, stream: number): void {
  b[p] = len >>> 16;
  b[p + 1] = len >>> 8;
  b[p + 2] = len;
  b[p + 3] = type;
  b[p + 4] = flags;
  b[p + 5] = stream >>> 24;
  b[p + 6] = stream >>> 16;
  b[p + 7] = stream >>> 8;
  b[p + 8] = stream;
}

function write32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

export class FrameWriter {
  /** The current slab; bytes [start, pos) are queued, [pos, end) free. */
  buf: Buffer = Buffer.allocUnsafe(0);
  pos = 0;
  private start = 0;
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Control frames (SETTINGS/PING ACKs, RST_STREAM, WINDOW_UPDATE...) queued since the last take(). */
  controlFrames = 0;

  /** Bytes queued. */
  get length(): number {
    return this.partBytes + this.pos - this.start;
  }

  /** Makes room for n bytes at pos (possibly in a new slab); returns the slab. */
  ensure(n: number): Buffer {
    if (this.buf.length - this.pos >= n) return this.buf;
    this.seal();
    this.buf = Buffer.allocUnsafe(Math.max(SLAB, n));
    this.pos = 0;
    this.start = 0;
    return this.buf;
  }

  /** Closes the queued part of the slab so a referenced Buffer can follow it. */
  private seal(): void {
    if (this.pos > this.start) {
      this.parts.push(this.buf.subarray(this.start, this.pos));
      this.partBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }

  /**
   * Everything queued, handed over: one Buffer (the usual case), several (a large DATA payload is
   * referenced between slab slices: write them with one writev), or null.
   */
  take(): Buffer | Buffer[] | null {
    this.controlFrames = 0;
    if (this.parts.length === 0) {
      if (this.pos === this.start) return null;
      const b = this.buf.subarray(this.start, this.pos);
      this.start = this.pos;
      return b;
    }
    this.seal();
    const p = this.parts;
    this.parts = [];
    this.partBytes = 0;
    return p;
  }

  /** Raw bytes (the connection preface). */
  raw(bytes: Uint8Array): void {
    const b = this.ensure(bytes.length);
    b.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** SETTINGS with [id, value, id, value, ...]. */
  settings(pairs: readonly number[]): void {
    const len = pairs.length * 3;
    const b = this.ensure(FRAME_HEADER_SIZE + len);
    let p = this.pos;
    writeFrameHeader(b, p, len, FrameType.SETTINGS, 0, 0);
    p += FRAME_HEADER_SIZE;
    for (let i = 0; i < pairs.length; i += 2) {
      b[p] = pairs[i] >>> 8;
      b[p + 1] = pairs[i];
      write32(b, p + 2, pairs[i + 1]);
      p += 6;
    }
    this.pos = p;
    this.controlFrames++;
  }

  settingsAck(): void {
    const b = this.ensure(FRAME_HEADER_SIZE);
    writeFrameHeader(b, this.pos, 0, FrameType.SETTINGS, Flag.ACK, 0);
    this.pos += FRAME_HEADER_SIZE;
    this.controlFrames++;
  }

  /** PING (or its ACK) with the 8 payload bytes at src[off]. */
  ping(ack: boolean, src: Uint8Array, off: number): void {
    const b = this.ensure(FRAME_HEADER_SIZE + 8);
    writeFrameHeader(b, this.pos, 8, FrameType.PING, ack ? Flag.ACK : 0, 0);
    for (let i = 0; i < 8; i++) b[this.pos + FRAME_HEADER_SIZE + i] = src[off + i];
    this.pos += FRAME_HEADER_SIZE + 8;
    this.controlFrames++;
  }

  windowUpdate(stream: number, increment: number): void {
    const b = this.ensure(FRAME_HEADER_SIZE + 4);
    writeFrameHeader(b, this.pos, 4, FrameType.WINDOW_UPDATE, 0, stream);
    write32(b, this.pos + FRAME_HEADER_SIZE, increment);
    this.pos += FRAME_HEADER_SIZE + 4;
    this.controlFrames++;
  }

  rstStream(stream: number, code: number): void {
    const b = this.ensure(FRAME_HEADER_SIZE + 4);
    writeFrameHeader(b, this.pos, 4, FrameType.RST_STREAM, 0, stream);
    write32(b, this.pos + FRAME_HEADER_SIZE, code);
    this.pos += FRAME_HEADER_SIZE + 4;
    this.controlFrames++;
  }

  goaway(lastStreamId: number, code: number, debug = ''): void {
    const len = 8 + debug.length;
    const b = this.ensure(FRAME_HEADER_SIZE + len);
    const p = this.pos;
    writeFrameHeader(b, p, len, FrameType.GOAWAY, 0, 0);
    write32(b, p + 9, lastStreamId);
    write32(b, p + 13, code);
    for (let i = 0; i < debug.length; i++) b[p + 17 + i] = debug.charCodeAt(i);
    this.pos = p + FRAME_HEADER_SIZE + len;
    this.controlFrames++;
  }

  /** One DATA frame carrying chunk[s, e) (no padding). */
  data(stream: number, chunk: Uint8Array, s: number, e: number, endStream: boolean): void {
    const len = e - s;
    const flags = endStream ? Flag.END_STREAM : 0;
    if (len <= COPY_MAX) {
      const b = this.ensure(FRAME_HEADER_SIZE + len);
      writeFrameHeader(b, this.pos, len, FrameType.DATA, flags, stream);
      this.pos += FRAME_HEADER_SIZE;
      if (len > 0) {
        b.set(len === chunk.length ? chunk : chunk.subarray(s, e), this.pos);
        this.pos += len;
      }
      return;
    }
    const b = this.ensure(FRAME_HEADER_SIZE);
    writeFrameHeader(b, this.pos, len, FrameType.DATA, flags, stream);
    this.pos += FRAME_HEADER_SIZE;
    this.seal();
    this.parts.push(Buffer.from(chunk.buffer, chunk.byteOffset + s, len));
    this.partBytes += len;
  }

  /**
   * Starts a HEADERS frame: reserves its frame header and returns the slab with room for `bound`
   * block bytes at this.pos. Write the block, then call endHeaders() with the new position.
   */
  beginHeaders(bound: number): Buffer {
    const b = this.ensure(FRAME_HEADER_SIZE + bound);
    this.pos += FRAME_HEADER_SIZE;
    return b;
  }

  /**
   * Finishes the HEADERS frame begun by beginHeaders(): the block is [headerStart + 9, end). Blocks
   * over maxFrameSize are split into HEADERS + CONTINUATION frames.
   */
  endHeaders(stream: number, end: number, endStream: boolean, maxFrameSize: number): void {
    const b = this.buf;
    const hs = this.pos - FRAME_HEADER_SIZE;
    const blockStart = this.pos;
    const len = end - blockStart;
    const es = endStream ? Flag.END_STREAM : 0;
    if (len <= maxFrameSize) {
      writeFrameHeader(b, hs, len, FrameType.HEADERS, es | Flag.END_HEADERS, stream);
      this.pos = end;
      return;
    }
    // Rare: move the block out and write it back as HEADERS + CONTINUATION frames.
    const block = Buffer.from(b.subarray(blockStart, end));
    this.pos = hs;
    const frames = Math.ceil(len / maxFrameSize);
    const out = this.ensure(len + frames * FRAME_HEADER_SIZE);
    let p = this.pos;
    for (let off = 0; off < len; off += maxFrameSize) {
      const n = Math.min(maxFrameSize, len - off);
      const last = off + n >= len;
      const type = off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      const flags = (off === 0 ? es : 0) | (last ? Flag.END_HEADERS : 0);
      writeFrameHeader(out, p, n, type, flags, stream);
      p += FRAME_HEADER_SIZE;
      block.copy(out, p, off, off + n);
      p += n;
    }
    this.pos = p;
  }
}
