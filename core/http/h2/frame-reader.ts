// Incremental HTTP/2 frame reader: takes the byte stream in chunks of any size, checks what a single
// frame can get wrong (sizes, stream-id rules, padding, CONTINUATION sequencing: connection errors),
// and hands out frames. DATA payloads stream out without copying; other payloads and header blocks
// are copied only when they straddle chunks.
import { FRAME_HEADER_SIZE, Flag, FrameType, H2Error } from './constants.js';

export interface FrameHandler {
  /**
   * DATA payload bytes (padding removed). A frame arrives as one or more pieces: `flowLength` is the
   * frame's full length (padding included, for flow control) on its first piece and -1 afterwards;
   * `last` marks its final piece, which carries `endStream`. Pieces may be empty.
   */
  onData(streamId: number, chunk: Buffer, flowLength: number, last: boolean, endStream: boolean): void;
  /** A complete header block of HEADERS (+ CONTINUATION) or PUSH_PROMISE, padding and priority removed. */
  onHeaderBlock(type: FrameType, streamId: number, endStream: boolean, promisedId: number, block: Buffer, start: number, end: number): void;
  /** Any other frame (SETTINGS, PING, GOAWAY, RST_STREAM, WINDOW_UPDATE, PRIORITY, unknown types). */
  onFrame(type: number, flags: number, streamId: number, payload: Buffer, start: number, end: number): void;
  /** The byte stream broke a framing rule; nothing more is read. */
  onFrameError(code: H2Error, detail: string): void;
}

const S_HEAD = 0;
const S_PAYLOAD = 1;
const S_DATA_PAD = 2;
const S_DATA = 3;
const S_DATA_SKIP = 4;

export class FrameReader {
  /** Largest frame payload accepted (our SETTINGS_MAX_FRAME_SIZE). */
  maxFrameSize: number;
  /** Largest header block (HEADERS + CONTINUATION payloads) accepted. */
  maxHeaderBlock: number;
  /** Frames read so far. */
  frames = 0;

  private state = S_HEAD;
  private stopped = false;
  private readonly head = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
  private headLen = 0;
  // The frame being read.
  private len = 0;
  private type = 0;
  private flags = 0;
  private stream = 0;
  // A payload that straddles chunks.
  private pbuf: Buffer = Buffer.allocUnsafe(0);
  private plen = 0;
  // DATA streaming.
  private dataLeft = 0;
  private padLeft = 0;
  private firstPiece = false;
  // A header block spread over HEADERS/PUSH_PROMISE + CONTINUATION.
  private blockStream = 0;
  private blockType = 0;
  private blockEndStream = false;
  private blockPromised = 0;
  private block: Buffer = Buffer.allocUnsafe(0);
  private blockLen = 0;

  constructor(
    private readonly h: FrameHandler,
    maxFrameSize = 16384,
    maxHeaderBlock = 65536,
  ) {
    this.maxFrameSize = maxFrameSize;
    this.maxHeaderBlock = maxHeaderBlock;
  }

  /** Stops reading (the rest of the current chunk and all later ones are ignored). */
  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Feeds bytes. */
  push(buf: Buffer): void {
    let p = 0;
    const n = buf.length;
    while (p < n && !this.stopped) {
      switch (this.state) {
        case S_HEAD: {
          if (this.headLen === 0 && n - p >= FRAME_HEADER_SIZE) {
            this.parseHead(buf, p);
            p += FRAME_HEADER_SIZE;
          } else {
            const take = Math.min(FRAME_HEADER_SIZE - this.headLen, n - p);
            buf.copy(this.head, this.headLen, p, p + take);
            this.headLen += take;
            p += take;
            if (this.headLen < FRAME_HEADER_SIZE) return;
            this.headLen = 0;
            this.parseHead(this.head, 0);
          }
          if (!this.stopped) this.beginFrame();
          break;
        }
        case S_PAYLOAD: {
          const want = this.len - this.plen;
          if (this.plen === 0 && n - p >= want) {
            this.state = S_HEAD;
            this.frame(buf, p, p + want);
            p += want;
          } else {
            const take = Math.min(want, n - p);
            buf.copy(this.pbuf, this.plen, p, p + take);
            this.plen += take;
            p += take;
            if (this.plen === this.len) {
              this.state = S_HEAD;
              this.plen = 0;
              this.frame(this.pbuf, 0, this.len);
            }
          }
          break;
        }
        case S_DATA_PAD: {
          const pad = buf[p++];
          if (pad >= this.len) {
            this.fail(H2Error.PROTOCOL_ERROR, 'DATA padding exceeds the payload');
            return;
          }
          this.padLeft = pad;
          this.dataLeft = this.len - 1 - pad;
          this.state = S_DATA;
          if (this.dataLeft === 0) p = this.dataPiece(buf, p, p);
          break;
        }
        case S_DATA: {
          const take = Math.min(this.dataLeft, n - p);
          p = this.dataPiece(buf, p, p + take);
          break;
        }
        case S_DATA_SKIP: {
          const take = Math.min(this.padLeft, n - p);
          this.padLeft -= take;
          p += take;
          if (this.padLeft === 0) this.endData();
          break;
        }
      }
    }
  }

  private parseHead(b: Buffer, p: number): void {
    this.len = (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
    this.type = b[p + 3];
    this.flags = b[p + 4];
    this.stream = ((b[p + 5] & 0x7f) << 24) | (b[p + 6] << 16) | (b[p + 7] << 8) | b[p + 8];
    this.frames++;
  }

  private beginFrame(): void {
    const type = this.type;
    const len = this.len;
    if (len > this.maxFrameSize) return this.fail(H2Error.FRAME_SIZE_ERROR, `frame of ${len} bytes over the maximum ${this.maxFrameSize}`);
    if (this.blockStream !== 0 && (type !== FrameType.CONTINUATION || this.stream !== this.blockStream)) {
      return this.fail(H2Error.PROTOCOL_ERROR, 'header block interrupted (CONTINUATION expected)');
    }
    switch (type) {
      case FrameType.DATA:
        if (this.stream === 0) return this.fail(H2Error.PROTOCOL_ERROR, 'DATA on stream 0');
        this.firstPiece = true;
        if (this.flags & Flag.PADDED) {
          if (len === 0) return this.fail(H2Error.FRAME_SIZE_ERROR, 'padded DATA without a pad length');
          this.state = S_DATA_PAD;
        } else {
          this.padLeft = 0;
          this.dataLeft = len;
          this.state = S_DATA;
          if (len === 0) this.dataPiece(this.head, 0, 0);
        }
        return;
      case FrameType.HEADERS:
      case FrameType.PRIORITY:
      case FrameType.RST_STREAM:
      case FrameType.PUSH_PROMISE:
      case FrameType.CONTINUATION:
        if (this.stream === 0) return this.fail(H2Error.PROTOCOL_ERROR, `frame type ${type} on stream 0`);
        if (type === FrameType.RST_STREAM && len !== 4) return this.fail(H2Error.FRAME_SIZE_ERROR, 'RST_STREAM length');
        if (type === FrameType.CONTINUATION && this.blockStream === 0) return this.fail(H2Error.PROTOCOL_ERROR, 'unexpected CONTINUATION');
        break;
      case FrameType.SETTINGS:
        if (this.stream !== 0) return this.fail(H2Error.PROTOCOL_ERROR, 'SETTINGS on a stream');
        if (this.flags & Flag.ACK ? len !== 0 : len % 6 !== 0) return this.fail(H2Error.FRAME_SIZE_ERROR, 'SETTINGS length');
        break;
      case FrameType.PING:
        if (this.stream !== 0) return this.fail(H2Error.PROTOCOL_ERROR, 'PING on a stream');
        if (len !== 8) return this.fail(H2Error.FRAME_SIZE_ERROR, 'PING length');
        break;
      case FrameType.GOAWAY:
        if (this.stream !== 0) return this.fail(H2Error.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (len < 8) return this.fail(H2Error.FRAME_SIZE_ERROR, 'GOAWAY length');
        break;
      case FrameType.WINDOW_UPDATE:
        if (len !== 4) return this.fail(H2Error.FRAME_SIZE_ERROR, 'WINDOW_UPDATE length');
        break;
    }
    if (len === 0) {
      this.state = S_HEAD;
      this.frame(this.head, 0, 0);
      return;
    }
    if (this.pbuf.length < len) this.pbuf = Buffer.allocUnsafe(Math.max(len, Math.min(this.maxFrameSize, 16384)));
    this.plen = 0;
    this.state = S_PAYLOAD;
  }

  /** Delivers DATA bytes [s, e) of buf; returns e. */
  private dataPiece(buf: Buffer, s: number, e: number): number {
    this.dataLeft -= e - s;
    const last = this.dataLeft === 0 && this.padLeft === 0;
    const flow = this.firstPiece ? this.len : -1;
    this.firstPiece = false;
    if (last) this.state = S_HEAD;
    else if (this.dataLeft === 0) this.state = S_DATA_SKIP;
    this.h.onData(this.stream, buf.subarray(s, e), flow, last, last && (this.flags & Flag.END_STREAM) !== 0);
    return e;
  }

  private endData(): void {
    this.state = S_HEAD;
    this.h.onData(this.stream, this.head.subarray(0, 0), -1, true, (this.flags & Flag.END_STREAM) !== 0);
  }

  /** A complete non-DATA frame payload in b[s, e). */
  private frame(b: Buffer, s: number, e: number): void {
    const type = this.type;
    const flags = this.flags;
    if (type === FrameType.HEADERS || type === FrameType.PUSH_PROMISE) {
      let pad = 0;
      if (flags & Flag.PADDED) {
        if (e - s < 1) return this.fail(H2Error.FRAME_SIZE_ERROR, 'padded frame without a pad length');
        pad = b[s++];
      }
      let promised = 0;
      if (type === FrameType.PUSH_PROMISE) {
        if (e - s < 4) return this.fail(H2Error.FRAME_SIZE_ERROR, 'PUSH_PROMISE length');
        promised = ((b[s] & 0x7f) << 24) | (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3];
        s += 4;
      } else if (flags & Flag.PRIORITY) {
        if (e - s < 5) return this.fail(H2Error.FRAME_SIZE_ERROR, 'HEADERS priority fields');
        s += 5;
      }
      if (pad > e - s) return this.fail(H2Error.PROTOCOL_ERROR, 'padding exceeds the payload');
      e -= pad;
      const endStream = type === FrameType.HEADERS && (flags & Flag.END_STREAM) !== 0;
      if (flags & Flag.END_HEADERS) {
        this.h.onHeaderBlock(type, this.stream, endStream, promised, b, s, e);
        return;
      }
      this.blockStream = this.stream;
      this.blockType = type;
      this.blockEndStream = endStream;
      this.blockPromised = promised;
      this.blockLen = 0;
      this.appendBlock(b, s, e);
      return;
    }
    if (type === FrameType.CONTINUATION) {
      this.appendBlock(b, s, e);
      if (this.stopped || (flags & Flag.END_HEADERS) === 0) return;
      const stream = this.blockStream;
      this.blockStream = 0;
      this.h.onHeaderBlock(this.blockType, stream, this.blockEndStream, this.blockPromised, this.block, 0, this.blockLen);
      return;
    }
    this.h.onFrame(type, flags, this.stream, b, s, e);
  }

  private appendBlock(b: Buffer, s: number, e: number): void {
    const n = e - s;
    const total = this.blockLen + n;
    if (total > this.maxHeaderBlock) return this.fail(H2Error.ENHANCE_YOUR_CALM, `header block over ${this.maxHeaderBlock} bytes`);
    if (this.block.length < total) {
      const nb = Buffer.allocUnsafe(Math.min(this.maxHeaderBlock, Math.max(total, this.block.length * 2, 1024)));
      this.block.copy(nb, 0, 0, this.blockLen);
      this.block = nb;
    }
    b.copy(this.block, this.blockLen, s, e);
    this.blockLen = total;
  }

  private fail(code: H2Error, detail: string): void {
    this.stopped = true;
    this.h.onFrameError(code, detail);
  }
}
