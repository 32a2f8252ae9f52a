// Byte transports for upstream connections. On Node, plain TCP goes straight to libuv's TCPWrap (the
// handle under net.Socket), skipping the stream machinery that costs microseconds per request: no
// Readable/Writable state, no 'data' events, one native write per call. TLS (and runtimes without
// process.binding, such as Bun) use net.Socket / tls.TLSSocket behind the same interface.
import net from 'node:net';
import tls from 'node:tls';

export interface TransportHandler {
  onConnect(): void;
  /** Bytes read; the Buffer is ours to keep. */
  onData(buf: Buffer): void;
  /** The peer finished sending (FIN). */
  onEnd(): void;
  /** The connection is gone; `err` when it failed (errno-style code and number). */
  onClose(err: { code: string; errno: number } | null): void;
  /** Buffered writes went out; writing may resume. */
  onDrain(): void;
}

export interface Transport {
  /** Queues bytes; false when the kernel buffer is full (wait for onDrain). */
  write(data: string | Uint8Array): boolean;
  /** Several pieces in one system call. */
  writev(parts: readonly (string | Uint8Array)[]): boolean;
  pause(): void;
  resume(): void;
  /** Closes now (no graceful FIN handshake needed for an HTTP/1.1 upstream). */
  destroy(): void;
  readonly destroyed: boolean;
}

export interface ConnectOptions {
  host: string;
  port: number;
  tls?: tls.ConnectionOptions;
}

// ------------------------------------------------------------------------------------ raw TCPWrap

interface StreamBinding {
  WriteWrap: new () => { handle: unknown; oncomplete: (status: number) => void; async: boolean };
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
  streamBaseState: Int32Array;
}
interface TcpHandleRaw {
  onread: (ab: ArrayBuffer) => void;
  readStart(): number;
  readStop(): number;
  setNoDelay(on: boolean): number;
  connect(req: unknown, address: string, port: number): number;
  connect6(req: unknown, address: string, port: number): number;
  writeLatin1String(req: unknown, s: string): number;
  writeBuffer(req: unknown, b: Uint8Array): number;
  writev(req: unknown, chunks: unknown[], allBuffers: boolean): number;
  close(cb?: () => void): void;
  readonly writeQueueSize: number;
  [k: symbol]: unknown;
}
interface TcpBinding {
  TCP: new (type: number) => TcpHandleRaw;
  TCPConnectWrap: new () => { oncomplete: (status: number) => void; address: string; port: number };
  constants: { SOCKET: number };
}

let raw: { tcp: TcpBinding; stream: StreamBinding; eof: number; errname: (n: number) => string } | null | undefined;

function rawBindings(): typeof raw {
  if (raw !== undefined) return raw;
  try {
    const b = (process as unknown as { binding(n: string): unknown }).binding;
    const uv = b('uv') as { UV_EOF: number; errname(n: number): string };
    raw = { tcp: b('tcp_wrap') as TcpBinding, stream: b('stream_wrap') as StreamBinding, eof: uv.UV_EOF, errname: (n) => uv.errname(n) };
  } catch {
    raw = null;
  }
  return raw;
}

const kOwner = Symbol('nuncio.rawtcp');
const HIGH_WATER = 64 * 1024;

function onRead(this: TcpHandleRaw, ab: ArrayBuffer): void {
  const t = this[kOwner] as RawTcp;
  const st = raw!.stream;
  const n = st.streamBaseState[st.kReadBytesOrError];
  if (n > 0) {
    t.handler.onData(Buffer.from(ab, st.streamBaseState[st.kArrayBufferOffset], n));
  } else if (n === raw!.eof) {
    t.handler.onEnd();
    t.fail(null);
  } else if (n < 0) {
    t.fail(n);
  }
}

function onWritten(this: { t: RawTcp }, status: number): void {
  const t = this.t;
  if (status < 0) {
    t.fail(status);
    return;
  }
  if (t.waitingDrain && t.handle.writeQueueSize < HIGH_WATER) {
    t.waitingDrain = false;
    t.handler.onDrain();
  }
}

class RawTcp implements Transport {
  readonly handle: TcpHandleRaw;
  destroyed = false;
  waitingDrain = false;
  private connected = false;

  constructor(
    readonly handler: TransportHandler,
    host: string,
    port: number,
  ) {
    const r = raw!;
    this.handle = new r.tcp.TCP(r.tcp.constants.SOCKET);
    this.handle[kOwner] = this;
    this.handle.onread = onRead;
    const req = new r.tcp.TCPConnectWrap();
    req.oncomplete = (status: number) => {
      if (this.destroyed) return;
      if (status < 0) {
        this.fail(status);
        return;
      }
      this.connected = true;
      this.handle.setNoDelay(true);
      this.handle.readStart();
      this.handler.onConnect();
    };
    req.address = host;
    req.port = port;
    const err = net.isIPv6(host) ? this.handle.connect6(req, host, port) : this.handle.connect(req, host, port);
    if (err !== 0) queueMicrotask(() => this.fail(err));
  }

  /**
   * A write request. `keep` holds the bytes until libuv is done with them: the native side does not,
   * and a write the kernel could not take at once completes later (Node's own writevGeneric keeps
   * `req._chunks` for the same reason).
   */
  private req(keep: unknown): { t: RawTcp; handle: unknown; oncomplete: (status: number) => void; async: boolean; keep: unknown } {
    const req = new raw!.stream.WriteWrap() as unknown as { t: RawTcp; handle: unknown; oncomplete: (status: number) => void; async: boolean; keep: unknown };
    req.keep = keep;
    req.t = this;
    req.handle = this.handle;
    req.oncomplete = onWritten;
    req.async = false;
    return req;
  }

  private after(err: number): boolean {
    if (err !== 0) {
      this.fail(err);
      return false;
    }
    if (this.handle.writeQueueSize >= HIGH_WATER) {
      this.waitingDrain = true;
      return false;
    }
    return true;
  }

  write(data: string | Uint8Array): boolean {
    if (this.destroyed) return false;
    const req = this.req(data);
    return this.after(typeof data === 'string' ? this.handle.writeLatin1String(req, data) : this.handle.writeBuffer(req, data));
  }

  writev(parts: readonly (string | Uint8Array)[]): boolean {
    if (this.destroyed) return false;
    if (parts.length === 1) return this.write(parts[0]);
    // TCPWrap.writev takes [chunk, encoding, chunk, encoding, ...] unless every chunk is a Buffer.
    const chunks: unknown[] = [];
    for (const p of parts) chunks.push(p, typeof p === 'string' ? 'latin1' : 'buffer');
    return this.after(this.handle.writev(this.req(chunks), chunks, false));
  }

  pause(): void {
    if (this.connected && !this.destroyed) this.handle.readStop();
  }

  resume(): void {
    if (this.connected && !this.destroyed) this.handle.readStart();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.handle.close(() => this.handler.onClose(null));
  }

  /** Ends the transport with an error (negative libuv code) or cleanly (null). */
  fail(code: number | null): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const err = code === null ? null : { code: raw!.errname(code), errno: -code };
    this.handle.close(() => this.handler.onClose(err));
  }
}

// ------------------------------------------------------------------------------------ net.Socket

class SocketTransport implements Transport {
  private readonly s: net.Socket;
  private closedErr: { code: string; errno: number } | null = null;

  constructor(
    readonly handler: TransportHandler,
    o: ConnectOptions,
  ) {
    const s = o.tls ? tls.connect({ host: o.host, port: o.port, ...o.tls }) : net.connect({ host: o.host, port: o.port, noDelay: true });
    this.s = s;
    s.setNoDelay(true);
    s.once(o.tls ? 'secureConnect' : 'connect', () => handler.onConnect());
    s.on('data', (d: Buffer) => handler.onData(d));
    s.on('end', () => handler.onEnd());
    s.on('drain', () => handler.onDrain());
    s.on('error', (e: NodeJS.ErrnoException) => {
      this.closedErr = { code: e.code ?? 'EIO', errno: typeof e.errno === 'number' ? Math.abs(e.errno) : 0 };
    });
    s.on('close', () => handler.onClose(this.closedErr));
  }

  get destroyed(): boolean {
    return this.s.destroyed;
  }

  write(data: string | Uint8Array): boolean {
    return typeof data === 'string' ? this.s.write(data, 'latin1') : this.s.write(data);
  }

  writev(parts: readonly (string | Uint8Array)[]): boolean {
    this.s.cork();
    let ok = true;
    for (const p of parts) ok = this.write(p);
    this.s.uncork();
    return ok;
  }

  pause(): void {
    this.s.pause();
  }

  resume(): void {
    this.s.resume();
  }

  destroy(): void {
    this.s.destroy();
  }
}

/** Opens a transport: raw TCPWrap for plain TCP on Node, sockets otherwise. */
export function connectTransport(handler: TransportHandler, o: ConnectOptions): Transport {
  if (!o.tls && process.env.NUNCIO_UPSTREAM_SOCKETS !== 'net' && rawBindings()) return new RawTcp(handler, o.host, o.port);
  return new SocketTransport(handler, o);
}
