// One piscina worker of the open-loop generator: requests at a fixed rate over keep-alive connections
// (HTTP/1.1 or h2c on raw sockets, one in flight per connection), each latency recorded from the moment
// the request was due (coordinated omission corrected) and from the moment it was written.
import net from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { H1ResponseReader, requestHead, type ResponseSink } from './h1-response.js';
import { H2FrameReader, headersFrame, openingBytes, requestBlock, type H2Events } from './h2-client.js';

export interface OpenLoopTask {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly proto: 'h1' | 'h2';
  /** Requests per second this worker sends. */
  readonly rate: number;
  /** Requests due before warmupMs are sent but not recorded. */
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly connections: number;
  /** How long to wait for in-flight requests after the last one was due. */
  readonly drainMs: number;
  /** 'sleep': between sends, block in sub-millisecond waits (leaves the CPU to others); 'spin': poll. */
  readonly idle: 'sleep' | 'spin';
}

export interface OpenLoopPart {
  readonly sent: number;
  readonly completed: number;
  readonly recorded: number;
  readonly errors: { connect: number; read: number; write: number; timeout: number; status: number; other: number };
  /** Requests still queued at the end: due, but every connection was busy. */
  readonly unsent: number;
  readonly corrected: string;
  readonly uncorrected: string;
  readonly measuredMs: number;
}

const waitCell = new Int32Array(new SharedArrayBuffer(4));
/** Every connection reads into this one buffer (net's `onread`): no Buffer per read, no stream push. */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

function histogram(): hdr.Histogram {
  return hdr.build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000 });
}

interface Conn {
  busy: boolean;
  dead: boolean;
  intended: number;
  sentAt: number;
  send(intended: number): void;
  close(): void;
}

class Generator {
  readonly corrected = histogram();
  readonly uncorrected = histogram();
  readonly errors = { connect: 0, read: 0, write: 0, timeout: 0, status: 0, other: 0 };
  sent = 0;
  completed = 0;
  recorded = 0;
  private readonly conns: Conn[] = [];
  private readonly free: Conn[] = [];
  private queue: number[] = [];
  private qi = 0;
  private next = 0;
  private t0 = 0;
  private recordFrom = 0;
  private end = 0;
  private interval: number;
  private finished = false;
  private done!: () => void;
  private timer: NodeJS.Timeout | null = null;
  private readonly head: Buffer;
  private readonly tickBound = () => this.tick();

  constructor(readonly t: OpenLoopTask) {
    this.interval = 1000 / t.rate;
    this.head = requestHead(t.host, t.port, t.path);
  }

  async run(): Promise<OpenLoopPart> {
    for (let i = 0; i < this.t.connections; i++) this.conns.push(await this.open());
    this.free.push(...this.conns);
    return new Promise((resolve) => {
      this.done = () => {
        for (const c of this.conns) c.close();
        resolve({
          sent: this.sent,
          completed: this.completed,
          recorded: this.recorded,
          errors: this.errors,
          unsent: this.queue.length - this.qi,
          corrected: hdr.encodeIntoCompressedBase64(this.corrected),
          uncorrected: hdr.encodeIntoCompressedBase64(this.uncorrected),
          measuredMs: this.t.durationMs,
        });
      };
      this.t0 = performance.now();
      this.next = this.t0;
      this.recordFrom = this.t0 + this.t.warmupMs;
      this.end = this.recordFrom + this.t.durationMs;
      this.tick();
    });
  }

  private open(): Promise<Conn> {
    const c = this.t.proto === 'h1' ? new H1Conn(this) : new H2Conn(this);
    return c.ready.then(() => c);
  }

  /** A connection became free (or came back after a reconnect): give it the oldest due request. */
  release(c: Conn): void {
    if (this.finished) return;
    if (this.qi < this.queue.length) c.send(this.queue[this.qi++]);
    else this.free.push(c);
    this.maybeFinish();
  }

  complete(c: Conn, status: number): void {
    const now = performance.now();
    this.completed++;
    if (status < 200 || status >= 400) this.errors.status++;
    if (c.intended >= this.recordFrom && c.intended < this.end) {
      this.recorded++;
      this.corrected.recordValue(Math.max(1, Math.round((now - c.intended) * 1000)));
      this.uncorrected.recordValue(Math.max(1, Math.round((now - c.sentAt) * 1000)));
    }
    c.busy = false;
    this.release(c);
  }

  /** A connection died; its in-flight request (if any) failed. It reconnects unless the run is over. */
  lost(c: Conn, kind: 'read' | 'write' | 'connect'): void {
    if (c.busy) this.errors[kind]++;
    c.busy = false;
    c.dead = true;
    const fi = this.free.indexOf(c);
    if (fi >= 0) this.free.splice(fi, 1);
    const i = this.conns.indexOf(c);
    if (i >= 0) this.conns.splice(i, 1);
    if (this.finished || performance.now() >= this.end) {
      this.maybeFinish();
      return;
    }
    setTimeout(() => {
      if (this.finished) return;
      this.open().then(
        (n) => {
          this.conns.push(n);
          this.release(n);
        },
        () => {
          this.errors.connect++;
          this.lost(c, 'connect');
        },
      );
    }, 20);
  }

  private tick(): void {
    this.timer = null;
    if (this.finished) return;
    const now = performance.now();
    while (this.next <= now && this.next < this.end) {
      this.queue.push(this.next);
      this.next += this.interval;
    }
    while (this.qi < this.queue.length && this.free.length > 0) this.free.pop()!.send(this.queue[this.qi++]);
    if (this.qi > 8192) {
      this.queue = this.queue.slice(this.qi);
      this.qi = 0;
    }
    if (now >= this.end) {
      if (this.maybeFinish()) return;
      if (now >= this.end + this.t.drainMs) {
        this.finish();
        return;
      }
      this.timer = setTimeout(this.tickBound, 5);
      return;
    }
    const wait = this.next - performance.now();
    if (wait > 2) this.timer = setTimeout(this.tickBound, wait - 1.5);
    else {
      if (this.t.idle === 'sleep' && wait > 0.02) Atomics.wait(waitCell, 0, 0, Math.min(wait, 0.1));
      setImmediate(this.tickBound);
    }
  }

  private maybeFinish(): boolean {
    if (this.finished || performance.now() < this.end || this.qi < this.queue.length) return false;
    for (const c of this.conns) if (c.busy) return false;
    this.finish();
    return true;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const c of this.conns) if (c.busy) this.errors.timeout++;
    setImmediate(this.done);
  }

  requestHead(): Buffer {
    return this.head;
  }
}

class H1Conn implements Conn, ResponseSink {
  busy = false;
  dead = false;
  intended = 0;
  sentAt = 0;
  readonly ready: Promise<void>;
  private readonly socket: net.Socket;
  private readonly reader = new H1ResponseReader();

  constructor(private readonly g: Generator) {
    this.socket = net.connect({
      host: g.t.host,
      port: g.t.port,
      noDelay: true,
      onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) },
    });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.ready.then(
      () => {
        this.socket.on('error', () => this.die('read'));
        this.socket.on('close', () => this.die('read'));
      },
      () => {},
    );
  }

  send(intended: number): void {
    this.busy = true;
    this.intended = intended;
    this.sentAt = performance.now();
    this.g.sent++;
    this.socket.write(this.g.requestHead());
  }

  onResponse(status: number): void {
    this.g.complete(this, status);
  }

  private onRead(n: number, buf: Uint8Array): boolean {
    this.reader.feed((buf as Buffer).subarray(0, n), this);
    if (this.reader.broken !== null) {
      this.g.errors.other++;
      this.socket.destroy();
    }
    return true;
  }

  private die(kind: 'read'): void {
    if (this.dead) return;
    this.g.lost(this, kind);
  }

  close(): void {
    this.dead = true;
    this.socket.destroy();
  }
}

class H2Conn implements Conn, H2Events {
  busy = false;
  dead = false;
  intended = 0;
  sentAt = 0;
  readonly ready: Promise<void>;
  private readonly socket: net.Socket;
  private readonly reader = new H2FrameReader();
  private readonly block: Buffer;
  private stream = 1;

  constructor(private readonly g: Generator) {
    this.block = requestBlock(`${g.t.host}:${g.t.port}`, g.t.path);
    this.socket = net.connect({
      host: g.t.host,
      port: g.t.port,
      noDelay: true,
      onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) },
    });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => {
        this.socket.write(openingBytes());
        resolve();
      });
      this.socket.once('error', reject);
    });
    this.ready.then(
      () => {
        this.socket.on('error', () => this.die());
        this.socket.on('close', () => this.die());
      },
      () => {},
    );
  }

  send(intended: number): void {
    this.busy = true;
    this.intended = intended;
    this.sentAt = performance.now();
    this.g.sent++;
    this.stream += 2;
    this.socket.write(headersFrame(this.stream, this.block));
  }

  onResponse(stream: number, status: number): void {
    if (this.busy && stream === this.stream) this.g.complete(this, status);
  }

  onStreamError(stream: number): void {
    if (stream === 0) {
      this.socket.destroy();
      return;
    }
    if (!this.busy || stream !== this.stream) return;
    this.g.errors.read++;
    this.busy = false;
    this.g.release(this);
  }

  reply(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private onRead(n: number, buf: Uint8Array): boolean {
    this.reader.feed((buf as Buffer).subarray(0, n), this);
    return true;
  }

  private die(): void {
    if (this.dead) return;
    this.g.lost(this, 'read');
  }

  close(): void {
    this.dead = true;
    this.socket.destroy();
  }
}

export default function run(task: OpenLoopTask): Promise<OpenLoopPart> {
  return new Generator(task).run();
}
