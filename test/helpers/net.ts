// Test helpers: free loopback ports, small HTTP/1.1 and HTTP/2 clients that return status, headers
// and body, and raw TCP exchanges for bytes a client library would refuse to send.
import net from 'node:net';
import http from 'node:http';
import http2 from 'node:http2';

/** Ports this process handed out: the kernel may give a just-closed port 0 again, and a test asks for several. */
const handedOut = new Set<number>();

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const p = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, host, () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    if (!handedOut.has(p) || attempt >= 20) {
      handedOut.add(p);
      return p;
    }
  }
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function get(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent | false } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export function h2get(origin: string, path: string, headers: Record<string, string> = {}, session?: http2.ClientHttp2Session): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = session ?? http2.connect(origin);
    s.on('error', reject);
    const req = s.request({ ':path': path, ...headers });
    let out: Reply = { status: 0, headers: {}, body: '' };
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      out = { status: Number(h[':status']), headers: h as Reply['headers'], body: '' };
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      out.body = Buffer.concat(chunks).toString('utf8');
      if (!session) s.close();
      resolve(out);
    });
    req.on('error', (e) => {
      if (!session) s.close();
      reject(e);
    });
    req.end();
  });
}

/** Sends raw bytes and collects everything the server sends until it closes or `ms` passes. */
export function raw(port: number, data: string | Buffer, ms = 1000, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    let out = '';
    const done = () => {
      s.destroy();
      resolve(out);
    };
    const t = setTimeout(done, ms);
    s.on('connect', () => s.write(data));
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.on('error', () => {});
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or `ms` passes. */
export async function until<T>(fn: () => Promise<T> | T, ms = 10_000, every = 50): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(every);
  }
}
