// Shared pieces of the hostile-input tests: an HCM listener block, a recording upstream, admin stats,
// and a raw TCP exchange that reports whether the server closed the connection.
import net from 'node:net';
import http from 'node:http';
import { get } from './net.js';

export function listener(name: string, port: number, codec: 'AUTO' | 'HTTP1' | 'HTTP2', hcmExtra = '', routes?: string): string {
  const r =
    routes ??
    `
              - match: { prefix: "/direct" }
                direct_response: { status: 200, body: { inline_string: direct } }
              - match: { prefix: "/" }
                route: { cluster: up }`;
  return `
  - name: ${name}
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: ${codec}
          stat_prefix: ${name}${hcmExtra ? '\n          ' + hcmExtra.trim().split('\n').join('\n          ') : ''}
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:${r}
          http_filters: [{ name: envoy.filters.http.router }]`;
}

export function cluster(name: string, port: number, h2 = false): string {
  return `
  - name: ${name}
    connect_timeout: 1s
    type: STATIC
    ${h2 ? 'http2_protocol_options: {}' : ''}
    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]`;
}

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** An HTTP/1.1 upstream that records every request it sees and answers with what it saw. */
export function recordingUpstream(seen: Seen[]): http.Server {
  return http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url, headers: req.headers, received: n }));
    });
  });
}

export async function stats(adminPort: number): Promise<Map<string, number>> {
  const r = await get(`http://127.0.0.1:${adminPort}/stats`);
  const m = new Map<string, number>();
  for (const line of r.body.split('\n')) {
    const i = line.lastIndexOf(': ');
    if (i > 0 && /^-?\d+(\.\d+)?$/.test(line.slice(i + 2))) m.set(line.slice(0, i), Number(line.slice(i + 2)));
  }
  return m;
}

export async function stat(adminPort: number, name: string): Promise<number> {
  return (await stats(adminPort)).get(name) ?? 0;
}

export interface RawResult {
  /** Everything the server sent, latin1. */
  data: string;
  /** The server closed (or reset) the connection before `ms` passed. */
  closed: boolean;
  ms: number;
}

/**
 * Writes `parts` (with `gapMs` between them), optionally half-closes, and collects what comes back until
 * the server closes or `ms` passes.
 */
export function rawExchange(port: number, parts: (string | Buffer)[], opts: { ms?: number; gapMs?: number; end?: boolean } = {}): Promise<RawResult> {
  const ms = opts.ms ?? 3000;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data, closed, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), ms);
    s.on('connect', async () => {
      for (let i = 0; i < parts.length; i++) {
        if (i > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        if (s.destroyed) return;
        s.write(parts[i]);
      }
      if (opts.end) s.end();
    });
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('close', () => finish(true));
    s.on('error', () => {});
  });
}

export interface ParsedResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Parses one HTTP/1.1 response with a content-length (or no body) from the start of `data`. */
export function parseResponse(data: string): ParsedResponse | null {
  const m = /^HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n/.exec(data);
  if (!m) return null;
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const headers = new Map<string, string>();
  for (const line of data.slice(m[0].length, end).split('\r\n')) {
    if (line === '') continue;
    const c = line.indexOf(':');
    headers.set(line.slice(0, c).toLowerCase(), line.slice(c + 1).trim());
  }
  const cl = Number(headers.get('content-length') ?? 0);
  return { status: Number(m[1]), headers, body: data.slice(end + 4, end + 4 + cl) };
}
