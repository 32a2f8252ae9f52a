// A minimal HTTP/2 cleartext client for the load generator: pre-encoded GET headers, one stream at a
// time, and a frame reader that only learns each response's :status and end. node:http2's client
// costs ~4x the CPU per request, which on the generator's shared core would delay the timed requests.

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const BIG_WINDOW = 1 << 30;

const enum Type {
  Data = 0,
  Headers = 1,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  Goaway = 7,
  Continuation = 9,
}

const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(9 + payload.length);
  f.writeUIntBE(payload.length, 0, 3);
  f[3] = type;
  f[4] = flags;
  f.writeUInt32BE(stream & 0x7fffffff, 5);
  payload.copy(f, 9);
  return f;
}

/** HPACK integer with an n-bit prefix (RFC 7541 §5.1). */
function hpackInt(first: number, n: number, v: number): number[] {
  const max = (1 << n) - 1;
  if (v < max) return [first | v];
  const out = [first | max];
  v -= max;
  while (v >= 128) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** Literal header field without indexing, indexed name, raw (not Huffman) value. */
function literal(nameIndex: number, value: string): number[] {
  const v = Buffer.from(value, 'latin1');
  return [...hpackInt(0x00, 4, nameIndex), ...hpackInt(0x00, 7, v.length), ...v];
}

/**
 * The client's opening bytes: preface, SETTINGS (no push, ~1 GiB stream window) and a connection
 * WINDOW_UPDATE to ~1 GiB, so that it never has to send WINDOW_UPDATE during a run.
 */
export function openingBytes(): Buffer {
  const settings = Buffer.alloc(12);
  settings.writeUInt16BE(0x2, 0); // ENABLE_PUSH
  settings.writeUInt32BE(0, 2);
  settings.writeUInt16BE(0x4, 6); // INITIAL_WINDOW_SIZE
  settings.writeUInt32BE(BIG_WINDOW, 8);
  const wu = Buffer.alloc(4);
  wu.writeUInt32BE(BIG_WINDOW - 65535, 0);
  return Buffer.concat([PREFACE, frame(Type.Settings, 0, 0, settings), frame(8, 0, 0, wu)]);
}

/** The HPACK block of `GET path` (static-table :method/:scheme, literal :authority, :path, user-agent). */
export function requestBlock(authority: string, path: string): Buffer {
  return Buffer.from([0x82, 0x86, ...literal(1, authority), ...literal(4, path), ...literal(58, 'nuncio-bench')]);
}

/** A HEADERS frame (END_STREAM | END_HEADERS) carrying `block` on stream `id`. */
export function headersFrame(id: number, block: Buffer): Buffer {
  return frame(Type.Headers, END_STREAM | END_HEADERS, id, block);
}

const STATIC_STATUS: Readonly<Record<number, number>> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };

/**
 * :status from the start of a response header block: the static-table entries servers use for it
 * (0x88 is 200), or a literal with the :status name and a raw value. 0 when it cannot tell (a
 * Huffman-coded or dynamic-table status), which the generator counts as a failed request.
 */
export function statusOf(block: Buffer, off: number, end: number): number {
  while (off < end && (block[off] & 0xe0) === 0x20) {
    // dynamic table size update: skip its integer
    if ((block[off++] & 0x1f) === 0x1f) while (off < end && block[off++] & 0x80);
  }
  if (off >= end) return 0;
  const b = block[off];
  if (b & 0x80) return STATIC_STATUS[b & 0x7f] ?? 0;
  // literal with incremental indexing (01xxxxxx, 6-bit name index) or without/never (000xxxxx, 4-bit)
  const name = (b & 0xc0) === 0x40 ? b & 0x3f : b & 0x0f;
  if (name < 8 || name > 14 || off + 1 >= end) return 0;
  const len = block[off + 1];
  if (len & 0x80 || len !== 3 || off + 2 + len > end) return 0;
  return Number(block.toString('latin1', off + 2, off + 5)) || 0;
}

export interface H2Events {
  /** The response on `stream` ended (status 0 = unknown). */
  onResponse(stream: number, status: number): void;
  /** RST_STREAM or GOAWAY: the stream (or, for 0, the connection) failed. */
  onStreamError(stream: number): void;
  /** Bytes the client must send back (SETTINGS ACK, PING ACK). */
  reply(bytes: Buffer): void;
}

/** Splits a byte stream into frames and reports what a load generator needs; answers SETTINGS and PING. */
export class H2FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private status = new Map<number, number>();
  /** Stream whose header block continues in CONTINUATION frames, and the END_STREAM seen on it. */
  private continuing = 0;
  private continuingEnds = false;

  feed(chunk: Buffer, ev: H2Events): void {
    const b = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let off = 0;
    while (b.length - off >= 9) {
      const len = b.readUIntBE(off, 3);
      if (b.length - off < 9 + len) break;
      const type = b[off + 3];
      const flags = b[off + 4];
      const id = b.readUInt32BE(off + 5) & 0x7fffffff;
      const p = off + 9;
      const end = p + len;
      off = end;
      switch (type) {
        case Type.Headers: {
          let s = p;
          let e = end;
          if (flags & PADDED) {
            e -= b[s];
            s += 1;
          }
          if (flags & PRIORITY) s += 5;
          // Only the first HEADERS of a response carries :status; trailers come after it.
          if (!this.status.has(id)) this.status.set(id, statusOf(b, s, e));
          if (!(flags & END_HEADERS)) {
            this.continuing = id;
            this.continuingEnds = (flags & END_STREAM) !== 0;
          } else if (flags & END_STREAM) this.finish(id, ev);
          break;
        }
        case Type.Continuation:
          if (id === this.continuing && flags & END_HEADERS) {
            this.continuing = 0;
            if (this.continuingEnds) this.finish(id, ev);
          }
          break;
        case Type.Data:
          if (flags & END_STREAM) this.finish(id, ev);
          break;
        case Type.Settings:
          if (!(flags & ACK)) ev.reply(frame(Type.Settings, ACK, 0, Buffer.alloc(0)));
          break;
        case Type.Ping:
          if (!(flags & ACK)) ev.reply(frame(Type.Ping, ACK, 0, b.subarray(p, end)));
          break;
        case Type.RstStream:
          this.status.delete(id);
          ev.onStreamError(id);
          break;
        case Type.Goaway:
          ev.onStreamError(0);
          break;
        default:
          // WINDOW_UPDATE, PRIORITY, PUSH_PROMISE (push is disabled), unknown: nothing to do.
          break;
      }
    }
    this.buf = off >= b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(off));
  }

  private finish(id: number, ev: H2Events): void {
    const s = this.status.get(id) ?? 0;
    this.status.delete(id);
    ev.onResponse(id, s);
  }
}
