// Scenario "soak" (issue 6): mixed traffic through both listener engines for minutes while upstreams
// restart, DNS changes the host set, and the config is reloaded twice. It counts requests sent,
// answered (by status class) and lost (no response: reset, hang, refused), samples nuncio's RSS every
// second and fits a line to the second half: zero lost requests and no memory growth trend pass.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DnsServer } from '../../workers/topology/dns-server.js';
import { freePort, httpGet, until } from '../lib/net.js';
import { readMemory } from '../lib/proc.js';
import { startProc } from '../lib/spawn.js';
import type { SoakEvent, SoakSection } from '../lib/types.js';
import { NUNCIO_CLI } from '../peers/nuncio.js';
import type { Ctx } from './measure.js';

const UPSTREAMS = ['127.0.0.81', '127.0.0.82', '127.0.0.83'];
const PATHS = ['/ok', '/ok', '/ok', '/ok', '/missing', '/boom', '/slow', '/echo'];

function config(o: { uws: number; auto: number; admin: number; dns: number; up: number }, tag: string): string {
  const listener = (name: string, port: number, codec: string) => `
  - name: ${name}
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          codec_type: ${codec}
          stat_prefix: ${name}
          route_config:
            response_headers_to_add: [{ header: { key: x-config, value: ${tag} } }]
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route:
                  cluster: soak
                  timeout: 5s
                  retry_policy: { retry_on: "connect-failure,reset,refused-stream", num_retries: 3, retry_back_off: { base_interval: 0.01s } }
          http_filters: [{ name: envoy.filters.http.router }]`;
  return `# bench scenario "soak" (bench/scenarios/soak.ts), config ${tag}
static_resources:
  listeners:${listener('uws', o.uws, 'HTTP1')}${listener('auto', o.auto, 'AUTO')}
  clusters:
  - name: soak
    type: STRICT_DNS
    connect_timeout: 0.5s
    dns_refresh_rate: 1s
    # As an operator sets up a cluster whose instances restart: enough concurrent retries for 16 clients, and
    # a host that refuses connections leaves load balancing after three gateway failures in a row.
    circuit_breakers: { thresholds: [{ max_retries: 100 }] }
    outlier_detection: { consecutive_gateway_failure: 3, enforcing_consecutive_gateway_failure: 100, consecutive_5xx: 1000, interval: 1s, base_ejection_time: 2s, max_ejection_percent: 50 }
    load_assignment:
      cluster_name: soak
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: soak.test, port_value: ${o.up} } } } }] }]
    typed_dns_resolver_config:
      name: envoy.network.dns_resolver.cares
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig
        resolvers: [{ socket_address: { address: 127.0.0.1, port_value: ${o.dns} } }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${o.admin} } }
`;
}

/** An upstream that answers by path: 200, 404, 500, slow 200, and an echo of the request body. */
class Upstream {
  private server: http.Server | null = null;
  constructor(
    readonly ip: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    const s = http.createServer((req, res) => {
      const p = req.url ?? '/';
      if (p.startsWith('/missing')) {
        res.statusCode = 404;
        return void res.end('no');
      }
      if (p.startsWith('/boom')) {
        res.statusCode = 500;
        return void res.end('boom');
      }
      if (p.startsWith('/slow')) return void setTimeout(() => res.end('slow'), 50);
      if (p.startsWith('/echo')) {
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        return void req.on('end', () => res.end(String(n)));
      }
      res.end(`ok ${this.ip}`);
    });
    s.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => s.listen(this.port, this.ip, () => r()));
    this.server = s;
  }

  /** Stops accepting and lets open requests finish (a rolling restart of one instance). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeIdleConnections();
      setTimeout(() => s.closeAllConnections(), 2000).unref();
    });
  }
}

/** Least-squares slope of y over x. */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) * (x - mx);
  }
  return den === 0 ? 0 : num / den;
}

export async function runSoak(ctx: Ctx): Promise<SoakSection> {
  const { plan, log } = ctx;
  const durationS = plan.quick ? 15 : 180;
  const ports = { uws: await freePort(), auto: await freePort(), admin: await freePort(), dns: 0, up: await freePort() };
  const dns = new DnsServer({ address: '127.0.0.1', port: 0 });
  ports.dns = (await dns.start()).port;
  const ups = UPSTREAMS.map((ip) => new Upstream(ip, ports.up));
  await ups[0].start();
  await ups[1].start();
  dns.setRecords('soak.test', [UPSTREAMS[0], UPSTREAMS[1]]);
  const dir = path.join(plan.runDir, 'soak');
  fs.mkdirSync(dir, { recursive: true });
  const cfgFile = path.join(dir, 'nuncio.yaml');
  fs.writeFileSync(cfgFile, config(ports, 'v1'));
  const proxy = startProc('nuncio-soak', process.execPath, [NUNCIO_CLI, '-c', cfgFile, '--concurrency', '2'], { cwd: dir, logDir: dir });
  await until(async () => (await httpGet(`http://127.0.0.1:${ports.admin}/ready`).catch(() => ({ status: 0 }))).status === 200, 30_000, 'soak nuncio ready');

  const counts = { sent: 0, answered: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, lost: 0 };
  const lostReasons: Record<string, number> = {};
  /** Answers other than what the upstream gives on purpose, by status, path and the start of the body. */
  const unexpectedReplies: Record<string, number> = {};
  const configs = new Set<string>();
  const agents = [new http.Agent({ keepAlive: true, maxSockets: 8 }), new http.Agent({ keepAlive: true, maxSockets: 8 })];
  const listenerPorts = [ports.uws, ports.auto];
  const t0 = Date.now();
  const end = t0 + durationS * 1000;
  const body = Buffer.alloc(64 * 1024, 1);

  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const p = PATHS[i % PATHS.length];
      const which = i % 2;
      counts.sent++;
      const req = http.request(
        { host: '127.0.0.1', port: listenerPorts[which], path: `${p}?i=${i}`, method: p === '/echo' ? 'POST' : 'GET', agent: agents[which], timeout: 15_000 },
        (res) => {
          const status = res.statusCode ?? 0;
          // The upstream answers /boom with 500 and /missing with 404 on purpose; any other 4xx/5xx came from
          // nuncio (a local reply: its body names the reason) or from an upstream that was going away.
          const unexpected = (status >= 500 && p !== '/boom') || (status >= 400 && status < 500 && p !== '/missing');
          let head = '';
          if (unexpected) res.on('data', (d: Buffer) => (head += head.length < 120 ? d.toString('latin1') : ''));
          else res.resume();
          res.on('end', () => {
            counts.answered++;
            const cls = `${Math.floor(status / 100)}xx` as '2xx';
            if (cls in counts) counts[cls]++;
            if (unexpected) {
              const key = `${status} ${p}: ${head.slice(0, 120).replace(/\s+/g, ' ').trim()}`;
              unexpectedReplies[key] = (unexpectedReplies[key] ?? 0) + 1;
            }
            const c = res.headers['x-config'];
            if (typeof c === 'string') configs.add(c);
            resolve();
          });
          res.on('error', (e) => lose(e.message, resolve));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => lose((e as NodeJS.ErrnoException).code ?? e.message, resolve));
      if (p === '/echo') req.end(body);
      else req.end();
    });
  const lose = (why: string, done: () => void) => {
    counts.lost++;
    lostReasons[why] = (lostReasons[why] ?? 0) + 1;
    done();
  };

  // 16 concurrent request loops, bounded by time.
  let next = 0;
  const loops = Array.from({ length: 16 }, async () => {
    while (Date.now() < end) await one(next++);
  });

  const rss: [number, number][] = [];
  const sampler = setInterval(() => {
    const m = readMemory(proxy.pid);
    if (m) rss.push([(Date.now() - t0) / 1000, m.rssKb / 1024]);
  }, 1000);

  const events: SoakEvent[] = [];
  const at = (frac: number) => new Promise((r) => setTimeout(r, Math.max(0, t0 + frac * durationS * 1000 - Date.now())));
  const mark = (what: string) => {
    events.push({ atS: Math.round((Date.now() - t0) / 100) / 10, what });
    log(`soak: ${what}`);
  };
  const script = (async () => {
    await at(0.12);
    mark(`restart upstream ${UPSTREAMS[0]}`);
    await ups[0].stop();
    await new Promise((r) => setTimeout(r, 1000));
    await ups[0].start();
    await at(0.25);
    await ups[2].start();
    dns.setRecords('soak.test', UPSTREAMS);
    mark(`DNS: soak.test grows to ${UPSTREAMS.join(', ')}`);
    await at(0.38);
    fs.writeFileSync(cfgFile, config(ports, 'v2'));
    proxy.child.kill('SIGHUP');
    mark('config reload 1 (SIGHUP, x-config: v2)');
    await at(0.5);
    dns.setRecords('soak.test', [UPSTREAMS[1], UPSTREAMS[2]]);
    mark(`DNS: soak.test drops ${UPSTREAMS[0]}`);
    await at(0.62);
    mark(`restart upstream ${UPSTREAMS[1]}`);
    await ups[1].stop();
    await new Promise((r) => setTimeout(r, 1000));
    await ups[1].start();
    await at(0.75);
    fs.writeFileSync(cfgFile, config(ports, 'v3'));
    proxy.child.kill('SIGHUP');
    mark('config reload 2 (SIGHUP, x-config: v3)');
  })();

  await Promise.all([...loops, script]);
  clearInterval(sampler);
  for (const a of agents) a.destroy();
  const statsText = (await httpGet(`http://127.0.0.1:${ports.admin}/stats?filter=nuncio.config_reload`)).body;
  await proxy.stop();
  for (const u of ups) await u.stop();
  await dns.stop();

  const half = rss.filter(([t]) => t >= durationS / 2);
  const mbPerMin = slope(half) * 60;
  const reloads = Number(/nuncio\.config_reload_success: (\d+)/.exec(statsText)?.[1] ?? 0);
  // A steady state wobbles by a few MB; a leak in a soak this long shows as a steady climb.
  const growthLimit = 6;
  const unexpected = Object.values(unexpectedReplies).reduce((n, k) => n + k, 0);
  const ok = counts.lost === 0 && unexpected === 0 && mbPerMin < growthLimit && reloads === 2 && configs.has('v3');
  return {
    durationS,
    connectionsPerListener: 8,
    counts: { ...counts },
    lostReasons,
    unexpectedReplies,
    events,
    reloadsApplied: reloads,
    configsSeen: [...configs].sort(),
    rssMb: rss.map(([t, mb]) => [Math.round(t), Math.round(mb * 10) / 10]),
    rssSlopeMbPerMin: Math.round(mbPerMin * 100) / 100,
    rssGrowthLimitMbPerMin: growthLimit,
    verdict: ok ? 'pass' : 'FAIL',
  };
}
