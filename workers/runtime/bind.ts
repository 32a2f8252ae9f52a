// Listening sockets for the node engine, bound on the admin thread and shared by fd with every worker.
// The admin thread binds but never listens (a listening handle here would accept connections too);
// each worker turns its copy into a listening socket in its own event loop (a raw TCPWrap, or
// net.Server listen({ fd }) for TLS).
import net from 'node:net';

interface TcpHandle {
  fd: number;
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  close(cb?: () => void): void;
}

interface TcpWrap {
  TCP: new (type: number) => TcpHandle;
  constants: { SERVER: number };
}

// Loaded on first use: Bun has no process.binding, and nuncio on Bun never needs a shared socket.
let tcpWrapCache: TcpWrap | null = null;
function tcpWrap(): TcpWrap {
  return (tcpWrapCache ??= (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as TcpWrap);
}
function errname(code: number): string {
  return (process as unknown as { binding(name: string): { errname(code: number): string } }).binding('uv').errname(code);
}

export interface BoundSocket {
  readonly fd: number;
  readonly port: number;
  /** The libuv handle (for FdDuplicator). */
  readonly handle: { readonly fd: number };
  close(): void;
}

export function bindShared(address: string, port: number): BoundSocket {
  const w = tcpWrap();
  const h = new w.TCP(w.constants.SERVER);
  const v6 = net.isIPv6(address);
  let err = v6 ? h.bind6(address, port, 0) : h.bind(address, port);
  // libuv defers EADDRINUSE from bind() to the next call on the handle (uv_tcp_bind's delayed_error);
  // getsockname() reports it. Unchecked, a worker's listen({ fd }) on the unbound socket would listen
  // on a random port of every interface.
  const out: { port?: number } = {};
  if (err === 0) err = h.getsockname(out);
  if (err !== 0) {
    h.close();
    throw new Error(errname(err) === 'EADDRINUSE' ? 'address already in use' : errname(err));
  }
  return { fd: h.fd, port: out.port ?? port, handle: h, close: () => h.close() };
}

/** A port that was free a moment ago (for uWS listeners configured with port 0). */
export function freePort(address: string): number {
  const b = bindShared(address, 0);
  const p = b.port;
  b.close();
  return p;
}
