// Pieces of the drain and reload tests: an upstream that answers after `?ms=` (and counts what it got),
// a two-listener bootstrap (HTTP1 on uWebSockets.js, AUTO on the node engine), a probe for a refused
// connection, a GET through a keep-alive agent that says whether its socket was reused, and an HTTP/2
// request that reports the session's GOAWAY.
import net from 'node:net';
import http from 'node:http';
import http2 from 'node:http2';
import { hcmListener } from './config.js';
import type { Reply } from './net.js';

export interface TestUpstream {
  readonly server: http.Server;
  /** Requests received so far (counted on arrival, before the answer). */
  received(): number;
  close(): void;
}

/** Answers `<tag> <url>` after `?ms=` milliseconds (default 0). */
export async function slowUpstream(port: number, tag = 'up'): Promise<TestUpstream> {
  let n = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const server = http.createServer((req, res) => {
    n++;
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    const t = setTimeout(() => {
      timers.delete(t);
      res.end(`${tag} ${req.url}`);
    }, ms);
    timers.add(t);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    server,
    received: () => n,
    close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      server.close();
    },
  };
}

/** One HCM listener routing `routes` (YAML flow list) with the given codec. */
export function routedListener(name: string, port: number, codec: 'HTTP1' | 'AUTO', routes: string): string {
  return `
${hcmListener(name, port)}
          codec_type: ${codec}
          stat_prefix: ${name}
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: ${routes} }]
          http_filters: [{ name: envoy.filters.http.router }]`;
}

export function staticCluster(name: string, port: number): string {
  return `
  - name: ${name}
    type: STATIC
    load_assignment: { cluster_name: ${name}, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }] }`;
}

/** Listeners `uws` (HTTP1) and `auto` (AUTO) sending everything to cluster `up`, plus the admin. */
export function twoListeners(ports: { uws: number; auto: number; admin: number; up: number }): string {
  const routes = '[{ match: { prefix: "/" }, route: { cluster: up } }]';
  return `
static_resources:
  listeners:${routedListener('uws', ports.uws, 'HTTP1', routes)}${routedListener('auto', ports.auto, 'AUTO', routes)}
  clusters:${staticCluster('up', ports.up)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
}

/** True when a TCP connection to the port is refused; false when it is accepted (it is closed again). */
export function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

/** GET through an agent; reports whether the request went out on a socket the agent reused. */
export function agentGet(url: string, agent: http.Agent): Promise<Reply & { reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

export interface H2Exchange {
  /** The response, or the error the stream or session ended with. */
  readonly result: Promise<{ status: number; body: string } | Error>;
  /** Resolves with the error code of a GOAWAY the server sent on this session. */
  readonly goaway: Promise<number>;
  readonly session: http2.ClientHttp2Session;
}

/** One request on a fresh HTTP/2 (prior knowledge) session; the session is closed when the stream ends. */
export function h2Exchange(port: number, p: string): H2Exchange {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const goaway = new Promise<number>((r) => session.once('goaway', (code: number) => r(code)));
  const result = new Promise<{ status: number; body: string } | Error>((resolve) => {
    session.on('error', (e) => resolve(e));
    const req = session.request({ ':path': p });
    let status = 0;
    let body = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: string) => (body += d));
    // A stream whose session went away ends without response headers: no response.
    req.on('end', () => resolve(status === 0 ? new Error('stream ended without a response') : { status, body }));
    req.on('error', (e) => resolve(e));
    req.on('close', () => {
      session.close();
      // A stream closed without 'end' or 'error' (e.g. RST_STREAM NO_ERROR) ended without a response.
      resolve(new Error(`stream closed (rst code ${req.rstCode})`));
    });
    req.end();
  });
  return { result, goaway, session };
}

/** Settles a promise into its value or its error (for requests that may legitimately fail). */
export function settle<T>(p: Promise<T>): Promise<T | Error> {
  return p.then(
    (v) => v,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
}
