// The fixed, fast upstream every proxy forwards to: nginx (one worker) answering every path with the
// service app's hello body, over HTTP/1.1 on one port and HTTP/2 cleartext on another, keep-alive
// without a request cap. Without nginx, a Node stand-in (node:http + node:http2) does the same job
// and the results say so.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { helloBody, SERVER_HEADER } from '../../workers/service-app/app.js';
import { freePort, h2Get, httpGet, until } from '../lib/net.js';
import { hasCommand, nofileHardLimit, startProc, type Proc } from '../lib/spawn.js';
import type { UpstreamAddress } from './peer.js';

export const UPSTREAM_BODY = helloBody('1', 'bench-upstream', '127.0.0.1');

export interface Upstream {
  readonly address: UpstreamAddress;
  readonly proc: Proc;
  /** "nginx 1.22.1" or "node stand-in". */
  readonly kind: string;
  stop(): Promise<void>;
}

/** nginx's quoted-string syntax (a `$` would start a variable, so it is refused). */
export function nginxString(s: string): string {
  if (s.includes('$')) throw new Error(`nginxString: "$" cannot be written literally: ${s}`);
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Paths nginx would otherwise try to create under its compiled-in prefix. */
export function nginxTempPaths(dir: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${path.join(dir, `${k}_temp`)};`).join('\n');
}

const NOFILE = Math.min(65536, nofileHardLimit());

function upstreamConf(dir: string, h1: number, h2: number): string {
  return `# Fixed upstream for the bench (bench/peers/upstream.ts).
worker_processes 1;
daemon off;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
worker_rlimit_nofile ${NOFILE};
events { worker_connections ${NOFILE - 100}; }
http {
  access_log off;
  server_tokens off;
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
${nginxTempPaths(dir)}
  server {
    listen 127.0.0.1:${h1} backlog=4096;
    listen 127.0.0.1:${h2} http2 backlog=4096;
    location / {
      default_type "text/html; charset=utf-8";
      return 200 ${nginxString(UPSTREAM_BODY)};
    }
  }
}
`;
}

async function checkBoth(h1: number, h2: number): Promise<void> {
  await until(async () => (await httpGet(`http://127.0.0.1:${h1}/service/1`)).body === UPSTREAM_BODY, 10_000, 'upstream (HTTP/1.1)');
  await until(async () => (await h2Get(`http://127.0.0.1:${h2}`, '/service/1')).body === UPSTREAM_BODY, 10_000, 'upstream (h2c)');
}

export async function startUpstream(dir: string, cpus: string | undefined): Promise<Upstream> {
  fs.mkdirSync(dir, { recursive: true });
  const h1Port = await freePort();
  const h2Port = await freePort();
  if (hasCommand('nginx')) {
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, upstreamConf(dir, h1Port, h2Port));
    const proc = startProc('upstream-nginx', 'nginx', ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], { cpus, logDir: dir });
    try {
      await checkBoth(h1Port, h2Port);
    } catch (e) {
      await proc.stop();
      throw new Error(`${(e as Error).message}\n${proc.output()}${readTail(path.join(dir, 'error.log'))}`);
    }
    return { address: { host: '127.0.0.1', h1Port, h2Port }, proc, kind: 'nginx', stop: () => proc.stop() };
  }
  const main = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node', 'upstream-main.js');
  const proc = startProc('upstream-node', process.execPath, [main, String(h1Port), String(h2Port), UPSTREAM_BODY, SERVER_HEADER], { cpus, logDir: dir });
  await proc.waitFor(/listening/, 10_000);
  await checkBoth(h1Port, h2Port);
  return { address: { host: '127.0.0.1', h1Port, h2Port }, proc, kind: 'node stand-in (nginx not installed)', stop: () => proc.stop() };
}

export function readTail(file: string, n = 4000): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-n);
  } catch {
    return '';
  }
}
