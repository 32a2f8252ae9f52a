// Opens many keep-alive connections to one proxy and leaves them idle, for the memory-per-connection
// scenario. Each connection sends one GET and reads the answer (so the proxy has set up everything
// a served connection holds), at most `parallel` at a time so the proxy's upstream side stays small.
// Driven over stdin: "again" sends one more request on every open connection, "close" ends.
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
  let failed = 0;
  let badStatus = 0;
  await inWaves(c.count, async () => {
    const conn = new IdleConn();
    if (!(await conn.connect())) {
      failed++;
      return;
    }
    conns.push(conn);
    if (!(await conn.request())) badStatus++;
  });
  process.stdout.write(`IDLE_READY ${JSON.stringify({ opened: conns.filter((x) => x.open).length, failed, badStatus })}\n`);
}

async function again(): Promise<void> {
  let ok = 0;
  let bad = 0;
  await inWaves(conns.length, async (i) => {
    if (await conns[i].request()) ok++;
    else bad++;
  });
  process.stdout.write(`IDLE_AGAIN ${JSON.stringify({ open: conns.filter((x) => x.open).length, ok, bad })}\n`);
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
