// Listening sockets for the node engine, bound on the admin thread and shared by fd with every worker.
// The admin thread binds but never listens (a listening handle here would accept connections too);
// each worker's net.Server listen({ fd }) turns it into a listening socket in its own event loop.
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

const tcpWrap = (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as TcpWrap;
const { errname } = (process as unknown as { binding(name: string): { errname(code: number): string } }).binding('uv');

export interface BoundSocket {
  readonly fd: number;
  readonly port: number;
  close(): void;
}

export function bindShared(address: string, port: number): BoundSocket {
  const h = new tcpWrap.TCP(tcpWrap.constants.SERVER);
  const v6 = net.isIPv6(address);
  const err = v6 ? h.bind6(address, port, 0) : h.bind(address, port);
  if (err !== 0) {
    h.close();
    throw new Error(errname(err) === 'EADDRINUSE' ? 'address already in use' : errname(err));
  }
  const out: { port?: number } = {};
  h.getsockname(out);
  return { fd: h.fd, port: out.port ?? port, close: () => h.close() };
}

/** A port that was free a moment ago (for uWS listeners configured with port 0). */
export function freePort(address: string): number {
  const b = bindShared(address, 0);
  const p = b.port;
  b.close();
  return p;
}
