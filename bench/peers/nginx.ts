// nginx as a reverse proxy, configured as its upstream-module documentation recommends for
// keep-alive to the upstream: an upstream block with `keepalive`, `proxy_http_version 1.1` and an
// empty Connection header. nginx speaks only HTTP/1.1 to upstreams (proxy_pass); HTTP/2 is offered
// to clients with `listen ... http2` (cleartext, prior knowledge).
import fs from 'node:fs';
import path from 'node:path';
import { GiveUp, httpGet, h2Get, until } from '../lib/net.js';
import { hasCommand, nofileHardLimit, runQuiet, startProc, type Proc } from '../lib/spawn.js';
import type { Proto } from '../lib/types.js';
import type { Peer, PeerStartOptions, RunningPeer } from './peer.js';
import { nginxTempPaths, readTail } from './upstream.js';

export function nginxVersion(): string | null {
  if (!hasCommand('nginx')) return null;
  const m = /nginx\/([\w.\-]+)/.exec(runQuiet('nginx', ['-v']).out);
  return m ? m[1] : 'unknown';
}

const NOFILE = Math.min(65536, nofileHardLimit());

export function nginxProxyConf(o: PeerStartOptions): string {
  return `# nginx reverse proxy for the bench (bench/peers/nginx.ts).
worker_processes ${o.workers};
daemon off;
pid ${path.join(o.dir, 'nginx.pid')};
error_log ${path.join(o.dir, 'error.log')} warn;
worker_rlimit_nofile ${NOFILE};
events { worker_connections ${NOFILE - 100}; }
http {
  access_log off;
  # nginx closes a client connection after 1000 requests by default; the other peers do not.
  keepalive_requests 1000000000;
  keepalive_timeout 300s;
${nginxTempPaths(o.dir)}
  upstream backend {
    server ${o.upstreamAddress.host}:${o.upstreamAddress.h1Port};
    keepalive 64;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${o.port}${o.downstream === 'h2' ? ' http2' : ''} backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** Waits until the peer answers GET /service/1 with 200 (gives up at once if its process exits). */
export async function checkPeer(port: number, downstream: Proto, what: string, proc: Proc): Promise<void> {
  await until(
    async () => {
      if (!proc.alive()) throw new GiveUp(`${what} ${proc.exitDescription()}`);
      const r = downstream === 'h2' ? await h2Get(`http://127.0.0.1:${port}`, '/service/1') : await httpGet(`http://127.0.0.1:${port}/service/1`);
      if (r.status !== 200) throw new Error(`status ${r.status}: ${r.body.slice(0, 200)}`);
      return true;
    },
    20_000,
    `${what} answering on 127.0.0.1:${port}`,
  );
}

export const nginxPeer: Peer = {
  name: 'nginx',
  missing: () => (hasCommand('nginx') ? null : 'nginx is not installed (apt-get install nginx-light failed?)'),
  supports: (_d, u) => u === 'h1',
  async start(o: PeerStartOptions): Promise<RunningPeer> {
    fs.mkdirSync(o.dir, { recursive: true });
    const conf = path.join(o.dir, 'nginx.conf');
    fs.writeFileSync(conf, nginxProxyConf(o));
    const proc = startProc('nginx', 'nginx', ['-p', o.dir, '-c', conf, '-e', path.join(o.dir, 'error.log')], { cpus: o.cpus, logDir: o.dir });
    try {
      await checkPeer(o.port, o.downstream, 'nginx', proc);
    } catch (e) {
      await proc.stop();
      throw new Error(`${(e as Error).message}\n${proc.output()}${readTail(path.join(o.dir, 'error.log'))}`);
    }
    return { proc, port: o.port, stop: () => proc.stop() };
  },
};
