// Client of scenario "connections": opens N keep-alive connections to a proxy, makes one request on
// each and leaves them idle; over stdin, "again" re-uses every open one and "close" ends.
// Usage: idle-conns-main.js '<json {host, port, path, count, parallel}>'
import net from 'node:net';
import readline from 'node:readline';
import { H1ResponseReader, requestHead, type ResponseSink } from './h1-response.js';

interface Config {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly count: number;
  readonly parallel: number;
}

const c = JSON.parse(process.argv[2]) as Config;
const head = requestHead(c.host, c.port, c.path);

class IdleConn implements ResponseSink {
  socket: net.Socket | null = null;
  open = false;
  private reader = new H1ResponseReader();
  private pending: ((ok: boolean) => void) | null = null;

  connect(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect({ host: c.host, port: c.port, noDelay: true });
      this.socket = s;
      s.once('connect', () => {
        this.open = true;
        resolve(true);
      });
      s.on('error', () => this.finish(false));
      s.on('close', () => {
        const was = this.open;
        this.open = false;
        if (!was) resolve(false);
        this.finish(false);
      });
      s.on('data', (d: Buffer) => this.reader.feed(d, this));
    });
  }

  request(): Promise<boolean> {
    if (!this.open || this.socket === null) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.pending = resolve;
      this.socket!.write(head);
    });
  }

  onResponse(status: number): void {
    this.finish(status >= 200 && status < 400);
  }

  private finish(ok: boolean): void {
    const p = this.pending;
    this.pending = null;
    p?.(ok);
  }
}

const conns: IdleConn[] = [];

/** Runs `fn` over 0..n-1 with at most `parallel` in flight. */
async function inWaves(n: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(c.parallel, n) }, lane));
}

async function openAll(): Promise<void> {
  const t0 = performance.now();
  let connectFailed = 0;
  // Connect everything first (cheap for the proxy), then one request per connection: opening is
  // over in a few seconds, well inside the uWebSockets.js engine's fixed 10 s idle timeout.
  await inWaves(c.count, async () => {
    const conn = new IdleConn();
    if (await conn.connect()) conns.push(conn);
    else connectFailed++;
  });
  const connectedMs = performance.now() - t0;
  let failed = 0;
  await inWaves(conns.length, async (i) => {
    if (!(await conns[i].request()) && conns[i].open) failed++;
  });
  const ready = {
    connected: conns.length,
    connectFailed,
    failed,
    open: conns.filter((x) => x.open).length,
    connectedMs: Math.round(connectedMs),
    readyMs: Math.round(performance.now() - t0),
  };
  process.stdout.write(`IDLE_READY ${JSON.stringify(ready)}\n`);
}

async function again(): Promise<void> {
  let ok = 0;
  let failed = 0;
  let closed = 0;
  await inWaves(conns.length, async (i) => {
    const x = conns[i];
    if (!x.open) closed++;
    else if (await x.request()) ok++;
    else if (x.open) failed++;
    else closed++;
  });
  process.stdout.write(`IDLE_AGAIN ${JSON.stringify({ ok, failed, closed })}\n`);
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'again') void again();
  else if (cmd === 'close') {
    for (const x of conns) x.socket?.destroy();
    process.stdout.write('IDLE_CLOSED\n');
    process.exit(0);
  }
});
rl.on('close', () => process.exit(0));
void openAll();
