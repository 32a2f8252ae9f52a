// The memory floor of an idle keep-alive connection on Node's libuv TCP handle, the base of nuncio's
// node engine: a bare server on the same raw accepted handles (workers/upstream/transport.ts) holds
// 10,000 connections, either never reading from them ("held") or after answering one request on each
// ("served"). Prints RSS, V8 heap and external growth per connection, to compare with scenario
// "connections" (nuncio's whole AUTO listener, and nginx).
// Run: node dist/bench/conn-memory-floor.js [--connections 10000]
import { spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bindShared } from '../workers/runtime/bind.js';
import { acceptRaw, type ServerTransport, type TransportHandler } from '../workers/upstream/transport.js';

const SELF = fileURLToPath(import.meta.url);
const argAt = process.argv.indexOf('--connections');
const N = argAt > 0 ? Number(process.argv[argAt + 1]) : 10_000;
const REPLY = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

/** The smallest per-connection handler: answers every read with a fixed response. */
class Answer implements TransportHandler {
  constructor(private readonly t: ServerTransport) {}
  onConnect(): void {}
  onData(): void {
    this.t.write(REPLY);
  }
  onEnd(): void {}
  onClose(): void {}
  onDrain(): void {}
}

interface Mem {
  rss: number;
  heap: number;
  external: number;
}

function mem(): Mem {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
}

/** Client side (a child process): opens n connections, each sends one request if asked, then idles. */
async function client(port: number, n: number, send: boolean): Promise<void> {
  let open = 0;
  let started = 0;
  const socks: net.Socket[] = [];
  await new Promise<void>((done) => {
    const next = (): void => {
      if (started >= n) return;
      started++;
      const s = net.connect(port, '127.0.0.1', () => {
        if (send) s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        if (++open === n) done();
        else next();
      });
      s.on('data', () => {});
      s.on('error', () => {});
      socks.push(s);
    };
    for (let k = 0; k < 64; k++) next();
  });
  process.stdout.write(`OPEN ${open}\n`);
  setInterval(() => {}, 1 << 30);
}

async function measure(served: boolean): Promise<string> {
  const bound = bindShared('127.0.0.1', 0);
  const held: ServerTransport[] = [];
  const acceptor = acceptRaw(
    bound.fd,
    (t) => {
      if (served) {
        t.setHandler(new Answer(t));
      }
      held.push(t);
    },
    () => {},
  );
  await new Promise((r) => setTimeout(r, 300));
  const before = mem();
  const child = spawn(process.execPath, [SELF, '--client', String(bound.port), String(N), served ? 'send' : 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => readline.createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('OPEN') && resolve()));
  await new Promise((r) => setTimeout(r, 500));
  const after = mem();
  const n = held.length;
  child.kill();
  for (const t of held) t.destroy();
  acceptor.close();
  bound.close();
  const per = (k: keyof Mem): number => (after[k] - before[k]) / n;
  return `| ${served ? 'served (one request answered on each)' : 'held (accepted, never read)'} | ${n} | ${(per('rss') / 1024).toFixed(2)} | ${per('heap').toFixed(0)} | ${per('external').toFixed(0)} |`;
}

/** Each measurement in a fresh process of its own, so one does not start from the other's heap. */
function inChild(mode: 'held' | 'served'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', SELF, '--measure', mode, '--connections', String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${mode}: exit ${code}`))));
  });
}

if (process.argv[2] === '--client') {
  await client(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] === 'send');
} else if (process.argv[2] === '--measure') {
  process.stdout.write(`${await measure(process.argv[3] === 'served')}\n`);
  process.exit(0);
} else {
  const rows = [await inChild('held'), await inChild('served')];
  process.stdout.write(`| raw TCPWrap connections | open | RSS KiB/conn | V8 heap B/conn | external B/conn |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`);
}
