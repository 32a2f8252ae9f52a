// A tiny authoritative DNS server on loopback (UDP, plus TCP on the same port for truncated
// answers): the stand-in for Docker's embedded DNS, so `service1`/`service2` resolve to the
// instances' loopback addresses. Tests use its failure modes to exercise resolver errors.

import dgram from 'node:dgram';
import net from 'node:net';
import {
  CLASS_ANY, CLASS_IN, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_REFUSED, RCODE_SERVFAIL, TCP_MAX, TYPE_A, TYPE_ANY,
  UDP_MAX, buildAnswer, buildError, encodeARecords, normalizeName, parseQuery,
} from './dns-message.js';

export interface DnsServerOptions {
  readonly address: string;
  /** 0 picks an ephemeral port (the same one for UDP and TCP). */
  readonly port: number;
  /** Also serve DNS over TCP, which resolvers use after a truncated UDP answer. Default true. */
  readonly tcp?: boolean;
}

/**
 * How a name fails on purpose: 'servfail' and 'refused' answer with that rcode, 'timeout' never
 * answers at all (the resolver times out).
 */
export type DnsFailureMode = 'servfail' | 'refused' | 'timeout';

/**
 * Default TTL is 0 so that no resolver cache can hide a membership change (the records change when
 * the topology scales). node's Resolver was seen not to cache, but c-ares has a query cache elsewhere.
 */
export const DEFAULT_TTL = 0;

interface NameEntry {
  readonly addresses: readonly string[];
  readonly ttl: number;
  readonly answers: Buffer;
}

const EPHEMERAL_ATTEMPTS = 20;
const TCP_IDLE_MS = 30_000;

export class DnsServer {
  /** Messages received (UDP datagrams and TCP frames), answered or not, well-formed or not. */
  queries = 0;
  /** The last socket error seen after start-up; kept rather than thrown so the server keeps serving. */
  lastError: Error | null = null;

  private readonly opts: DnsServerOptions;
  private readonly names = new Map<string, NameEntry>();
  private readonly failures = new Map<string, DnsFailureMode>();
  private readonly perName = new Map<string, number>();
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private readonly tcpConnections = new Set<DnsTcpConnection>();
  private bound: { address: string; port: number } | null = null;
  private starting: Promise<{ address: string; port: number }> | null = null;

  constructor(opts: DnsServerOptions) {
    if (!net.isIP(opts.address)) throw new TypeError(`DnsServer: address must be an IP address, got ${opts.address}`);
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
      throw new TypeError(`DnsServer: port must be an integer in 0..65535, got ${opts.port}`);
    }
    this.opts = opts;
    this.onUdpMessage = this.onUdpMessage.bind(this);
    this.onSocketError = this.onSocketError.bind(this);
    this.onTcpConnection = this.onTcpConnection.bind(this);
    this.onStartFailed = this.onStartFailed.bind(this);
  }

  /** The bound address, or null before start / after stop. */
  get address(): { address: string; port: number } | null {
    return this.bound;
  }

  /** Binds the sockets; calling it again while started (or starting) gives the same address. */
  start(): Promise<{ address: string; port: number }> {
    if (this.starting === null) {
      this.starting = this.bind();
      this.starting.catch(this.onStartFailed);
    }
    return this.starting;
  }

  private onStartFailed(): void {
    this.starting = null;
  }

  private async bind(): Promise<{ address: string; port: number }> {
    const withTcp = this.opts.tcp !== false;
    const attempts = this.opts.port === 0 && withTcp ? EPHEMERAL_ATTEMPTS : 1;
    for (let attempt = 1; ; attempt++) {
      const udp = dgram.createSocket({ type: net.isIPv6(this.opts.address) ? 'udp6' : 'udp4' });
      await bindUdp(udp, this.opts.port, this.opts.address);
      const port = udp.address().port;
      if (!withTcp) {
        this.attachUdp(udp);
        break;
      }
      // An ephemeral UDP port can be taken on the TCP side: then try another one.
      const tcp = net.createServer(this.onTcpConnection);
      try {
        await listenTcp(tcp, port, this.opts.address);
      } catch (err) {
        await closeUdp(udp);
        if (attempt < attempts && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw err;
      }
      tcp.on('error', this.onSocketError);
      this.tcp = tcp;
      this.attachUdp(udp);
      break;
    }
    const port = this.udp!.address().port;
    this.bound = { address: this.opts.address, port };
    return this.bound;
  }

  async stop(): Promise<void> {
    if (this.starting !== null) await this.starting.catch(this.onStartFailed);
    this.starting = null;
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = null;
    this.tcp = null;
    this.bound = null;
    for (const conn of this.tcpConnections) conn.socket.destroy();
    this.tcpConnections.clear();
    const closing: Promise<void>[] = [];
    if (udp !== null) closing.push(closeUdp(udp));
    if (tcp !== null) closing.push(new Promise<void>((resolve) => tcp.close(() => resolve())));
    await Promise.all(closing);
  }

  /**
   * Makes `name` known with these A records (an empty list is allowed: the name then exists with
   * no address, and A queries get NODATA).
   */
  setRecords(name: string, ipv4s: readonly string[], ttl: number = DEFAULT_TTL): void {
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff) {
      throw new TypeError(`DnsServer.setRecords: ttl must be an integer in 0..2147483647, got ${ttl}`);
    }
    for (const ip of ipv4s) {
      if (!net.isIPv4(ip)) throw new TypeError(`DnsServer.setRecords: not an IPv4 address: ${ip}`);
    }
    const addresses = ipv4s.slice();
    this.names.set(normalizeName(name), { addresses, ttl, answers: encodeARecords(addresses, ttl) });
  }

  /** Forgets `name`: it answers NXDOMAIN from now on. */
  remove(name: string): void {
    this.names.delete(normalizeName(name));
  }

  /** The addresses `name` currently resolves to, or null if unknown. */
  records(name: string): readonly string[] | null {
    return this.names.get(normalizeName(name))?.addresses ?? null;
  }

  /** Makes queries for `name` (known or not) fail in `mode`; null restores normal answers. */
  setFailure(name: string, mode: DnsFailureMode | null): void {
    if (mode === null) this.failures.delete(normalizeName(name));
    else this.failures.set(normalizeName(name), mode);
  }

  /** Well-formed queries received for `name` (any type), including failed or dropped ones. */
  queriesFor(name: string): number {
    return this.perName.get(normalizeName(name)) ?? 0;
  }

  /**
   * The reply to one DNS message, or null when nothing must be sent back. Never throws: this is
   * what the sockets call, and tests may call it directly with raw bytes.
   */
  respond(msg: Buffer, maxSize: number): Buffer | null {
    this.queries++;
    const parsed = parseQuery(msg);
    if (parsed.kind === 'ignore') return null;
    if (parsed.kind === 'error') return buildError(parsed.id, parsed.flags, parsed.rcode);
    const name = parsed.name;
    this.perName.set(name, (this.perName.get(name) ?? 0) + 1);

    const failure = this.failures.get(name);
    if (failure === 'timeout') return null;
    if (failure === 'servfail') return buildAnswer(parsed, RCODE_SERVFAIL, false, null, 0, maxSize);
    if (failure === 'refused') return buildAnswer(parsed, RCODE_REFUSED, false, null, 0, maxSize);

    // Only class IN exists here; for other classes we are not an authority.
    if (parsed.qclass !== CLASS_IN && parsed.qclass !== CLASS_ANY) {
      return buildAnswer(parsed, RCODE_REFUSED, false, null, 0, maxSize);
    }
    const entry = this.names.get(name);
    if (entry === undefined) return buildAnswer(parsed, RCODE_NXDOMAIN, true, null, 0, maxSize);
    // A known name has only A records: every other type (AAAA included) is NODATA.
    if (parsed.qtype === TYPE_A || parsed.qtype === TYPE_ANY) {
      return buildAnswer(parsed, RCODE_NOERROR, true, entry.answers, entry.addresses.length, maxSize);
    }
    return buildAnswer(parsed, RCODE_NOERROR, true, null, 0, maxSize);
  }

  private attachUdp(udp: dgram.Socket): void {
    udp.on('message', this.onUdpMessage);
    udp.on('error', this.onSocketError);
    this.udp = udp;
  }

  private onUdpMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const reply = this.respond(msg, UDP_MAX);
    if (reply !== null && this.udp !== null) this.udp.send(reply, rinfo.port, rinfo.address, this.onSocketError);
  }

  private onSocketError(err: Error | null): void {
    if (err) this.lastError = err;
  }

  private onTcpConnection(socket: net.Socket): void {
    if (this.tcp === null) {
      socket.destroy();
      return;
    }
    this.tcpConnections.add(new DnsTcpConnection(this, socket));
  }

  /** @internal called by a TCP connection when it closes. */
  forgetConnection(conn: DnsTcpConnection): void {
    this.tcpConnections.delete(conn);
  }
}

/** One TCP client: messages framed by a 2-byte length (RFC 1035 §4.2.2), answered in order. */
class DnsTcpConnection {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly server: DnsServer, readonly socket: net.Socket) {
    this.onData = this.onData.bind(this);
    this.onClose = this.onClose.bind(this);
    this.onTimeout = this.onTimeout.bind(this);
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', ignoreClientError);
    socket.setTimeout(TCP_IDLE_MS, this.onTimeout);
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const reply = this.server.respond(buf.subarray(2, 2 + len), TCP_MAX);
      if (reply !== null && !this.socket.destroyed) {
        const framed = Buffer.allocUnsafe(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        this.socket.write(framed);
      }
      buf = buf.subarray(2 + len);
    }
    // Copy the tail so a small remainder does not pin a large chunk.
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  private onTimeout(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    this.server.forgetConnection(this);
  }
}

/** A client resetting its TCP connection is its business; 'close' follows and cleans up. */
function ignoreClientError(): void {}

function bindUdp(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

function listenTcp(server: net.Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, address, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
