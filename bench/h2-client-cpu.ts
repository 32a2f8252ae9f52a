// CPU per proxied request, HTTP/1.1 client -> nuncio (uWebSockets.js listener) -> HTTP/2 upstream,
// with each HTTP/2 client (NUNCIO_H2_CLIENT=node: node:http2, =own: our codec). One nuncio worker
// pinned to CPU 0; nginx (h2c upstream) and wrk pinned to CPU 1; CPU = utime + stime of the nuncio
// process (all its threads) from /proc/<pid>/stat over the wrk run, divided by the requests wrk made.
// Runs alternate between the clients so load from elsewhere on the machine hits both alike. Client
// `h1` proxies to the same nginx over HTTP/1.1 instead, for reference.
// Run: node dist/bench/h2-client-cpu.js [--runs 3] [--duration 10] [--connections 50] [--clients node,own,h1]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'dist/workers/cli.js');
const BODY = 'Hello from behind Envoy (service 1)! hostname: bench-upstream resolvedhostname: 127.0.0.1\n';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const RUNS = Number(arg('runs', '3'));
const DURATION = Number(arg('duration', '10'));
const CONNECTIONS = Number(arg('connections', '50'));
const CLIENTS = arg('clients', 'node,own').split(',');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitFor(port: number, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port}`);
}

function cpuTicks(pid: number): number {
  const t = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const rest = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

function stop(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 10000).unref();
  });
}

function wrk(port: number, seconds: number): { requests: number; non2xx: number; errors: string } {
  const out = execFileSync('taskset', ['-c', '1', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, `http://127.0.0.1:${port}/service/1`], { encoding: 'utf8' });
  const m = /(\d+) requests in/.exec(out);
  const non = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const err = /Socket errors:[^\n]*/.exec(out);
  return { requests: m ? Number(m[1]) : 0, non2xx: non ? Number(non[1]) : 0, errors: err ? err[0] : '' };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-h2cpu-'));
  const upPort = await freePort();
  const upH1Port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${path.join(dir, k)};`).join('\n');
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
${temp}
  server {
    listen 127.0.0.1:${upPort} http2 backlog=4096;
    listen 127.0.0.1:${upH1Port} backlog=4096;
    location / { default_type "text/html; charset=utf-8"; return 200 "${BODY.replace(/\n/, '\\n')}"; }
  }
}
`,
  );
  const nginx = spawn('taskset', ['-c', '1', 'nginx', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  await waitFor(upPort);
  await waitFor(upH1Port);
  const rows: { client: string; run: number; rps: number; usPerReq: number; requests: number }[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const client of CLIENTS) {
        const port = await freePort();
        const admin = await freePort();
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
    ${client === 'h1' ? '' : 'http2_protocol_options: {}'}
    load_assignment:
      cluster_name: up
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${client === 'h1' ? upH1Port : upPort} } } } }] }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } }
`;
        const p = spawn('taskset', ['-c', '0', process.execPath, CLI, '--config-yaml', cfg, '--concurrency', '1', '-l', 'warning'], {
          env: { ...process.env, NUNCIO_H2_CLIENT: client === 'h1' ? '' : client },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        try {
          await waitFor(port);
          wrk(port, 2); // warm-up: JIT, connections
          const t0 = cpuTicks(p.pid!);
          const r = wrk(port, DURATION);
          const t1 = cpuTicks(p.pid!);
          if (r.non2xx > 0 || r.requests === 0) throw new Error(`${client}: ${r.non2xx} non-2xx of ${r.requests} ${r.errors}`);
          const us = (((t1 - t0) / CLK_TCK) * 1e6) / r.requests;
          rows.push({ client, run, rps: Math.round(r.requests / DURATION), usPerReq: Math.round(us * 10) / 10, requests: r.requests });
          console.log(`run ${run} ${client.padEnd(4)}: ${Math.round(r.requests / DURATION)} req/s, ${us.toFixed(1)} CPU µs/request${r.errors ? ` (${r.errors})` : ''}`);
        } finally {
          await stop(p);
        }
      }
    }
  } finally {
    await stop(nginx);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log('\n| client | runs | CPU µs/request: median (min–max) | req/s: median (min–max) |\n| --- | --- | --- | --- |');
  for (const client of CLIENTS) {
    const r = rows.filter((x) => x.client === client);
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const us = r.map((x) => x.usPerReq);
    const rps = r.map((x) => x.rps);
    console.log(`| ${client} | ${r.length} | ${med(us)} (${Math.min(...us)}–${Math.max(...us)}) | ${med(rps)} (${Math.min(...rps)}–${Math.max(...rps)}) |`);
  }
}

await main();
