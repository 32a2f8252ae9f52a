// What each issue-7 change bought: CPU per proxied request with the change on and off, side by side in
// one run, against nginx (1 worker, upstream keepalive) on the same pinning. Each variant is nuncio with
// one worker pinned to CPU 0, an env switch that turns one optimisation off, and a listener codec; nginx
// (the upstream, HTTP/1.1 and h2c) and wrk are pinned to CPU 1. CPU = utime + stime of the proxy process
// (all its threads) from /proc/<pid>/stat over the wrk run, divided by the requests wrk made. Runs
// alternate between variants so load from elsewhere on the machine hits all alike.
// Run: node dist/bench/ablation.js [--runs 3] [--duration 10] [--connections 50] [--variants a,b,...]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/net.js';
import { measurePinned, nginxConf, stopChild, waitForPort } from './lib/pinned-cpu.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'dist/workers/cli.js');
const BODY = 'Hello from behind Envoy (service 1)! hostname: bench-upstream resolvedhostname: 127.0.0.1\n';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const RUNS = Number(arg('runs', '3'));
/** Extra node flags for nuncio (e.g. NUNCIO_ABLATION_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"). */
function nodeArgs(): string[] {
  return (process.env.NUNCIO_ABLATION_NODE_ARGS ?? '').split(' ').filter(Boolean);
}
const DURATION = Number(arg('duration', '10'));
const CONNECTIONS = Number(arg('connections', '50'));

interface Variant {
  /** What runs, in the table. */
  label: string;
  codec: 'HTTP1' | 'AUTO';
  upstream: 'h1' | 'h2';
  env: Record<string, string>;
}
const VARIANTS: Record<string, Variant> = {
  'h1-raw': { label: 'HTTP1 (uWS) -> HTTP/1.1, upstream on raw TCPWrap (default)', codec: 'HTTP1', upstream: 'h1', env: {} },
  'h1-net': { label: 'HTTP1 (uWS) -> HTTP/1.1, upstream on net.Socket', codec: 'HTTP1', upstream: 'h1', env: { NUNCIO_UPSTREAM_SOCKETS: 'net' } },
  'h2-own': { label: 'HTTP1 (uWS) -> HTTP/2, own client codec (default)', codec: 'HTTP1', upstream: 'h2', env: {} },
  'h2-node': { label: 'HTTP1 (uWS) -> HTTP/2, node:http2 client', codec: 'HTTP1', upstream: 'h2', env: { NUNCIO_H2_CLIENT: 'node' } },
  'auto-raw': { label: 'AUTO -> HTTP/1.1, accepted as raw TCPWrap (default)', codec: 'AUTO', upstream: 'h1', env: {} },
  'auto-net': { label: 'AUTO -> HTTP/1.1, accepted as net.Socket', codec: 'AUTO', upstream: 'h1', env: { NUNCIO_DOWNSTREAM_SOCKETS: 'net' } },
};
const NAMES = arg('variants', ['nginx', ...Object.keys(VARIANTS)].join(',')).split(',');
for (const n of NAMES) if (n !== 'nginx' && !VARIANTS[n]) throw new Error(`unknown variant ${n}; known: nginx, ${Object.keys(VARIANTS).join(', ')}`);






async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-h2cpu-'));
  const upPort = await freePort();
  const upH1Port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    nginxConf(
      dir,
      `  server {
    listen 127.0.0.1:${upPort} http2 backlog=4096;
    listen 127.0.0.1:${upH1Port} backlog=4096;
    location / { default_type "text/html; charset=utf-8"; return 200 "${BODY.replace(/\n/, '\\n')}"; }
  }`,
    ),
  );
  const nginx = spawn('taskset', ['-c', '1', 'nginx', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  await waitForPort(upPort);
  await waitForPort(upH1Port);
  const rows: { name: string; run: number; rps: number; usPerReq: number }[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const name of NAMES) {
        const port = await freePort();
        const p = name === 'nginx' ? startNginxProxy(dir, port, upH1Port) : startNuncio(VARIANTS[name], port, upPort, upH1Port);
        try {
          const m = await measurePinned(p.pid!, port, DURATION, CONNECTIONS).catch((e: Error) => {
            throw new Error(`${name}: ${e.message}`);
          });
          rows.push({ name, run, rps: m.rps, usPerReq: m.usPerReq });
          console.log(`run ${run} ${name.padEnd(8)}: ${m.rps} req/s, ${m.usPerReq.toFixed(1)} CPU µs/request${m.errors ? ` (${m.errors})` : ''}`);
        } finally {
          await stopChild(p);
        }
      }
    }
  } finally {
    await stopChild(nginx);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const nginxUs = NAMES.includes('nginx') ? med(rows.filter((x) => x.name === 'nginx').map((x) => x.usPerReq)) : NaN;
  console.log(`\n${new Date().toISOString()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, load average ${os.loadavg()[0].toFixed(1)}`);
  console.log('\n| variant | what runs | runs | CPU µs/request: median (min–max) | × nginx | req/s: median |\n| --- | --- | --- | --- | --- | --- |');
  for (const name of NAMES) {
    const r = rows.filter((x) => x.name === name);
    const us = r.map((x) => x.usPerReq);
    const label = name === 'nginx' ? 'nginx 1 worker, upstream keepalive (HTTP/1.1 -> HTTP/1.1)' : VARIANTS[name].label;
    const ratio = Number.isFinite(nginxUs) ? (med(us) / nginxUs).toFixed(2) : '–';
    console.log(`| ${name} | ${label} | ${r.length} | ${med(us)} (${Math.min(...us)}–${Math.max(...us)}) | ${ratio} | ${med(r.map((x) => x.rps))} |`);
  }
}

function startNuncio(v: Variant, port: number, upPort: number, upH1Port: number): ChildProcess {
  const cfg = `
static_resources:
  listeners:
  - name: front
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: ${v.codec}
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
    ${v.upstream === 'h2' ? 'http2_protocol_options: {}' : ''}
    load_assignment:
      cluster_name: up
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${v.upstream === 'h2' ? upPort : upH1Port} } } } }] }]
`;
  return spawn('taskset', ['-c', '0', process.execPath, ...nodeArgs(), CLI, '--config-yaml', cfg, '--concurrency', '1', '-l', 'warning'], {
    env: { ...process.env, NUNCIO_H2_CLIENT: '', NUNCIO_UPSTREAM_SOCKETS: '', NUNCIO_DOWNSTREAM_SOCKETS: '', ...v.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** nginx as the reference proxy: one worker (no master), upstream keepalive, on CPU 0 like nuncio. */
function startNginxProxy(dir: string, port: number, upH1Port: number): ChildProcess {
  const d = path.join(dir, `proxy-${port}`);
  fs.mkdirSync(d);
  fs.writeFileSync(
    path.join(d, 'nginx.conf'),
    nginxConf(
      d,
      `  upstream up { server 127.0.0.1:${upH1Port}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
    ),
  );
  return spawn('taskset', ['-c', '0', 'nginx', '-p', d, '-c', path.join(d, 'nginx.conf'), '-e', path.join(d, 'error.log')], { stdio: 'ignore' });
}

await main();
