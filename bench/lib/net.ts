// Loopback helpers for the bench: free ports, a one-shot HTTP/1.1 GET and an HTTP/2 (h2c) GET used
// to check that a peer answers before it is measured, and polling until a condition holds.
import net from 'node:net';
import http from 'node:http';
import http2 from 'node:http2';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface Reply {
  readonly status: number;
  readonly body: string;
}

export function httpGet(url: string, timeoutMs = 3000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

export function h2Get(origin: string, path: string, timeoutMs = 3000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(origin);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`timeout: ${origin}${path}`));
    }, timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(t);
      s.destroy();
      reject(e);
    };
    s.on('error', fail);
    const req = s.request({ ':path': path });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      clearTimeout(t);
      s.close();
      resolve({ status, body });
    });
    req.on('error', fail);
    req.end();
  });
}

/** Thrown inside an `until` condition to stop waiting at once (the process being waited for died). */
export class GiveUp extends Error {}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true; throws with the last error after `ms`. */
export async function until(fn: () => Promise<boolean> | boolean, ms: number, what: string, every = 50): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      if (await fn()) return;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms${last ? ` (${String(last)})` : ''}`);
    await sleep(every);
  }
}
