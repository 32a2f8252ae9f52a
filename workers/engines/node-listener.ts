// A listener on the HTTP/2-capable engine: accepts on the socket the admin thread bound (shared by all
// workers), counts and limits connections, terminates TLS (SNI picks the filter chain, ALPN offers what
// the chain configures), and hands each connection to the HTTP/1.1 codec or to node:http2 — by codec
// type, ALPN, or for AUTO on cleartext by sniffing the HTTP/2 connection preface.
import net from 'node:net';
import tls from 'node:tls';
import type { SanMatchers } from '../tls/san.js';
import http2 from 'node:http2';
import type { HcmRuntime } from '../../core/http/hcm.js';
import { HCM, HCM_H, LISTENER, LISTENER_H, LISTENER_TLS_BASE, LISTENER_TLS_LIST } from '../../core/stats/defs.js';
import type { HistogramWriter } from '../../core/stats/histograms.js';
import type { Clock } from '../../core/http/contracts.js';
import { H1ServerConn } from './h1-server.js';
import { h2ServerOptions, handleH2Stream } from './h2-server.js';
import { H2SessionGuard } from './h2-session.js';
import { acceptRaw, adoptSocket, rawAvailable, type RawAcceptor, type ServerTransport, type TransportHandler } from '../upstream/transport.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** One filter chain as the listener runs it. */
export interface ChainRuntime {
  hcm: HcmRuntime;
  serverNames: readonly string[];
  secureContext: tls.SecureContext | null;
  /** The same material as options, for the server's default context (clients without SNI). */
  tlsOptions: tls.SecureContextOptions | null;
  alpn: readonly string[];
  /** Client certificate and SNI checks of the chain's DownstreamTlsContext; null: none. */
  peer: PeerPolicy | null;
}

/** What a chain asks of the client's certificate (Envoy's default validator) and of its SNI. */
export interface PeerPolicy {
  /** Ask the client for a certificate (validation context present). */
  readonly request: boolean;
  /** Refuse a client without one (require_client_certificate, or SAN matchers). */
  readonly require: boolean;
  /** A presented certificate must chain to trusted_ca. */
  readonly verifyChain: boolean;
  /** match_subject_alt_names: some SAN must match. */
  readonly san: SanMatchers | null;
  /** require_sni: refuse clients that send no server name. */
  readonly requireSni: boolean;
}

export const ADMIT = 0;
export const OVER_LISTENER_LIMIT = 1;
export const OVER_GLOBAL_LIMIT = 2;

export interface ConnectionGate {
  /** May another connection be accepted (runtime limits)? ADMIT, or which limit refused it. */
  admit(): number;
  release(): void;
}

let nextConnectionId = 1;

const NO_HANDLER: TransportHandler = {
  onConnect() {},
  onData() {},
  onEnd() {},
  onClose() {},
  onDrain() {},
};

function tlsStat(name: string): number {
  return LISTENER_TLS_BASE + LISTENER_TLS_LIST.findIndex(([n]) => n === name);
}

interface ChainState {
  h2: http2.Http2Server | null;
  sessions: Set<http2.ServerHttp2Session>;
}

/** AUTO without ALPN: holds the first bytes until the HTTP/2 preface is in or ruled out. */
class Sniffer implements TransportHandler {
  private buf: Buffer | null = null;

  constructor(
    private readonly t: ServerTransport,
    private readonly decide: (isH2: boolean, pending: Buffer) => void,
  ) {
    t.setHandler(this);
  }

  onConnect(): void {}
  onDrain(): void {}
  onClose(): void {}
  onEnd(): void {
    this.t.destroy();
  }

  onData(d: Buffer): void {
    const buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
    this.buf = buf;
    const n = Math.min(buf.length, PREFACE.length);
    const isH2 = buf.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isH2 && buf.length < PREFACE.length) return; // wait for the whole preface
    this.buf = null;
    this.decide(isH2, buf);
  }
}

export class NodeListener {
  /** TLS listeners, and cleartext ones where raw handles are unavailable. */
  private server: net.Server | null = null;
  /** Cleartext listeners on Node: connections accepted as raw TCP handles. */
  private acceptor: RawAcceptor | null = null;
  private readonly h1 = new Set<H1ServerConn>();
  private readonly state = new Map<ChainRuntime, ChainState>();
  private closed = false;
  readonly isTls: boolean;

  constructor(
    private chains: ChainRuntime[],
    /** This worker's row of the listener block. */
    private readonly stats: Float64Array,
    private readonly gate: ConnectionGate,
    private readonly localAddress: string,
    /** This worker's listener histograms (downstream_cx_length_ms) and the clock to time connections. */
    private readonly hist: HistogramWriter | null = null,
    private readonly clock: Clock | null = null,
  ) {
    this.isTls = chains.some((c) => c.secureContext !== null);
    if (this.isTls) {
      const needCert = chains.some((c) => c.peer?.request === true);
      const s = tls.createServer({
        SNICallback: (name, cb) => {
          const c = this.pickChain(name);
          cb(null, c?.secureContext ?? undefined);
        },
        ALPNCallback: ({ servername, protocols }) => {
          const c = this.pickChain(servername);
          if (c) for (const p of c.alpn) if (protocols.includes(p)) return p;
          // Envoy without a matching alpn_protocols entry acknowledges no protocol and the client falls
          // back to HTTP/1.1. Node's callback cannot "not acknowledge" (undefined is a fatal alert), so
          // HTTP/1.1 is selected explicitly when the client offers it.
          return protocols.includes('http/1.1') ? 'http/1.1' : undefined;
        },
        requestCert: needCert,
        rejectUnauthorized: false,
        // The default context (clients that send no SNI) is that of the chain without server_names, else the first.
        ...((chains.find((c) => c.serverNames.length === 0 && c.tlsOptions) ?? chains.find((c) => c.tlsOptions))?.tlsOptions ?? {}),
      });
      s.on('connection', (sock: net.Socket) => {
        sock.on('error', () => {});
        this.onTcp(null, sock);
      });
      s.on('secureConnection', (sock: tls.TLSSocket) => this.onSecure(sock));
      s.on('tlsClientError', (_e: Error, sock: tls.TLSSocket) => {
        this.stats[tlsStat('ssl.connection_error')]++;
        sock.destroy();
      });
      this.server = s;
    } else if (!rawAvailable()) {
      this.server = net.createServer((sock) => {
        const t = adoptSocket(NO_HANDLER, sock);
        if (this.onTcp(t, sock)) this.onPlain(t);
      });
    }
    this.server?.on('error', () => {});
  }

  /** Starts accepting on a socket bound by the admin thread (shared by every worker). */
  listenFd(fd: number): Promise<void> {
    const server = this.server;
    if (server === null) {
      this.acceptor = acceptRaw(
        fd,
        (t) => {
          if (this.onTcp(t)) this.onPlain(t);
        },
        () => {
          // A failed accept (EMFILE and the like): the connection never existed for us.
        },
      );
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** Replaces the chains after a reload; open connections keep the HCM they started with. */
  setChains(chains: ChainRuntime[]): void {
    this.chains = chains;
  }

  /** Stops accepting; with `drain`, in-flight requests finish and connections close after them. */
  close(drain: boolean): void {
    if (!this.closed) {
      this.closed = true;
      this.server?.close();
      this.acceptor?.close();
    }
    if (drain) {
      // In-flight HTTP/1.1 requests finish with `connection: close`; idle connections close now.
      for (const c of this.h1) c.drain();
      for (const st of this.state.values()) for (const s of st.sessions) s.close();
    }
  }

  /** Closes every connection now. */
  destroyAll(): void {
    for (const c of this.h1) c.destroy();
    for (const st of this.state.values()) for (const s of st.sessions) s.destroy();
  }

  get connections(): number {
    let n = this.h1.size;
    for (const st of this.state.values()) n += st.sessions.size;
    return n;
  }

  private pickChain(serverName: string | undefined | false): ChainRuntime | null {
    const chains = this.chains;
    if (serverName) {
      const name = serverName.toLowerCase();
      for (const c of chains) if (c.serverNames.includes(name)) return c;
      // Wildcards: longest suffix first, as Envoy's server_names matching.
      let best: ChainRuntime | null = null;
      let bestLen = -1;
      for (const c of chains) {
        for (const n of c.serverNames) {
          if (n.startsWith('*.') && name.endsWith(n.slice(1)) && n.length > bestLen) {
            best = c;
            bestLen = n.length;
          }
        }
      }
      if (best) return best;
    }
    for (const c of chains) if (c.serverNames.length === 0) return c;
    return null;
  }

  /** Accounting and limits at accept time; false if the connection was refused. */
  private onTcp(t: ServerTransport | null, sock?: net.Socket): boolean {
    const st = this.stats;
    st[LISTENER.downstream_cx_total]++;
    const verdict = this.closed ? OVER_LISTENER_LIMIT : this.gate.admit();
    if (verdict !== ADMIT) {
      st[verdict === OVER_GLOBAL_LIMIT ? LISTENER.downstream_global_cx_overflow : LISTENER.downstream_cx_overflow]++;
      if (sock) sock.destroy();
      else t!.destroy();
      return false;
    }
    st[LISTENER.downstream_cx_active]++;
    const clock = this.clock;
    const start = clock !== null ? clock.now() : 0;
    const done = (): void => {
      st[LISTENER.downstream_cx_active]--;
      st[LISTENER.downstream_cx_destroy]++;
      if (clock !== null && this.hist !== null) this.hist.record(LISTENER_H.downstream_cx_length_ms, clock.now() - start);
      this.gate.release();
    };
    if (sock) sock.once('close', done);
    else t!.onceClosed(done);
    return true;
  }

  private onPlain(t: ServerTransport): void {
    const chain = this.pickChain(undefined);
    if (chain === null) {
      this.stats[LISTENER.no_filter_chain_match]++;
      t.destroy();
      return;
    }
    const codec = chain.hcm.cfg.codec;
    if (codec === 'HTTP1') this.startH1(chain, t);
    else if (codec === 'HTTP2') this.startH2(chain, t.toSocket(null));
    else this.sniff(chain, t);
  }

  private onSecure(sock: tls.TLSSocket): void {
    if (sock.destroyed) return;
    this.stats[tlsStat('ssl.handshake')]++;
    const v = sock.getProtocol();
    const vi = v ? tlsStat(`ssl.versions.${v}`) : -1;
    if (vi >= LISTENER_TLS_BASE) this.stats[vi]++;
    const chain = this.pickChain((sock as tls.TLSSocket & { servername?: string }).servername);
    if (chain === null) {
      this.stats[LISTENER.no_filter_chain_match]++;
      sock.destroy();
      return;
    }
    if (chain.peer !== null && !this.peerAccepted(chain.peer, sock)) {
      sock.destroy();
      return;
    }
    const codec = chain.hcm.cfg.codec;
    const alpn = sock.alpnProtocol;
    if (codec === 'HTTP1' || (codec !== 'HTTP2' && alpn === 'http/1.1')) this.startH1(chain, adoptSocket(NO_HANDLER, sock));
    else if (codec === 'HTTP2' || alpn === 'h2') this.startH2(chain, sock);
    else this.sniff(chain, adoptSocket(NO_HANDLER, sock));
  }

  /**
   * The chain's certificate checks, after the handshake (the server requests certificates for every chain
   * and rejects none itself, so each chain applies its own policy here).
   */
  private peerAccepted(p: PeerPolicy, sock: tls.TLSSocket): boolean {
    if (p.requireSni && !(sock as tls.TLSSocket & { servername?: string | false }).servername) return false;
    if (!p.request) return true;
    const cert = sock.getPeerCertificate();
    if (!cert || Object.keys(cert).length === 0) {
      if (!p.require) return true;
      this.stats[tlsStat('ssl.fail_verify_no_cert')]++;
      return false;
    }
    if (p.verifyChain && !sock.authorized) {
      this.stats[tlsStat('ssl.fail_verify_error')]++;
      return false;
    }
    if (p.san !== null && !p.san.matches(cert.subjectaltname)) {
      this.stats[tlsStat('ssl.fail_verify_san')]++;
      return false;
    }
    return true;
  }

  /** AUTO without ALPN: the HTTP/2 preface decides. */
  private sniff(chain: ChainRuntime, t: ServerTransport): void {
    new Sniffer(t, (isH2, pending) => {
      if (isH2) this.startH2(chain, t.toSocket(pending));
      else this.startH1(chain, t).onData(pending);
    });
  }

  private countCx(hcm: HcmRuntime, onClose: (fn: () => void) => void, h2: boolean): void {
    const s = hcm.stats;
    s[HCM.downstream_cx_total]++;
    s[HCM.downstream_cx_active]++;
    s[h2 ? HCM.downstream_cx_http2_total : HCM.downstream_cx_http1_total]++;
    s[h2 ? HCM.downstream_cx_http2_active : HCM.downstream_cx_http1_active]++;
    if (this.isTls) {
      s[HCM.downstream_cx_ssl_total]++;
      s[HCM.downstream_cx_ssl_active]++;
    }
    const start = hcm.services.clock.now();
    onClose(() => {
      s[HCM.downstream_cx_active]--;
      s[h2 ? HCM.downstream_cx_http2_active : HCM.downstream_cx_http1_active]--;
      if (this.isTls) s[HCM.downstream_cx_ssl_active]--;
      s[HCM.downstream_cx_destroy]++;
      hcm.hist.record(HCM_H.downstream_cx_length_ms, hcm.services.clock.now() - start);
    });
  }

  private startH1(chain: ChainRuntime, t: ServerTransport): H1ServerConn {
    const hcm = chain.hcm;
    this.countCx(hcm, (fn) => t.onceClosed(fn), false);
    const conn = new H1ServerConn(hcm, t, t.remoteAddress, this.localAddress, nextConnectionId++, (c) => this.h1.delete(c));
    this.h1.add(conn);
    return conn;
  }

  private startH2(chain: ChainRuntime, sock: net.Socket): void {
    let st = this.state.get(chain);
    if (!st) {
      st = { h2: null, sessions: new Set() };
      this.state.set(chain, st);
    }
    if (st.h2 === null) {
      const srv = http2.createServer(h2ServerOptions(chain.hcm));
      const state = st;
      srv.on('session', (session: http2.ServerHttp2Session) => {
        state.sessions.add(session);
        session.on('close', () => state.sessions.delete(session));
        session.on('error', () => {});
        new H2SessionGuard(chain.hcm, session);
        const s = session.socket;
        const remote = `${s?.remoteAddress}:${s?.remotePort}`;
        const id = nextConnectionId++;
        session.on('stream', (stream, headers, flags) => handleH2Stream(chain.hcm, stream, headers, flags, remote, this.localAddress, id));
      });
      st.h2 = srv;
    }
    this.countCx(chain.hcm, (fn) => sock.once('close', fn), true);
    st.h2.emit('connection', sock);
  }
}
