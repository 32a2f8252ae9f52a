// A tiny HTTP/2 frame writer and reader for tests that must send what a real client never would
// (floods, rapid resets, oversized header blocks). HPACK: literal fields without indexing, or with
// incremental indexing, and indexed references; no Huffman.
import net from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const DATA = 0;
export const HEADERS = 1;
export const PRIORITY = 2;
export const RST_STREAM = 3;
export const SETTINGS = 4;
export const PING = 6;
export const GOAWAY = 7;
export const WINDOW_UPDATE = 8;
export const CONTINUATION = 9;

export const END_STREAM = 1;
export const ACK = 1;
export const END_HEADERS = 4;

export const SETTINGS_MAX_CONCURRENT_STREAMS = 3;

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

/** HPACK integer with an N-bit prefix (RFC 7541 5.1). */
export function hpackInt(v: number, prefixBits: number, firstByte = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (v < max) return Buffer.from([firstByte | v]);
  const out = [firstByte | max];
  v -= max;
  while (v >= 128) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

function hpackString(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  return Buffer.concat([hpackInt(b.length, 7), b]);
}

/** Literal header field without indexing, new name. */
export function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0]), hpackString(name), hpackString(value)]);
}

/** Literal header field with incremental indexing, new name (enters the dynamic table at index 62). */
export function literalIndexed(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x40]), hpackString(name), hpackString(value)]);
}

/** Indexed header field (a reference to a static or dynamic table entry). */
export function indexed(index: number): Buffer {
  return hpackInt(index, 7, 0x80);
}

export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat(fields.map(([n, v]) => literal(n, v)));
}

export function request(path = '/', extra: readonly (readonly [string, string])[] = [], method = 'GET', authority = 'test'): [string, string][] {
  return [[':method', method], [':scheme', 'http'], [':authority', authority], [':path', path], ...extra.map(([n, v]): [string, string] => [n, v])];
}

export function settings(pairs: readonly (readonly [number, number])[] = []): Buffer {
  const b = Buffer.alloc(pairs.length * 6);
  pairs.forEach(([id, v], i) => {
    b.writeUInt16BE(id, i * 6);
    b.writeUInt32BE(v, i * 6 + 2);
  });
  return frame(SETTINGS, 0, 0, b);
}

export const settingsAck = (): Buffer => frame(SETTINGS, ACK, 0);

export function headers(stream: number, fields: readonly (readonly [string, string])[], endStream = true): Buffer {
  return frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, headerBlock(fields));
}

export function rstStream(stream: number, code = 8 /* CANCEL */): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(code);
  return frame(RST_STREAM, 0, stream, b);
}

export function ping(n = 0): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(n >>> 0, 4);
  return frame(PING, 0, 0, b);
}

export function data(stream: number, payload: Buffer, endStream = false): Buffer {
  return frame(DATA, endStream ? END_STREAM : 0, stream, payload);
}

export function priority(stream: number, dependsOn = 0, weight = 15): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(dependsOn);
  b[4] = weight;
  return frame(PRIORITY, 0, stream, b);
}

export interface ParsedFrame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
  /** RST_STREAM / GOAWAY error code. */
  code?: number;
  /** GOAWAY last stream id. */
  lastStream?: number;
}

/** Splits received bytes into frames (a trailing partial frame is ignored). */
export function parseFrames(buf: Buffer): ParsedFrame[] {
  const out: ParsedFrame[] = [];
  let i = 0;
  while (i + 9 <= buf.length) {
    const len = buf.readUIntBE(i, 3);
    if (i + 9 + len > buf.length) break;
    const f: ParsedFrame = { type: buf[i + 3], flags: buf[i + 4], stream: buf.readUInt32BE(i + 5) & 0x7fffffff, payload: buf.subarray(i + 9, i + 9 + len) };
    if (f.type === GOAWAY && len >= 8) {
      f.lastStream = f.payload.readUInt32BE(0) & 0x7fffffff;
      f.code = f.payload.readUInt32BE(4);
    } else if (f.type === RST_STREAM && len >= 4) f.code = f.payload.readUInt32BE(0);
    out.push(f);
    i += 9 + len;
  }
  return out;
}

/** A raw HTTP/2 client connection: write frames, read what the server sent, see whether it closed. */
export class RawH2 {
  readonly socket: net.Socket;
  private buf = Buffer.alloc(0);
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** Connects, sends the preface and an empty SETTINGS; with `ack`, waits for the server's SETTINGS and acknowledges them. */
  static async open(port: number, ack = true, host = '127.0.0.1'): Promise<RawH2> {
    const s = net.connect(port, host);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('error', reject);
    });
    const c = new RawH2(s);
    s.write(Buffer.concat([PREFACE, settings()]));
    if (ack) {
      await c.until((fs) => fs.some((f) => f.type === SETTINGS && (f.flags & ACK) === 0), 5000);
      s.write(settingsAck());
    }
    return c;
  }

  write(...frames: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(frames));
  }

  get frames(): ParsedFrame[] {
    return parseFrames(this.buf);
  }

  /** Resolves once `pred(frames)` holds or the connection closed; rejects after `ms`. */
  async until(pred: (frames: ParsedFrame[]) => boolean, ms = 5000): Promise<ParsedFrame[]> {
    const end = Date.now() + ms;
    for (;;) {
      const fs = this.frames;
      if (pred(fs) || this.closed) return fs;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`condition not met within ${ms} ms; frames: ${JSON.stringify(fs.map((f) => [f.type, f.stream, f.code]))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until the server closes the connection (rejects after `ms`). */
  async waitClosed(ms = 5000): Promise<ParsedFrame[]> {
    return this.until(() => this.closed, ms);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** The first GOAWAY in `frames`, if any. */
export function goaway(frames: ParsedFrame[]): ParsedFrame | undefined {
  return frames.find((f) => f.type === GOAWAY);
}

/** Did the server send response HEADERS on `stream`? */
export function responded(frames: ParsedFrame[], stream: number): boolean {
  return frames.some((f) => f.type === HEADERS && f.stream === stream);
}

/** A header block split into HEADERS + CONTINUATION frames of at most `max` bytes (SETTINGS_MAX_FRAME_SIZE). */
export function headersSplit(stream: number, fields: readonly (readonly [string, string])[], endStream = true, max = 16384): Buffer {
  return blockFrames(stream, headerBlock(fields), endStream, max);
}

/** An already encoded header block as HEADERS + CONTINUATION frames. */
export function blockFrames(stream: number, block: Buffer, endStream = true, max = 16384): Buffer {
  const out: Buffer[] = [];
  for (let off = 0; off < block.length || off === 0; off += max) {
    const piece = block.subarray(off, off + max);
    const last = off + max >= block.length;
    const flags = (last ? END_HEADERS : 0) | (off === 0 && endStream ? END_STREAM : 0);
    out.push(frame(off === 0 ? HEADERS : CONTINUATION, flags, stream, piece));
    if (block.length === 0) break;
  }
  return Buffer.concat(out);
}
