// Peers and a request driver for the HTTP/2 upstream pool conformance tests: an nginx h2c server
// (temp config, started from the test), node:http2 servers, a scripted raw HTTP/2 server built on
// nuncio's own frame tools, and `Call`, an UpstreamCallbacks that records what the pool delivers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ResetReason, type FlatHeaders, type UpstreamCallbacks, type UpstreamStream } from '../../../core/http/contracts.js';
import { FrameReader, type FrameHandler } from '../../../core/http/h2/frame-reader.js';
import { FrameWriter } from '../../../core/http/h2/frame-writer.js';
import { HpackDecoder } from '../../../core/http/h2/hpack-decoder.js';
import { HpackEncoder, fieldBound } from '../../../core/http/h2/hpack-encoder.js';
import { CLIENT_PREFACE, FrameType, Flag, type H2Error } from '../../../core/http/h2/constants.js';

// ---------------------------------------------------------------------------------------- Call

export interface CallOptions {
  method?: string;
  path: string;
  authority?: string;
  headers?: FlatHeaders;
  body?: Buffer;
  /** Send the body with unknown length (no content-length). */
  streamed?: boolean;
}

/** One request through a pool; `done` settles when the pool has finished with it. */
export class Call implements UpstreamCallbacks {
  readonly upstreamMethod: string;
  readonly upstreamPath: string;
  readonly upstreamAuthority: string;
  readonly upstreamScheme = 'http';
  readonly upstreamHeaders: FlatHeaders;
  readonly requestContentLength: number;
  readonly requestComplete: boolean;
  status = 0;
  headers: FlatHeaders = [];
  contentLength = -1;
  readonly chunks: Buffer[] = [];
  received = 0;
  trailers: FlatHeaders | null = null;
  error: ResetReason | null = null;
  transport = '';
  stream: UpstreamStream | null = null;
  ended = false;
  /** Called on each data chunk (tests pause/resume from here). */
  onChunk: ((c: Call) => void) | null = null;
  readonly done: Promise<Call>;
  private resolve!: (c: Call) => void;
  private readonly body: Buffer | null;
  private sent = 0;
  writableCalls = 0;
  falseWrites = 0;

  constructor(o: CallOptions) {
    this.upstreamMethod = o.method ?? (o.body ? 'POST' : 'GET');
    this.upstreamPath = o.path;
    this.upstreamAuthority = o.authority ?? 'localhost';
    this.upstreamHeaders = o.headers ?? ['user-agent', 'nuncio-test'];
    this.body = o.body ?? null;
    this.requestContentLength = this.body === null ? 0 : o.streamed ? -1 : this.body.length;
    this.requestComplete = this.body === null;
    this.done = new Promise((r) => (this.resolve = r));
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString();
  }

  header(name: string): string | undefined {
    for (let i = 0; i < this.headers.length; i += 2) if (this.headers[i] === name) return this.headers[i + 1];
    return undefined;
  }

  onUpstreamStream(s: UpstreamStream): void {
    this.stream = s;
    this.pump();
  }

  private pump(): void {
    const b = this.body;
    if (b === null || this.stream === null) return;
    const step = 65536;
    while (this.sent < b.length) {
      const n = Math.min(step, b.length - this.sent);
      const chunk = b.subarray(this.sent, this.sent + n);
      this.sent += n;
      const ok = this.stream.write(chunk, this.sent === b.length);
      if (!ok) {
        this.falseWrites++;
        return;
      }
    }
    if (b.length === 0 && this.sent === 0) {
      this.sent = -1;
      this.stream.write(Buffer.alloc(0), true);
    }
  }

  onUpstreamWritable(): void {
    this.writableCalls++;
    this.pump();
  }

  onUpstreamHeaders(status: number, headers: FlatHeaders, contentLength: number, endStream: boolean): void {
    this.status = status;
    this.headers = headers;
    this.contentLength = contentLength;
    if (endStream) this.finish();
  }

  onUpstreamData(chunk: Uint8Array, endStream: boolean): void {
    this.chunks.push(Buffer.from(chunk));
    this.received += chunk.length;
    this.onChunk?.(this);
    if (endStream) this.finish();
  }

  onUpstreamTrailers(trailers: FlatHeaders): void {
    this.trailers = trailers;
    this.finish();
  }

  onUpstreamError(reason: ResetReason, transport: string): void {
    this.error = reason;
    this.transport = transport;
    this.finish();
  }

  private finish(): void {
    if (this.ended) throw new Error(`second completion for ${this.upstreamPath}`);
    this.ended = true;
    this.resolve(this);
  }
}

export const REASON = ['ConnectionFailure', 'ConnectionTimeout', 'ConnectionTermination', 'LocalReset', 'RemoteReset', 'Overflow', 'ProtocolError', 'RemoteRefusedStream'];

export function describeCall(c: Call): string {
  return c.error !== null ? `error ${REASON[c.error]}${c.transport ? ` (${c.transport})` : ''}` : `${c.status} ${c.received} bytes`;
}

// ---------------------------------------------------------------------------------------- nginx

export function nginxBinary(): string | null {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) if (fs.existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

export interface Nginx {
  readonly dir: string;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground (no master process) with `httpBlock` inside `http {}`. */
export async function startNginx(bin: string, httpBlock: (dir: string) => string, ports: number[]): Promise<Nginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-h2-nginx-'));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${path.join(dir, k)};`).join('\n');
  const conf = `worker_processes 1;
daemon off;
master_process off;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
${temp}
${httpBlock(dir)}
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const proc: ChildProcess = spawn(bin, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  for (const port of ports) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await canConnect(port)) break;
      if (proc.exitCode !== null || Date.now() > deadline) {
        let log = '';
        try {
          log = fs.readFileSync(path.join(dir, 'error.log'), 'utf8');
        } catch {
          // no log
        }
        await stop();
        throw new Error(`nginx did not start on ${port}: ${out}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { dir, stop };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------- raw server

/** What a scripted server saw from the client. */
export type Seen =
  | { t: 'headers'; stream: number; end: boolean; fields: string[] }
  | { t: 'data'; stream: number; bytes: number; end: boolean }
  | { t: 'frame'; type: number; flags: number; stream: number; payload: Buffer };

/** One client connection to a scripted server: reads the client's frames, writes raw frames. */
export class RawPeer implements FrameHandler {
  readonly seen: Seen[] = [];
  private preface = Buffer.alloc(0);
  private started = false;
  private readonly reader = new FrameReader(this, 1 << 24, 1 << 20);
  private readonly dec = new HpackDecoder();
  readonly enc = new HpackEncoder(false);
  private dataBytes = 0;
  private waiters: (() => void)[] = [];
  error: string | null = null;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onBytes(d));
    socket.on('error', () => {});
  }

  private onBytes(d: Buffer): void {
    if (!this.started) {
      this.preface = Buffer.concat([this.preface, d]);
      if (this.preface.length < CLIENT_PREFACE.length) return;
      if (!this.preface.subarray(0, CLIENT_PREFACE.length).equals(CLIENT_PREFACE)) {
        this.error = 'bad preface';
        return;
      }
      this.started = true;
      d = this.preface.subarray(CLIENT_PREFACE.length);
    }
    this.reader.push(d);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `pred` holds over what was seen. */
  async until(pred: (seen: Seen[]) => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred(this.seen)) {
      if (Date.now() > end) throw new Error(`condition not met; seen: ${JSON.stringify(this.seen.map((s) => (s.t === 'frame' ? { ...s, payload: s.payload.toString('hex') } : s)))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  onData(stream: number, chunk: Buffer, flow: number, last: boolean, end: boolean): void {
    if (flow >= 0) this.dataBytes = 0;
    this.dataBytes += chunk.length;
    if (last) this.seen.push({ t: 'data', stream, bytes: this.dataBytes, end });
  }
  onHeaderBlock(type: FrameType, stream: number, end: boolean, _p: number, block: Buffer, s: number, e: number): void {
    const out: string[] = [];
    this.dec.decode(block, s, e, out);
    if (type === FrameType.HEADERS) this.seen.push({ t: 'headers', stream, end, fields: [...this.dec.pseudo.slice(0, this.dec.pseudoLength), ...out] });
  }
  onFrame(type: number, flags: number, stream: number, payload: Buffer, s: number, e: number): void {
    this.seen.push({ t: 'frame', type, flags, stream, payload: Buffer.from(payload.subarray(s, e)) });
  }
  onFrameError(code: H2Error, detail: string): void {
    this.error = `client sent a bad frame: ${code} ${detail}`;
  }

  // Writing.
  private readonly w = new FrameWriter();
  flush(): void {
    const o = this.w.take();
    if (o !== null) for (const p of Array.isArray(o) ? o : [o]) this.socket.write(p);
  }
  settings(pairs: number[] = []): this {
    this.w.settings(pairs);
    return this;
  }
  settingsAck(): this {
    this.w.settingsAck();
    return this;
  }
  headers(stream: number, fields: string[], end: boolean): this {
    let bound = 0;
    for (let i = 0; i < fields.length; i += 2) bound += fieldBound(fields[i], fields[i + 1]);
    const b = this.w.beginHeaders(bound);
    let p = this.w.pos;
    for (let i = 0; i < fields.length; i += 2) p = this.enc.encodeField(b, p, fields[i], fields[i + 1]);
    this.w.endHeaders(stream, p, end, 16384);
    return this;
  }
  data(stream: number, body: Buffer | string, end: boolean): this {
    const b = typeof body === 'string' ? Buffer.from(body) : body;
    for (let off = 0; off < b.length || (off === 0 && b.length === 0); off += 16384) {
      const n = Math.min(16384, b.length - off);
      this.w.data(stream, b, off, off + n, end && off + n >= b.length);
      if (b.length === 0) break;
    }
    return this;
  }
  rst(stream: number, code: number): this {
    this.w.rstStream(stream, code);
    return this;
  }
  goaway(last: number, code: number): this {
    this.w.goaway(last, code);
    return this;
  }
  windowUpdate(stream: number, inc: number): this {
    this.w.windowUpdate(stream, inc);
    return this;
  }
  pushPromise(stream: number, promised: number, fields: string[]): this {
    let bound = 4;
    for (let i = 0; i < fields.length; i += 2) bound += fieldBound(fields[i], fields[i + 1]);
    const block = Buffer.alloc(bound);
    block.writeUInt32BE(promised, 0);
    let p = 4;
    for (let i = 0; i < fields.length; i += 2) p = this.enc.encodeField(block, p, fields[i], fields[i + 1]);
    const h = Buffer.alloc(9);
    h.writeUIntBE(p, 0, 3);
    h[3] = FrameType.PUSH_PROMISE;
    h[4] = Flag.END_HEADERS;
    h.writeUInt32BE(stream, 5);
    this.flush();
    this.socket.write(Buffer.concat([h, block.subarray(0, p)]));
    return this;
  }
  raw(b: Buffer): this {
    this.flush();
    this.socket.write(b);
    return this;
  }
}

/** A TCP server whose connections are handed to `onPeer` as RawPeers. */
export async function rawServer(onPeer: (p: RawPeer) => void): Promise<{ port: number; peers: RawPeer[]; close(): Promise<void> }> {
  const peers: RawPeer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    const p = new RawPeer(s);
    peers.push(p);
    onPeer(p);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    peers,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
