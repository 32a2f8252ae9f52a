// nuncio under test: a generated bootstrap with one listener (codec HTTP1 = the uWebSockets.js
// engine, AUTO/HTTP2 = the node engine; on Bun every listener is Bun.serve) routing everything to one
// STATIC cluster (HTTP/1.1, or HTTP/2 with `http2_protocol_options: {}`), everything else at Envoy's
// defaults. Readiness is the admin `/ready`; per-worker counters come from the admin `/stats` in
// Envoy's formats.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GiveUp, freePort, httpGet, until } from '../lib/net.js';
import { runQuiet, startProc } from '../lib/spawn.js';
import type { Peer, PeerStartOptions, RunningPeer } from './peer.js';
import { checkPeer } from './nginx.js';
import { findRuntime } from '../../workers/runtime/launch.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const NUNCIO_CLI = path.join(ROOT, 'dist/workers/cli.js');

export type NuncioCodec = 'HTTP1' | 'AUTO' | 'HTTP2';

export function nuncioVersion(): string | null {
  if (!fs.existsSync(NUNCIO_CLI)) return null;
  const m = /version: (\S+)/.exec(runQuiet(process.execPath, [NUNCIO_CLI, '--version']).out);
  return m ? m[1] : 'unknown';
}

export function nuncioConfig(o: PeerStartOptions, codec: NuncioCodec, adminPort: number): string {
  const u = o.upstreamAddress;
  const upstreamPort = o.upstream === 'h2' ? u.h2Port : u.h1Port;
  return `# nuncio for the bench (bench/peers/nuncio.ts): codec ${codec}, upstream ${o.upstream}.
static_resources:
  listeners:
  - name: bench
    address:
      socket_address: { address: 127.0.0.1, port_value: ${o.port} }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: ${codec}
          stat_prefix: bench
          route_config:
            name: bench
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route: { cluster: upstream }
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: upstream
    connect_timeout: 1s
    type: STATIC
${o.upstream === 'h2' ? '    http2_protocol_options: {}\n' : ''}    load_assignment:
      cluster_name: upstream
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: ${u.host}, port_value: ${upstreamPort} }
admin:
  address:
    socket_address: { address: 127.0.0.1, port_value: ${adminPort} }
`;
}

/** The Bun binary nuncio would run on (`nuncio --runtime bun`), or null. */
export function bunBinary(): string | null {
  return findRuntime('bun').path;
}

export function bunVersion(): string | null {
  const b = bunBinary();
  return b === null ? null : runQuiet(b, ['--version']).out.trim() || 'unknown';
}

/** nuncio with one listener of `codec`, on Node.js or (`runtime` bun) on Bun: `bun dist/workers/cli.js`. */
export function nuncioPeer(codec: NuncioCodec, runtime: 'node' | 'bun' = 'node'): Peer {
  return {
    name: 'nuncio',
    missing: () => {
      if (!fs.existsSync(NUNCIO_CLI)) return `${NUNCIO_CLI} not built (run make build)`;
      if (runtime === 'bun' && bunBinary() === null) return 'no bun binary (npm package bun, or bun on PATH)';
      return null;
    },
    // The uWebSockets.js engine (HTTP1) has no HTTP/2; AUTO and HTTP2 run on the node engine.
    supports: (d) => codec !== 'HTTP1' || d === 'h1',
    async start(o: PeerStartOptions): Promise<RunningPeer> {
      fs.mkdirSync(o.dir, { recursive: true });
      const adminPort = await freePort();
      const cfg = path.join(o.dir, 'nuncio.yaml');
      fs.writeFileSync(cfg, nuncioConfig(o, codec, adminPort));
      const cmd = runtime === 'bun' ? bunBinary()! : process.execPath;
      const proc = startProc('nuncio', cmd, [NUNCIO_CLI, '-c', cfg, '--concurrency', String(o.workers), '-l', 'warning', '--drain-time-s', '2'], {
        cpus: o.cpus,
        logDir: o.dir,
      });
      try {
        await until(
          async () => {
            if (!proc.alive()) throw new GiveUp(`nuncio ${proc.exitDescription()}`);
            return (await httpGet(`http://127.0.0.1:${adminPort}/ready`, 1000)).status === 200;
          },
          30_000,
          'nuncio /ready',
        );
        await checkPeer(o.port, o.downstream, 'nuncio', proc);
      } catch (e) {
        await proc.stop();
        throw new Error(`${(e as Error).message}\n${proc.output().slice(-4000)}`);
      }
      return { proc, port: o.port, adminPort, stop: () => proc.stop(15_000) };
    },
  };
}

/**
 * Counters from nuncio's admin `/stats` whose names match `filter` (an RE2 regex): Envoy's JSON
 * format first (`{"stats":[{"name","value"}]}`), then the text format (`name: value`). Returns null
 * when the endpoint answers with neither (an admin module still being written, say).
 */
export async function nuncioStats(adminPort: number, filter: string): Promise<Map<string, number> | null> {
  const q = encodeURIComponent(filter);
  try {
    const r = await httpGet(`http://127.0.0.1:${adminPort}/stats?format=json&filter=${q}`);
    if (r.status === 200) {
      const j = JSON.parse(r.body) as { stats?: { name?: string; value?: unknown }[] };
      if (Array.isArray(j.stats)) {
        const m = new Map<string, number>();
        for (const s of j.stats) if (typeof s.name === 'string' && typeof s.value === 'number') m.set(s.name, s.value);
        return m;
      }
    }
  } catch {
    // not JSON: try the text format
  }
  try {
    const r = await httpGet(`http://127.0.0.1:${adminPort}/stats?filter=${q}`);
    if (r.status !== 200) return null;
    const m = new Map<string, number>();
    for (const line of r.body.split('\n')) {
      const x = /^([\w.:-]+): (\d+)$/.exec(line.trim());
      if (x !== null) m.set(x[1], Number(x[2]));
    }
    return m.size > 0 ? m : null;
  } catch {
    return null;
  }
}
