// HAProxy as a reverse proxy in HTTP mode, configured as its documentation recommends: keep-alive
// on both sides (http-keep-alive, the default), `http-reuse safe` (the default) for server-side
// connection reuse, `proto h2` on the server line for an HTTP/2 upstream and on the bind line for
// HTTP/2 clients (cleartext, prior knowledge). One thread per worker asked for.
import fs from 'node:fs';
import path from 'node:path';
import { hasCommand, runQuiet, startProc } from '../lib/spawn.js';
import type { Peer, PeerStartOptions, RunningPeer } from './peer.js';
import { checkPeer } from './nginx.js';

export function haproxyVersion(): string | null {
  if (!hasCommand('haproxy')) return null;
  const m = /HA-?Proxy version ([\w.\-+]+)/.exec(runQuiet('haproxy', ['-v']).out);
  return m ? m[1] : 'unknown';
}

export function haproxyConf(o: PeerStartOptions): string {
  const u = o.upstreamAddress;
  const server = o.upstream === 'h2' ? `${u.host}:${u.h2Port} proto h2` : `${u.host}:${u.h1Port}`;
  return `# HAProxy reverse proxy for the bench (bench/peers/haproxy.ts).
global
  nbthread ${o.workers}
  # Room for the 10,000 idle connections of scenario "connections". HAProxy wants 2 fds per
  # connection and refuses to start when it cannot raise the fd limit that far (the hard limit may
  # be lower in a container); one client connection with an idle server side needs only one.
  maxconn 12000
  no strict-limits
  pidfile ${path.join(o.dir, 'haproxy.pid')}

defaults
  mode http
  option http-keep-alive
  http-reuse safe
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
  timeout http-request 30s

frontend bench
  bind 127.0.0.1:${o.port}${o.downstream === 'h2' ? ' proto h2' : ''}
  default_backend upstream

backend upstream
  server u1 ${server}
`;
}

export const haproxyPeer: Peer = {
  name: 'HAProxy',
  missing: () => (hasCommand('haproxy') ? null : 'haproxy is not installed (apt-get install haproxy failed?)'),
  supports: () => true,
  async start(o: PeerStartOptions): Promise<RunningPeer> {
    fs.mkdirSync(o.dir, { recursive: true });
    const conf = path.join(o.dir, 'haproxy.cfg');
    fs.writeFileSync(conf, haproxyConf(o));
    const proc = startProc('haproxy', 'haproxy', ['-db', '-f', conf], { cpus: o.cpus, logDir: o.dir });
    try {
      await checkPeer(o.port, o.downstream, 'HAProxy', proc);
    } catch (e) {
      await proc.stop();
      throw new Error(`${(e as Error).message}\n${proc.output()}`);
    }
    return { proc, port: o.port, stop: () => proc.stop() };
  },
};
