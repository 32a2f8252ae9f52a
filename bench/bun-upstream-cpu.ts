// Which upstream client nuncio on Bun should use, per protocol: CPU per proxied request with each one.
// HTTP/1.1 client -> nuncio (codec HTTP1: Bun.serve on Bun, uWebSockets.js on Node) -> nginx, one nuncio
// worker pinned to CPU 0, nginx and wrk (50 connections) pinned to CPU 1; CPU = utime + stime of the
// nuncio process (all threads) from /proc/<pid>/stat over the wrk run, divided by the requests wrk made.
// Variants alternate within each round so that load from elsewhere on the machine hits all alike.
//   sockets  our HTTP/1.1 pool over node:net (transport.ts SocketTransport on Bun)
//   fetch    Bun's fetch() and its keep-alive pool (NUNCIO_UPSTREAM_CLIENT=fetch; HTTP/2 only over TLS)
//   own      our HTTP/2 codec over node:net / node:tls (h2c-pool)
//   node     node:http2's client (h2-pool; Bun's own implementation of it)
// Run: node dist/bench/bun-upstream-cpu.js [--runs 3] [--duration 8] [--variants a,b,...]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/net.js';
import { measurePinned, nginxConf, stopChild, waitForPort } from './lib/pinned-cpu.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'dist/workers/cli.js');
const BUN = path.join(ROOT, 'node_modules/.bin/bun');
const BODY = 'Hello from behind Envoy (service 1)! hostname: bench-upstream resolvedhostname: 127.0.0.1\n';

type Upstream = 'h1' | 'h1tls' | 'h2c' | 'h2tls';
interface Variant {
  readonly id: string;
  readonly runtime: 'bun' | 'node';
  readonly upstream: Upstream;
  readonly env: Record<string, string>;
}

const VARIANTS: readonly Variant[] = [
  { id: 'bun-h1-sockets', runtime: 'bun', upstream: 'h1', env: {} },
  { id: 'bun-h1-fetch', runtime: 'bun', upstream: 'h1', env: { NUNCIO_UPSTREAM_CLIENT: 'fetch' } },
  { id: 'bun-h1tls-sockets', runtime: 'bun', upstream: 'h1tls', env: {} },
  { id: 'bun-h1tls-fetch', runtime: 'bun', upstream: 'h1tls', env: { NUNCIO_UPSTREAM_CLIENT: 'fetch' } },
  { id: 'bun-h2c-own', runtime: 'bun', upstream: 'h2c', env: { NUNCIO_H2_CLIENT: 'own' } },
  { id: 'bun-h2c-node', runtime: 'bun', upstream: 'h2c', env: { NUNCIO_H2_CLIENT: 'node' } },
  { id: 'bun-h2tls-own', runtime: 'bun', upstream: 'h2tls', env: { NUNCIO_H2_CLIENT: 'own' } },
  { id: 'bun-h2tls-node', runtime: 'bun', upstream: 'h2tls', env: { NUNCIO_H2_CLIENT: 'node' } },
  { id: 'bun-h2tls-fetch', runtime: 'bun', upstream: 'h2tls', env: { NUNCIO_UPSTREAM_CLIENT: 'fetch' } },
  { id: 'node-h1-sockets', runtime: 'node', upstream: 'h1', env: {} },
  { id: 'node-h2c-own', runtime: 'node', upstream: 'h2c', env: { NUNCIO_H2_CLIENT: 'own' } },
];

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const RUNS = Number(arg('runs', '3'));
const DURATION = Number(arg('duration', '8'));
const CONNECTIONS = Number(arg('connections', '50'));
const PICK = arg('variants', '');






function config(port: number, admin: number, up: Upstream, upPort: number): string {
  const h2 = up === 'h2c' || up === 'h2tls';
  const tls = up === 'h1tls' || up === 'h2tls';
  return `
static_resources:
  listeners:
  - name: front
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: HTTP1
          stat_prefix: front
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes: [{ match: { prefix: "/" }, route: { cluster: up } }]
          http_filters: [{ name: envoy.filters.http.router }]
  clusters:
  - name: up
    connect_timeout: 1s
    type: STATIC
${h2 ? '    http2_protocol_options: {}\n' : ''}${
    tls
      ? `    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        common_tls_context: { alpn_protocols: [${h2 ? 'h2' : 'http/1.1'}] }
`
      : ''
  }    load_assignment:
      cluster_name: up
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upPort} } } } }] }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } }
`;
}

async function main(): Promise<void> {
  const variants = PICK ? VARIANTS.filter((v) => PICK.split(',').includes(v.id)) : VARIANTS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-bun-upstream-'));
  const ports: Record<Upstream, number> = { h1: await freePort(), h1tls: await freePort(), h2c: await freePort(), h2tls: await freePort() };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'up.key', '-out', 'up.crt', '-days', '2', '-subj', '/CN=upstream'], { cwd: dir, stdio: 'ignore' });
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    nginxConf(
      dir,
      `  http2_max_requests 1000000000;
  ssl_certificate ${dir}/up.crt;
  ssl_certificate_key ${dir}/up.key;
  server {
    listen 127.0.0.1:${ports.h1} backlog=4096;
    listen 127.0.0.1:${ports.h2c} http2 backlog=4096;
    listen 127.0.0.1:${ports.h1tls} ssl backlog=4096;
    listen 127.0.0.1:${ports.h2tls} ssl http2 backlog=4096;
    location / { default_type "text/html; charset=utf-8"; return 200 "${BODY.replace(/\n/, '\\n')}"; }
  }`,
    ),
  );
  const nginx = spawn('taskset', ['-c', '1', 'nginx', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  for (const p of Object.values(ports)) await waitForPort(p, 20_000);
  const rows: { id: string; run: number; rps: number; usPerReq: number }[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const v of variants) {
        const port = await freePort();
        const admin = await freePort();
        const cmd = v.runtime === 'bun' ? BUN : process.execPath;
        const p = spawn('taskset', ['-c', '0', cmd, CLI, '--config-yaml', config(port, admin, v.upstream, ports[v.upstream]), '--concurrency', '1', '-l', 'warning'], {
          env: { ...process.env, NUNCIO_H2_CLIENT: '', NUNCIO_UPSTREAM_CLIENT: '', ...v.env },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        try {
          const m = await measurePinned(p.pid!, port, DURATION, CONNECTIONS, 20_000);
          rows.push({ id: v.id, run, rps: m.rps, usPerReq: m.usPerReq });
          console.log(`run ${run} ${v.id.padEnd(18)}: ${m.rps} req/s, ${m.usPerReq.toFixed(1)} CPU µs/request${m.errors ? ` (${m.errors})` : ''}`);
        } catch (e) {
          console.log(`run ${run} ${v.id.padEnd(18)}: FAILED ${(e as Error).message.split('\n')[0]}`);
        } finally {
          await stopChild(p);
        }
      }
    }
  } finally {
    await stopChild(nginx);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nnginx upstream; ${os.cpus()[0]?.model ?? 'cpu'}; load average at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log('\n| variant | runs | CPU µs/request: median (min–max) | req/s: median (min–max) |\n| --- | --- | --- | --- |');
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const v of variants) {
    const r = rows.filter((x) => x.id === v.id);
    if (r.length === 0) {
      console.log(`| ${v.id} | 0 | failed | – |`);
      continue;
    }
    const us = r.map((x) => x.usPerReq);
    const rps = r.map((x) => x.rps);
    console.log(`| ${v.id} | ${r.length} | ${med(us)} (${Math.min(...us)}–${Math.max(...us)}) | ${med(rps)} (${Math.min(...rps)}–${Math.max(...rps)}) |`);
  }
}

await main();
