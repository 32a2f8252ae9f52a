// The client side of one HTTP/2 connection, without I/O: preface and settings, stream ids, flow
// control both ways, GOAWAY / RST_STREAM / PING handling and the response checks of RFC 9113 §8.
// Bytes come in through receive(); frames to send collect in `out` and the adapter is told once
// (events.onOutput) so it can write them all in one go. Streams speak nuncio's upstream contracts.
import { ResetReason, type UpstreamCallbacks, type UpstreamStream } from '../contracts.js';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  FrameType,
  Flag,
  H2Error,
  MAX_MAX_FRAME_SIZE,
  MAX_STREAM_ID,
  MAX_WINDOW,
  Setting,
  errorName,
} from './constants.js';
import { FrameReader, type FrameHandler } from './frame-reader.js';
import { FrameWriter } from './frame-writer.js';
import { HPACK_ERROR, HpackDecoder } from './hpack-decoder.js';
import { fieldBound, HpackEncoder } from './hpack-encoder.js';

const EMPTY = Buffer.alloc(0);
/** A stream's write() returns false once this much request body waits for flow-control window. */
const STREAM_HIGH_WATER = 65536;
/** ...and onUpstreamWritable() follows once it is down to this. */
const STREAM_LOW_WATER = 16384;
/** No DATA is framed while this much output waits (queued here plus unsent in the transport). */
const OUTPUT_HIGH_WATER = 262144;

export interface H2ClientOptions {
  /** Our SETTINGS_INITIAL_WINDOW_SIZE: how much response body a stream may have in flight. */
  initialStreamWindow: number;
  /** Our connection receive window. */
  connectionWindow: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE. */
  maxHeaderListSize?: number;
  /** Largest frame we accept (SETTINGS_MAX_FRAME_SIZE). */
  maxFrameSize?: number;
  /** Huffman-code request header strings. */
  huffman?: boolean;
  /** More peer-triggered control frames than this waiting to be sent: ENHANCE_YOUR_CALM. */
  maxOutboundControlFrames?: number;
  /** Consecutive empty DATA/HEADERS frames without END_STREAM tolerated. */
  maxConsecutiveEmptyFrames?: number;
  /** First stream id (tests of id exhaustion). */
  firstStreamId?: number;
}

export interface H2ConnectionEvents {
  /** Frames are waiting in `out`; called once until takeOutput(). */
  onOutput(): void;
  /** The peer's SETTINGS arrived (the first one makes the connection usable). */
  onSettings(maxConcurrentStreams: number): void;
  /** GOAWAY from the peer: no new streams. Called before streams above lastStreamId are refused. */
  onGoaway(lastStreamId: number, code: number): void;
  /** A connection error found here: GOAWAY is queued; streams are failed right after this call. */
  onConnectionError(code: number, detail: string): void;
  /** A stream left the connection (complete, reset either way, refused, failed). */
  onStreamClosed(s: H2ClientStream): void;
}

export class H2ClientStream implements UpstreamStream {
  /** END_STREAM sent. */
  localClosed = false;
  /** END_STREAM received. */
  remoteClosed = false;
  /** Gone from the connection. */
  closed = false;
  // Response.
  gotHeaders = false;
  noBody = false;
  /** Declared content-length (-1: none or not checked). */
  expected = -1;
  received = 0;
  // Receive flow control.
  recvWindow: number;
  /** Body bytes consumed but not yet given back to the peer in a WINDOW_UPDATE. */
  unacked = 0;
  paused = false;
  private delivering = false;
  rxq: Buffer[] | null = null;
  /** After the queued data: 1 = end of stream, 2 = trailers. */
  rxEnd = 0;
  rxTrailers: string[] | null = null;
  // Send side.
  sendWindow: number;
  sq: Uint8Array[] | null = null;
  sqHead = 0;
  sqOff = 0;
  sqBytes = 0;
  /** END_STREAM waits behind the queued body. */
  sqEnd = false;
  inSendList = false;
  wantWritable = false;

  constructor(
    readonly conn: H2ClientConnection,
    readonly id: number,
    public cb: UpstreamCallbacks | null,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  write(chunk: Uint8Array, endStream: boolean): boolean {
    return this.conn.writeBody(this, chunk, endStream);
  }

  pauseResponse(): void {
    this.paused = true;
  }

  resumeResponse(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.rxq !== null && !this.delivering) this.conn.deliverQueued(this);
  }

  reset(): void {
    this.conn.resetStream(this);
  }

  /** Guards deliverQueued() against re-entry from the callbacks it makes. */
  enterDelivery(): boolean {
    if (this.delivering) return false;
    this.delivering = true;
    return true;
  }

  leaveDelivery(): void {
    this.delivering = false;
  }
}

export class H2ClientConnection implements FrameHandler {
  readonly out = new FrameWriter();
  readonly reader: FrameReader;
  readonly decoder: HpackDecoder;
  readonly encoder: HpackEncoder;
  private readonly streams = new Map<number, H2ClientStream>();
  nextStreamId: number;

  // Peer settings.
  peerMaxConcurrentStreams = 0xffffffff;
  peerInitialWindow = DEFAULT_WINDOW;
  peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  peerMaxHeaderListSize = 0xffffffff;
  peerHeaderTableSize = 4096;
  /** The peer's first SETTINGS arrived. */
  gotSettings = false;
  /** The peer acknowledged ours. */
  settingsAcked = false;

  // Flow control: connection windows.
  sendWindow = DEFAULT_WINDOW;
  recvWindow = DEFAULT_WINDOW;
  private recvUnacked = 0;
  private readonly connWindowTarget: number;
  private readonly streamWindow: number;
  /** Until our SETTINGS are acknowledged the peer may still assume the default stream window. */
  private readonly preAckSlack: number;

  /** GOAWAY received: no new streams. */
  goawayReceived = false;
  goawayLastStreamId = MAX_STREAM_ID;
  goawayCode = -1;
  /** GOAWAY sent (shutdown or error): no new streams. */
  goawaySent = false;
  /** No frame is processed any more (connection error or transport gone). */
  dead = false;
  /** Bytes the transport has accepted but not yet sent (set by the adapter). */
  transportBacklog = 0;

  private outputSignalled = false;
  private readonly sendList: H2ClientStream[] = [];
  private readonly writable: H2ClientStream[] = [];
  private pumping = false;
  // The DATA frame being received (frames arrive one after another).
  private frameFlow = 0;
  private frameData = 0;
  private emptyFrames = 0;
  private readonly maxControl: number;
  private readonly maxEmpty: number;
  private readonly discard: string[] = [];

  constructor(
    private readonly events: H2ConnectionEvents,
    readonly opts: H2ClientOptions,
  ) {
    const maxFrame = opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    const maxList = opts.maxHeaderListSize ?? 65536;
    this.reader = new FrameReader(this, maxFrame, Math.max(65536, maxList * 2));
    this.decoder = new HpackDecoder({ tableSizeLimit: 4096, maxHeaderListSize: maxList });
    this.encoder = new HpackEncoder(opts.huffman ?? false);
    this.nextStreamId = opts.firstStreamId ?? 1;
    this.streamWindow = Math.min(Math.max(opts.initialStreamWindow, 1), MAX_WINDOW);
    this.preAckSlack = Math.max(0, DEFAULT_WINDOW - this.streamWindow);
    this.connWindowTarget = Math.min(Math.max(opts.connectionWindow, DEFAULT_WINDOW), MAX_WINDOW);
    this.maxControl = opts.maxOutboundControlFrames ?? 1000;
    this.maxEmpty = opts.maxConsecutiveEmptyFrames ?? 1;
  }

  // ------------------------------------------------------------------------------ adapter side

  /** Queues the preface, our SETTINGS and the connection window increase. */
  start(): void {
    const out = this.out;
    out.raw(CLIENT_PREFACE);
    const s: number[] = [Setting.ENABLE_PUSH, 0, Setting.INITIAL_WINDOW_SIZE, this.streamWindow, Setting.MAX_HEADER_LIST_SIZE, this.decoder.maxHeaderListSize];
    if (this.reader.maxFrameSize !== DEFAULT_MAX_FRAME_SIZE) s.push(Setting.MAX_FRAME_SIZE, this.reader.maxFrameSize);
    out.settings(s);
    if (this.connWindowTarget > DEFAULT_WINDOW) {
      out.windowUpdate(0, this.connWindowTarget - DEFAULT_WINDOW);
      this.recvWindow = this.connWindowTarget;
    }
    this.signal();
  }

  /** Bytes from the transport. */
  receive(buf: Buffer): void {
    if (!this.dead) this.reader.push(buf);
  }

  /** The frames to send (see FrameWriter.take()). */
  takeOutput(): Buffer | Buffer[] | null {
    this.outputSignalled = false;
    return this.out.take();
  }

  /** The transport drained: frame more request body if some waits. */
  transportDrained(): void {
    this.transportBacklog = 0;
    if (this.sendList.length > 0) this.pump();
  }

  /** Streams in flight. */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** Whether a new stream may be opened now. */
  get canOpen(): boolean {
    return !this.dead && !this.goawayReceived && !this.goawaySent && this.nextStreamId <= MAX_STREAM_ID;
  }

  /** Stream ids are used up: the connection can take no more streams. */
  get idsExhausted(): boolean {
    return this.nextStreamId > MAX_STREAM_ID;
  }

  /**
   * Opens a stream and queues its HEADERS (with END_STREAM when there is no request body). The
   * caller checks canOpen first.
   */
  openStream(cb: UpstreamCallbacks): H2ClientStream {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const s = new H2ClientStream(this, id, cb, this.peerInitialWindow, this.streamWindow);
    this.streams.set(id, s);
    const method = cb.upstreamMethod;
    const path = cb.upstreamPath;
    const authority = cb.upstreamAuthority;
    const scheme = cb.upstreamScheme;
    const h = cb.upstreamHeaders;
    const cl = cb.requestContentLength;
    const clText = cl > 0 ? String(cl) : '';
    let bound = fieldBound(':method', method) + fieldBound(':scheme', scheme) + fieldBound(':authority', authority) + fieldBound(':path', path);
    for (let i = 0; i < h.length; i += 2) bound += fieldBound(h[i], h[i + 1]);
    if (cl > 0) bound += fieldBound('content-length', clText);
    const out = this.out;
    const b = out.beginHeaders(bound);
    const enc = this.encoder;
    let p = out.pos;
    p = enc.encodeField(b, p, ':method', method);
    if (method !== 'CONNECT') {
      p = enc.encodeField(b, p, ':scheme', scheme);
      p = enc.encodeField(b, p, ':authority', authority);
      p = enc.encodeField(b, p, ':path', path);
    } else p = enc.encodeField(b, p, ':authority', authority);
    for (let i = 0; i < h.length; i += 2) p = enc.encodeField(b, p, h[i], h[i + 1]);
    if (cl > 0) p = enc.encodeField(b, p, 'content-length', clText);
    const endStream = cl === 0;
    out.endHeaders(id, p, endStream, this.peerMaxFrameSize);
    if (endStream) s.localClosed = true;
    if (method === 'HEAD') s.noBody = true;
    this.signal();
    return s;
  }

  /** Sends GOAWAY(NO_ERROR): no new streams; those in flight continue. */
  shutdown(): void {
    if (this.goawaySent || this.dead) return;
    this.goawaySent = true;
    this.out.goaway(0, H2Error.NO_ERROR);
    this.signal();
  }

  /** The transport is gone: every stream fails with `reason`. */
  destroy(reason: ResetReason, transport: string): void {
    this.dead = true;
    this.reader.stop();
    this.failAll(reason, transport);
  }

  // ------------------------------------------------------------------------------ streams' side

  writeBody(s: H2ClientStream, chunk: Uint8Array, endStream: boolean): boolean {
    if (s.closed || s.localClosed) return true;
    const len = chunk.length;
    if (s.sq === null && !this.dead) {
      // Nothing queued: frame what the windows allow right away.
      let off = 0;
      const maxFrame = this.peerMaxFrameSize;
      while (off < len) {
        let n = len - off;
        if (n > s.sendWindow) n = s.sendWindow;
        if (n > this.sendWindow) n = this.sendWindow;
        if (n > maxFrame) n = maxFrame;
        if (n <= 0 || this.transportBacklog + this.out.length >= OUTPUT_HIGH_WATER) break;
        const end = endStream && off + n === len;
        this.out.data(s.id, chunk, off, off + n, end);
        s.sendWindow -= n;
        this.sendWindow -= n;
        off += n;
      }
      if (off === len) {
        if (endStream) {
          if (len === 0) this.out.data(s.id, EMPTY, 0, 0, true);
          this.localEnd(s);
        }
        this.signal();
        return true;
      }
      if (off > 0) this.signal();
      this.enqueue(s, off === 0 ? chunk : chunk.subarray(off), endStream);
    } else this.enqueue(s, chunk, endStream);
    if (s.sqBytes >= STREAM_HIGH_WATER) {
      s.wantWritable = true;
      return false;
    }
    return true;
  }

  private enqueue(s: H2ClientStream, chunk: Uint8Array, endStream: boolean): void {
    if (s.sq === null) {
      s.sq = [];
      s.sqHead = 0;
      s.sqOff = 0;
    }
    if (chunk.length > 0) {
      s.sq.push(chunk);
      s.sqBytes += chunk.length;
    }
    if (endStream) s.sqEnd = true;
    if (!s.inSendList) {
      s.inSendList = true;
      this.sendList.push(s);
    }
  }

  /** Our side of the stream ended (END_STREAM sent). */
  private localEnd(s: H2ClientStream): void {
    s.localClosed = true;
    s.sq = null;
    s.sqBytes = 0;
    if (s.remoteClosed) this.closeStream(s);
  }

  /** Frames queued request body while windows and the transport allow, round robin over streams. */
  private pump(): void {
    if (this.pumping || this.dead) return;
    this.pumping = true;
    const list = this.sendList;
    const out = this.out;
    let progress = true;
    while (progress && list.length > 0 && this.transportBacklog + out.length < OUTPUT_HIGH_WATER) {
      progress = false;
      for (let i = 0; i < list.length; ) {
        const s = list[i];
        if (s.closed || s.localClosed || s.sq === null) {
          s.inSendList = false;
          list[i] = list[list.length - 1];
          list.pop();
          continue;
        }
        if (this.sendOne(s)) progress = true;
        if (s.sq === null) {
          s.inSendList = false;
          list[i] = list[list.length - 1];
          list.pop();
          continue;
        }
        i++;
        if (this.sendWindow <= 0 || this.transportBacklog + out.length >= OUTPUT_HIGH_WATER) break;
      }
      if (this.sendWindow <= 0) break;
    }
    this.pumping = false;
    if (this.writable.length > 0) {
      // Tell streams they may write again, after the loop (they may write from the callback).
      const w = this.writable.splice(0);
      for (const s of w) if (!s.closed && s.cb !== null) s.cb.onUpstreamWritable();
    }
    this.signal();
  }

  /** Sends one DATA frame of s's queue if the windows allow; true if something was sent. */
  private sendOne(s: H2ClientStream): boolean {
    const q = s.sq!;
    if (s.sqHead >= q.length) {
      // Only END_STREAM is left.
      if (!s.sqEnd) return false;
      this.out.data(s.id, EMPTY, 0, 0, true);
      this.localEnd(s);
      return true;
    }
    const chunk = q[s.sqHead];
    let n = chunk.length - s.sqOff;
    if (n > s.sendWindow) n = s.sendWindow;
    if (n > this.sendWindow) n = this.sendWindow;
    if (n > this.peerMaxFrameSize) n = this.peerMaxFrameSize;
    if (n <= 0) return false;
    const off = s.sqOff;
    s.sqOff += n;
    s.sqBytes -= n;
    s.sendWindow -= n;
    this.sendWindow -= n;
    let last = false;
    if (s.sqOff === chunk.length) {
      q[s.sqHead] = EMPTY;
      s.sqHead++;
      s.sqOff = 0;
      last = s.sqHead === q.length;
    }
    const end = last && s.sqEnd;
    this.out.data(s.id, chunk, off, off + n, end);
    if (end) this.localEnd(s);
    else if (last) {
      s.sq = null;
    }
    if (s.wantWritable && s.sqBytes <= STREAM_LOW_WATER) {
      s.wantWritable = false;
      this.writable.push(s);
    }
    return true;
  }

  resetStream(s: H2ClientStream): void {
    s.cb = null;
    if (s.closed) return;
    if (!this.dead) {
      this.out.rstStream(s.id, H2Error.CANCEL);
      this.signal();
    }
    this.closeStream(s);
  }

  /** Delivers what a paused stream queued, until it is paused again. */
  deliverQueued(s: H2ClientStream): void {
    if (!s.enterDelivery()) return;
    let consumed = 0;
    const q = s.rxq!;
    let i = 0;
    while (i < q.length && !s.paused && s.cb !== null) {
      const c = q[i++];
      consumed += c.length;
      s.cb.onUpstreamData(c, false);
    }
    q.splice(0, i);
    s.leaveDelivery();
    if (s.closed || s.cb === null) return;
    if (q.length === 0 && !s.paused) {
      s.rxq = null;
      const end = s.rxEnd;
      if (end !== 0) {
        this.credit(s, consumed, false);
        const trailers = s.rxTrailers;
        s.rxTrailers = null;
        this.finishResponse(s, trailers, EMPTY);
        return;
      }
    }
    this.credit(s, consumed, true);
  }

  // ------------------------------------------------------------------------------ FrameHandler

  onData(streamId: number, chunk: Buffer, flowLength: number, last: boolean, endStream: boolean): void {
    if (flowLength >= 0) {
      // First piece of a frame: charge the connection window for the whole frame.
      if (!this.gotSettings) return this.connectionError(H2Error.PROTOCOL_ERROR, 'DATA before SETTINGS');
      if (flowLength > this.recvWindow) return this.connectionError(H2Error.FLOW_CONTROL_ERROR, 'connection window exceeded');
      this.recvWindow -= flowLength;
      this.recvUnacked += flowLength;
      if (this.recvUnacked >= this.connWindowTarget >> 1) {
        this.out.windowUpdate(0, this.recvUnacked);
        this.recvWindow += this.recvUnacked;
        this.recvUnacked = 0;
        this.signal();
      }
      this.frameFlow = flowLength;
      this.frameData = 0;
      if (flowLength === 0 && !endStream) {
        if (++this.emptyFrames > this.maxEmpty) return this.connectionError(H2Error.PROTOCOL_ERROR, 'too many empty frames');
      } else this.emptyFrames = 0;
    }
    this.frameData += chunk.length;
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if ((streamId & 1) === 0 || streamId >= this.nextStreamId) return this.connectionError(H2Error.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      return; // a stream we closed: already counted against the connection window
    }
    if (flowLength >= 0) {
      if (flowLength > s.recvWindow + (this.settingsAcked ? 0 : this.preAckSlack)) return this.streamError(s, H2Error.FLOW_CONTROL_ERROR);
      s.recvWindow -= flowLength;
      if (!s.gotHeaders) return this.streamError(s, H2Error.PROTOCOL_ERROR);
      if (s.remoteClosed) return this.streamError(s, H2Error.STREAM_CLOSED);
    }
    // Padding (flow length minus data) is consumed at once.
    if (last && this.frameFlow > this.frameData) s.unacked += this.frameFlow - this.frameData;
    const n = chunk.length;
    if (n > 0) {
      s.received += n;
      if (s.expected >= 0 && s.received > s.expected) return this.streamError(s, H2Error.PROTOCOL_ERROR);
    }
    if (endStream) {
      if (s.expected >= 0 && s.received !== s.expected) return this.streamError(s, H2Error.PROTOCOL_ERROR);
      s.remoteClosed = true;
    }
    if (s.paused || s.rxq !== null) {
      if (n > 0) (s.rxq ??= []).push(chunk);
      if (endStream) {
        if (s.rxq === null) s.rxq = [];
        s.rxEnd = 1;
      }
      return;
    }
    if (endStream) return this.finishResponse(s, null, chunk);
    if (n > 0) {
      s.cb!.onUpstreamData(chunk, false);
      this.credit(s, n, true);
    } else if (last) this.credit(s, 0, true);
  }

  /** Gives consumed body bytes back to the peer (in batches of half a window). */
  private credit(s: H2ClientStream, n: number, more: boolean): void {
    const u = (s.unacked += n);
    if (more && !s.closed && !s.remoteClosed && u >= this.streamWindow >> 1) {
      this.out.windowUpdate(s.id, u);
      s.recvWindow += u;
      s.unacked = 0;
      this.signal();
    }
  }

  onHeaderBlock(type: FrameType, streamId: number, endStream: boolean, promisedId: number, block: Buffer, start: number, end: number): void {
    if (!this.gotSettings) return this.connectionError(H2Error.PROTOCOL_ERROR, 'HEADERS before SETTINGS');
    const s = type === FrameType.HEADERS ? this.streams.get(streamId) : undefined;
    const fields: string[] = s !== undefined ? [] : this.discard;
    const rc = this.decoder.decode(block, start, end, fields);
    this.discard.length = 0;
    if (rc === HPACK_ERROR) return this.connectionError(H2Error.COMPRESSION_ERROR, 'header block cannot be decoded');
    if (type === FrameType.PUSH_PROMISE) {
      // We sent ENABLE_PUSH=0; before the peer acknowledged that, a push is refused, after it is an error.
      if (this.settingsAcked) return this.connectionError(H2Error.PROTOCOL_ERROR, 'PUSH_PROMISE with push disabled');
      this.out.rstStream(promisedId, H2Error.REFUSED_STREAM);
      this.signal();
      return;
    }
    if (end === start && !endStream) {
      if (++this.emptyFrames > this.maxEmpty) return this.connectionError(H2Error.PROTOCOL_ERROR, 'too many empty frames');
    } else this.emptyFrames = 0;
    if (s === undefined) {
      if ((streamId & 1) === 0 || streamId >= this.nextStreamId) return this.connectionError(H2Error.PROTOCOL_ERROR, `HEADERS on idle stream ${streamId}`);
      return;
    }
    if (s.remoteClosed) return this.streamError(s, H2Error.STREAM_CLOSED);
    const d = this.decoder;
    if (d.malformed || d.tooLarge) return this.streamError(s, H2Error.PROTOCOL_ERROR);
    const pseudo = d.pseudo;
    if (!s.gotHeaders) {
      if (d.pseudoLength !== 2 || pseudo[0] !== ':status') return this.streamError(s, H2Error.PROTOCOL_ERROR);
      const status = parseStatus(pseudo[1]);
      if (status < 0) return this.streamError(s, H2Error.PROTOCOL_ERROR);
      if (status < 200) {
        // Informational responses are skipped; 101 has no meaning in HTTP/2.
        if (status === 101 || endStream) return this.streamError(s, H2Error.PROTOCOL_ERROR);
        return;
      }
      let cl = -1;
      if (d.contentLength !== null) {
        cl = parseLength(d.contentLength);
        if (cl < 0) return this.streamError(s, H2Error.PROTOCOL_ERROR);
      }
      const noBody = s.noBody || status === 204 || status === 304;
      if (!noBody) {
        if (endStream && cl > 0) return this.streamError(s, H2Error.PROTOCOL_ERROR);
        s.expected = cl;
      }
      s.gotHeaders = true;
      const cb = s.cb!;
      if (endStream) {
        s.remoteClosed = true;
        this.endStreamLocally(s);
        cb.onUpstreamHeaders(status, fields, cl, true);
        return;
      }
      cb.onUpstreamHeaders(status, fields, cl, false);
      return;
    }
    // Trailers: end the stream, no pseudo-header fields.
    if (!endStream || d.pseudoLength !== 0) return this.streamError(s, H2Error.PROTOCOL_ERROR);
    if (s.expected >= 0 && s.received !== s.expected) return this.streamError(s, H2Error.PROTOCOL_ERROR);
    s.remoteClosed = true;
    if (s.paused || s.rxq !== null) {
      s.rxq ??= [];
      s.rxEnd = 2;
      s.rxTrailers = fields;
      return;
    }
    this.finishResponse(s, fields, EMPTY);
  }

  /** The response is complete: free the stream, then tell the exchange. */
  private finishResponse(s: H2ClientStream, trailers: string[] | null, last: Buffer): void {
    const cb = s.cb!;
    this.endStreamLocally(s);
    if (trailers !== null && trailers.length > 0) {
      if (last.length > 0) cb.onUpstreamData(last, false);
      cb.onUpstreamTrailers(trailers);
    } else cb.onUpstreamData(last, true);
  }

  /** The response ended: a request body still going is cut short (CANCEL); the stream closes. */
  private endStreamLocally(s: H2ClientStream): void {
    s.cb = null;
    if (!s.localClosed) {
      s.localClosed = true;
      this.out.rstStream(s.id, H2Error.CANCEL);
      this.signal();
    }
    this.closeStream(s);
  }

  onFrame(type: number, flags: number, streamId: number, p: Buffer, s: number, e: number): void {
    if (!this.gotSettings && type !== FrameType.SETTINGS) return this.connectionError(H2Error.PROTOCOL_ERROR, 'first frame is not SETTINGS');
    switch (type) {
      case FrameType.SETTINGS:
        if (flags & Flag.ACK) {
          this.settingsAcked = true;
          return;
        }
        return this.onSettings(p, s, e);
      case FrameType.PING:
        if (flags & Flag.ACK) return;
        this.out.ping(true, p, s);
        if (this.out.controlFrames > this.maxControl) return this.connectionError(H2Error.ENHANCE_YOUR_CALM, 'too many control frames queued');
        this.signal();
        return;
      case FrameType.GOAWAY:
        return this.onGoaway(read31(p, s), read32(p, s + 4));
      case FrameType.RST_STREAM: {
        const st = this.streams.get(streamId);
        if (st === undefined) {
          if ((streamId & 1) === 0 || streamId >= this.nextStreamId) return this.connectionError(H2Error.PROTOCOL_ERROR, `RST_STREAM on idle stream ${streamId}`);
          return;
        }
        const code = read32(p, s);
        if (code === H2Error.NO_ERROR && st.gotHeaders && !st.remoteClosed && st.expected >= 0 && st.received === st.expected) {
          // The whole body its content-length announced is in, and the server closed without error before
          // END_STREAM (node:http2 does this when flow control holds back its final empty DATA frame): the
          // response is complete, as nghttp2-based proxies take it. Without a length it stays a reset.
          st.remoteClosed = true;
          st.localClosed = true;
          if (st.paused || st.rxq !== null) {
            st.rxq ??= [];
            st.rxEnd = 1;
            return;
          }
          return this.finishResponse(st, null, EMPTY);
        }
        return this.failStream(st, code === H2Error.REFUSED_STREAM ? ResetReason.RemoteRefusedStream : ResetReason.RemoteReset, '');
      }
      case FrameType.WINDOW_UPDATE: {
        const inc = read31(p, s);
        if (streamId === 0) {
          if (inc === 0) return this.connectionError(H2Error.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
          if (this.sendWindow + inc > MAX_WINDOW) return this.connectionError(H2Error.FLOW_CONTROL_ERROR, 'connection window over 2^31-1');
          this.sendWindow += inc;
          if (this.sendList.length > 0) this.pump();
          return;
        }
        const st = this.streams.get(streamId);
        if (st === undefined) {
          if ((streamId & 1) === 0 || streamId >= this.nextStreamId) return this.connectionError(H2Error.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${streamId}`);
          return;
        }
        if (inc === 0) return this.streamError(st, H2Error.PROTOCOL_ERROR);
        if (st.sendWindow + inc > MAX_WINDOW) return this.streamError(st, H2Error.FLOW_CONTROL_ERROR);
        st.sendWindow += inc;
        if (st.inSendList) this.pump();
        return;
      }
      case FrameType.PRIORITY: {
        if (e - s !== 5) {
          const st = this.streams.get(streamId);
          if (st !== undefined) this.streamError(st, H2Error.FRAME_SIZE_ERROR);
        }
        return;
      }
    }
    // Unknown frame types are ignored (RFC 9113 §4.1).
  }

  private onSettings(p: Buffer, s: number, e: number): void {
    let windowGrew = false;
    for (let i = s; i < e; i += 6) {
      const id = (p[i] << 8) | p[i + 1];
      const v = read32(p, i + 2);
      switch (id) {
        case Setting.HEADER_TABLE_SIZE:
          // Our encoder never indexes, so the peer's table size does not matter to it.
          this.peerHeaderTableSize = v;
          break;
        case Setting.ENABLE_PUSH:
          if (v !== 0) return this.connectionError(H2Error.PROTOCOL_ERROR, 'server sent ENABLE_PUSH');
          break;
        case Setting.MAX_CONCURRENT_STREAMS:
          this.peerMaxConcurrentStreams = v;
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (v > MAX_WINDOW) return this.connectionError(H2Error.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE over 2^31-1');
          const delta = v - this.peerInitialWindow;
          if (delta !== 0) {
            for (const st of this.streams.values()) {
              st.sendWindow += delta;
              if (st.sendWindow > MAX_WINDOW) return this.connectionError(H2Error.FLOW_CONTROL_ERROR, 'stream window over 2^31-1');
            }
            if (delta > 0) windowGrew = true;
          }
          this.peerInitialWindow = v;
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (v < DEFAULT_MAX_FRAME_SIZE || v > MAX_MAX_FRAME_SIZE) return this.connectionError(H2Error.PROTOCOL_ERROR, 'MAX_FRAME_SIZE out of range');
          this.peerMaxFrameSize = v;
          break;
        case Setting.MAX_HEADER_LIST_SIZE:
          this.peerMaxHeaderListSize = v;
          break;
      }
    }
    this.out.settingsAck();
    if (this.out.controlFrames > this.maxControl) return this.connectionError(H2Error.ENHANCE_YOUR_CALM, 'too many control frames queued');
    this.signal();
    this.gotSettings = true;
    this.events.onSettings(this.peerMaxConcurrentStreams);
    if (windowGrew && this.sendList.length > 0) this.pump();
  }

  private onGoaway(last: number, code: number): void {
    const first = !this.goawayReceived;
    this.goawayReceived = true;
    if (last < this.goawayLastStreamId) this.goawayLastStreamId = last;
    this.goawayCode = code;
    if (first) this.events.onGoaway(last, code);
    // Streams the peer never processed: refused, safe to retry elsewhere.
    let refused: H2ClientStream[] | null = null;
    for (const st of this.streams.values()) if (st.id > this.goawayLastStreamId) (refused ??= []).push(st);
    if (refused !== null) for (const st of refused) this.failStream(st, ResetReason.RemoteRefusedStream, '');
  }

  onFrameError(code: H2Error, detail: string): void {
    this.connectionError(code, detail);
  }

  // ------------------------------------------------------------------------------ errors, closing

  private connectionError(code: H2Error, detail: string): void {
    if (this.dead) return;
    this.dead = true;
    this.reader.stop();
    if (!this.goawaySent) {
      this.goawaySent = true;
      this.out.goaway(0, code, detail.length <= 128 ? detail : detail.slice(0, 128));
    }
    this.signal();
    this.events.onConnectionError(code, `${errorName(code)}: ${detail}`);
    this.failAll(ResetReason.ProtocolError, '');
  }

  /** Resets one stream for a protocol error in what the peer sent on it. */
  private streamError(s: H2ClientStream, code: H2Error): void {
    this.out.rstStream(s.id, code);
    this.signal();
    this.failStream(s, ResetReason.ProtocolError, '');
  }

  private failStream(s: H2ClientStream, reason: ResetReason, transport: string): void {
    const cb = s.cb;
    s.cb = null;
    this.closeStream(s);
    if (cb !== null) cb.onUpstreamError(reason, transport);
  }

  private failAll(reason: ResetReason, transport: string): void {
    if (this.streams.size === 0) return;
    const all = [...this.streams.values()];
    for (const s of all) this.failStream(s, reason, transport);
  }

  private closeStream(s: H2ClientStream): void {
    if (s.closed) return;
    s.closed = true;
    s.sq = null;
    s.sqBytes = 0;
    s.rxq = null;
    this.streams.delete(s.id);
    this.events.onStreamClosed(s);
  }

  private signal(): void {
    if (!this.outputSignalled && this.out.length > 0) {
      this.outputSignalled = true;
      this.events.onOutput();
    }
  }
}

function read32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function read31(b: Uint8Array, p: number): number {
  return read32(b, p) & MAX_WINDOW;
}

/** Three digits, or -1. */
function parseStatus(v: string): number {
  if (v.length !== 3) return -1;
  const a = v.charCodeAt(0) - 48;
  const b = v.charCodeAt(1) - 48;
  const c = v.charCodeAt(2) - 48;
  if (a < 1 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  return a * 100 + b * 10 + c;
}

/** A non-negative decimal content-length, or -1. */
function parseLength(v: string): number {
  const n = v.length;
  if (n === 0 || n > 15) return -1;
  let x = 0;
  for (let i = 0; i < n; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    x = x * 10 + d;
  }
  return x;
}
