// The parts of Bun's own API nuncio uses (Bun.serve, Bun.listen), typed here so that workers/ compiles
// against @types/node alone, plus what the admin thread asks of the Bun it runs on: which version, a
// free port, and whether Bun.serve really speaks HTTP/2 (probed on a socket, not read off a version).
import net from 'node:net';

export interface BunTlsOptions {
  key: string;
  cert: string;
  passphrase?: string;
  ca?: string;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  ciphers?: string;
  secureOptions?: number;
}

export interface BunSocketAddress {
  readonly address: string;
  readonly port: number;
  readonly family: string;
}

export interface BunServer {
  readonly port: number;
  readonly pendingRequests: number;
  /** Stops accepting; idle keep-alive connections close now, busy ones after their response. */
  stop(closeActiveConnections?: boolean): Promise<void>;
  requestIP(req: Request): BunSocketAddress | null;
  timeout(req: Request, seconds: number): void;
}

export interface BunServeOptions {
  hostname: string;
  port: number;
  reusePort?: boolean;
  http2?: boolean;
  http1?: boolean;
  /** Seconds (0-255); Bun counts a connection with a quiet request in flight as idle too. */
  idleTimeout?: number;
  maxRequestBodySize?: number;
  development?: boolean;
  tls?: BunTlsOptions;
  fetch(req: Request, server: BunServer): Response | Promise<Response>;
  error?(e: Error): Response;
}

interface BunListener {
  readonly port: number;
  stop(): void;
}

export interface BunApi {
  readonly version: string;
  serve(o: BunServeOptions): BunServer;
  listen(o: { hostname: string; port: number; socket: { data(): void } }): BunListener;
}

/** Bun's global, or null on Node. */
export const BUN: BunApi | null = ((globalThis as { Bun?: BunApi }).Bun ?? null) as BunApi | null;
export const IS_BUN = BUN !== null;

export function bunApi(): BunApi {
  if (BUN === null) throw new Error('this is not Bun');
  return BUN;
}

/** A port that was free a moment ago (Bun.serve listeners configured with port 0). */
export function bunFreePort(address: string): number {
  const l = bunApi().listen({ hostname: address, port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop();
  return p;
}

// An HTTP/2 client preface followed by an empty SETTINGS frame.
const PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

/** Throws if something listens on address:port (Bun.listen binds without SO_REUSEPORT). */
export function bunProbePort(address: string, port: number): void {
  let l: BunListener;
  try {
    l = bunApi().listen({ hostname: address, port, socket: { data() {} } });
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(code === 'EADDRINUSE' ? 'address already in use' : (e as Error).message);
  }
  l.stop();
}

let http2Probe: Promise<boolean> | null = null;

/**
 * Does Bun.serve({ http2: true }) serve HTTP/2 on this Bun? Older releases ignore the option and answer
 * the preface as a bad HTTP/1.1 request, so a SETTINGS frame back is the proof.
 */
export function bunServeHasHttp2(): Promise<boolean> {
  return (http2Probe ??= probeHttp2());
}

async function probeHttp2(): Promise<boolean> {
  let server: BunServer;
  try {
    server = bunApi().serve({
      hostname: '127.0.0.1',
      port: 0,
      http2: true,
      http1: false,
      development: false,
      fetch: () => new Response(null, { status: 204 }),
    });
  } catch {
    return false;
  }
  try {
    return await new Promise<boolean>((resolve) => {
      const sock = net.connect(server.port, '127.0.0.1', () => sock.write(PREFACE));
      let got = Buffer.alloc(0);
      const done = (ok: boolean): void => {
        clearTimeout(t);
        sock.destroy();
        resolve(ok);
      };
      const t = setTimeout(() => done(false), 2000);
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        // Frame header: 3 bytes length, 1 byte type (4 = SETTINGS).
        if (got.length >= 9) done(got[3] === 4);
      });
      sock.on('error', () => done(false));
      sock.on('close', () => done(false));
    });
  } finally {
    void server.stop(true);
  }
}
