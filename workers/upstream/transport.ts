// Byte transports for upstream connections and for the node engine's accepted connections. On Node,
// plain TCP goes straight to libuv's TCPWrap (the handle under net.Socket), skipping the stream machinery
// that costs microseconds per request: no Readable/Writable state, no 'data' events, one native write
// per call. TLS (and runtimes without process.binding, such as Bun) use net.Socket / tls.TLSSocket behind
// the same interface.
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

/** An accepted (downstream) connection. */
export interface ServerTransport extends Transport {
  /** Flushes what is queued, sends FIN, then closes. */
  end(): void;
  /** Peer address as `ip:port`. */
  readonly remoteAddress: string;
  /** Replaces the event handler (the listener sniffs first, then a codec takes over). */
  setHandler(h: TransportHandler): void;
  /** Runs once when the connection is gone, whoever handles it (listener accounting). */
  onceClosed(fn: () => void): void;
  /** Hands the connection over to node:net (for node:http2), with bytes already read put back. */
  toSocket(pending: Buffer | null): net.Socket;
}

export interface ConnectOptions {
  host: string;
  port: number;
  tls?: tls.ConnectionOptions;
}

// ------------------------------------------------------------------------------------ raw TCPWrap

interface StreamBinding {
  WriteWrap: new () => { handle: unknown; oncomplete: (status: number) => void; async: boolean };
  ShutdownWrap: new () => { handle: unknown; oncomplete: (status: number) => void; callback?: () => void };
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
  shutdown(req: unknown): number;
  getpeername(out: { address?: string; port?: number }): number;
  readonly writeQueueSize: number;
  [k: symbol]: unknown;
}
interface TcpBinding {
  TCP: new (type: number) => TcpHandleRaw & TcpServerRaw;
  TCPConnectWrap: new () => { oncomplete: (status: number) => void; address: string; port: number };
  constants: { SOCKET: number; SERVER: number };
}
interface TcpServerRaw {
  open(fd: number): number;
  listen(backlog: number): number;
  onconnection: ((err: number, client: TcpHandleRaw | undefined) => void) | null;
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
    if (t.halfOpen) {
      // An accepted connection stays writable after the client's FIN: the handler closes it.
      t.handle.readStop();
      t.connected = false;
      t.handler.onEnd();
      return;
    }
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

class RawTcp implements ServerTransport {
  readonly handle: TcpHandleRaw;
  destroyed = false;
  waitingDrain = false;
  /** Reading is possible (connected, and the peer has not sent FIN). */
  connected = false;
  /** Accepted connections: the peer's FIN does not close the connection. */
  readonly halfOpen: boolean;
  private closeHooks: (() => void)[] | null = null;

  /** Connects to host:port, or adopts an accepted handle (then host is null). */
  constructor(
    public handler: TransportHandler,
    host: string | null,
    port: number,
    accepted?: TcpHandleRaw,
  ) {
    const r = raw!;
    this.halfOpen = accepted !== undefined;
    if (accepted) {
      this.handle = accepted;
      this.handle[kOwner] = this;
      this.handle.onread = onRead;
      this.connected = true;
      this.handle.setNoDelay(true);
      this.handle.readStart();
      return;
    }
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
    req.address = host!;
    req.port = port;
    const err = net.isIPv6(host!) ? this.handle.connect6(req, host!, port) : this.handle.connect(req, host!, port);
    if (err !== 0) queueMicrotask(() => this.fail(err));
  }

  get remoteAddress(): string {
    const out: { address?: string; port?: number } = {};
    this.handle.getpeername(out);
    return out.address?.includes(':') ? `[${out.address}]:${out.port}` : `${out.address}:${out.port}`;
  }

  setHandler(h: TransportHandler): void {
    this.handler = h;
  }

  onceClosed(fn: () => void): void {
    (this.closeHooks ??= []).push(fn);
  }

  private closed(err: { code: string; errno: number } | null): void {
    this.handler.onClose(err);
    const hooks = this.closeHooks;
    this.closeHooks = null;
    if (hooks) for (const f of hooks) f();
  }

  end(): void {
    if (this.destroyed) return;
    const req = new raw!.stream.ShutdownWrap();
    req.handle = this.handle;
    req.oncomplete = () => this.destroy();
    if (this.handle.shutdown(req) !== 0) this.destroy();
  }

  toSocket(pending: Buffer | null): net.Socket {
    this.handle.readStop();
    this.destroyed = true; // from here on node:net owns the handle
    const sock = new net.Socket({ handle: this.handle, readable: true, writable: true } as net.SocketConstructorOpts);
    const hooks = this.closeHooks;
    this.closeHooks = null;
    if (hooks) sock.once('close', () => hooks.forEach((f) => f()));
    if (pending !== null && pending.length > 0) sock.unshift(pending);
    return sock;
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
    this.handle.close(() => this.closed(null));
  }

  /** Ends the transport with an error (negative libuv code) or cleanly (null). */
  fail(code: number | null): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const err = code === null ? null : { code: raw!.errname(code), errno: -code };
    this.handle.close(() => this.closed(err));
  }
}

// ------------------------------------------------------------------------------------ net.Socket

class SocketTransport implements ServerTransport {
  private readonly s: net.Socket;
  private closedErr: { code: string; errno: number } | null = null;

  /** Connects (options), or adopts a connected socket (an accepted or TLS-terminated one). */
  constructor(
    public handler: TransportHandler,
    o: ConnectOptions | net.Socket,
  ) {
    const adopted = o instanceof net.Socket;
    const s = adopted ? o : o.tls ? tls.connect({ host: o.host, port: o.port, ...o.tls }) : net.connect({ host: o.host, port: o.port, noDelay: true });
    this.s = s;
    s.setNoDelay(true);
    if (!adopted) s.once((o as ConnectOptions).tls ? 'secureConnect' : 'connect', () => this.handler.onConnect());
    s.on('data', (d: Buffer) => this.handler.onData(d));
    s.on('end', () => this.handler.onEnd());
    s.on('drain', () => this.handler.onDrain());
    s.on('error', (e: NodeJS.ErrnoException) => {
      this.closedErr = { code: e.code ?? 'EIO', errno: typeof e.errno === 'number' ? Math.abs(e.errno) : 0 };
    });
    s.on('close', () => this.handler.onClose(this.closedErr));
  }

  get remoteAddress(): string {
    return `${this.s.remoteAddress}:${this.s.remotePort}`;
  }

  setHandler(h: TransportHandler): void {
    this.handler = h;
  }

  onceClosed(fn: () => void): void {
    this.s.once('close', fn);
  }

  end(): void {
    this.s.end();
  }

  toSocket(pending: Buffer | null): net.Socket {
    this.s.removeAllListeners('data');
    this.s.removeAllListeners('end');
    this.s.removeAllListeners('drain');
    this.s.pause();
    if (pending !== null && pending.length > 0) this.s.unshift(pending);
    return this.s;
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

/** True where accepted connections can be taken as raw handles (Node with process.binding). */
export function rawAvailable(): boolean {
  return rawBindings() !== null && process.env.NUNCIO_DOWNSTREAM_SOCKETS !== 'net';
}

/** A listening socket taken as a raw TCPWrap server handle; accepted connections arrive as transports. */
export interface RawAcceptor {
  close(): void;
}

/**
 * Accepts on a listening socket's file descriptor without net.Server: each accepted connection becomes a
 * raw transport (its handler set by `onConnection`), or `onError` gets the libuv error name of a failed
 * accept. Throws when the descriptor cannot be taken.
 */
export function acceptRaw(
  fd: number,
  onConnection: (t: ServerTransport) => void,
  onError: (code: string) => void,
): RawAcceptor {
  const r = rawBindings();
  if (!r) throw new Error('raw TCP handles are not available on this runtime');
  const h = new r.tcp.TCP(r.tcp.constants.SERVER);
  let err = h.open(fd);
  if (err === 0) err = h.listen(511);
  if (err !== 0) {
    h.close();
    throw new Error(`cannot accept on fd ${fd}: ${r.errname(err)}`);
  }
  h.onconnection = (status, client) => {
    if (status !== 0 || client === undefined) onError(r.errname(status));
    else onConnection(new RawTcp(NO_HANDLER, null, 0, client));
  };
  let closed = false;
  return {
    close(): void {
      if (closed) return;
      closed = true;
      h.onconnection = null;
      h.close();
    },
  };
}

const NO_HANDLER: TransportHandler = {
  onConnect() {},
  onData() {},
  onEnd() {},
  onClose() {},
  onDrain() {},
};

/** A connected socket (TLS-terminated, or from net.Server) as a transport. */
export function adoptSocket(handler: TransportHandler, sock: net.Socket): ServerTransport {
  return new SocketTransport(handler, sock);
}

/** Opens a transport: raw TCPWrap for plain TCP on Node, sockets otherwise. */
export function connectTransport(handler: TransportHandler, o: ConnectOptions): Transport {
  if (!o.tls && process.env.NUNCIO_UPSTREAM_SOCKETS !== 'net' && rawBindings()) return new RawTcp(handler, o.host, o.port);
  return new SocketTransport(handler, o);
}
