// Scenario "front": each proxy alone in front of the fixed upstream, one after another, pinned the same
// way. Phase 1 measures every row at saturation; phase 2 measures latency at fixed rates chosen from
// phase 1 (one below every proxy's knee, and half nginx's saturation rate where a proxy can take it).
import path from 'node:path';
import { freePort } from '../lib/net.js';
import { errMsg, latency, roundRate, saturation, type Ctx } from './measure.js';
import type { Role } from '../lib/meter.js';
import type { FrontRow, FrontSection, Proto, Saturation } from '../lib/types.js';
import { isSkipped } from '../lib/types.js';
import type { Peer, RunningPeer } from '../peers/peer.js';
import { nginxPeer } from '../peers/nginx.js';
import { haproxyPeer } from '../peers/haproxy.js';
import { nuncioPeer } from '../peers/nuncio.js';
import { fastifyPeer, httpProxy3Peer } from '../peers/node-proxies.js';
import { startUpstream, type Upstream } from '../peers/upstream.js';

interface RowSpec {
  readonly id: string;
  readonly proxy: string;
  readonly engine: string;
  readonly downstream: Proto;
  readonly upstream: Proto;
  readonly setup: string;
  readonly peer: Peer;
}

const NGINX_SETUP = '1 worker; upstream keepalive 64, proxy_http_version 1.1, Connection ""';
const HAPROXY_SETUP = '1 thread; http-keep-alive, http-reuse safe';
const NUNCIO_SETUP = '--concurrency 1; Envoy defaults';

const uws = nuncioPeer('HTTP1');
const node = nuncioPeer('AUTO');
const bun = nuncioPeer('HTTP1', 'bun');

export const FRONT_ROWS: readonly RowSpec[] = [
  { id: 'nginx-h1-h1', proxy: 'nginx', engine: 'nginx', downstream: 'h1', upstream: 'h1', setup: NGINX_SETUP, peer: nginxPeer },
  { id: 'haproxy-h1-h1', proxy: 'HAProxy', engine: 'HAProxy', downstream: 'h1', upstream: 'h1', setup: HAPROXY_SETUP, peer: haproxyPeer },
  { id: 'haproxy-h1-h2', proxy: 'HAProxy', engine: 'HAProxy', downstream: 'h1', upstream: 'h2', setup: `${HAPROXY_SETUP}; server proto h2`, peer: haproxyPeer },
  { id: 'nuncio-uws-h1-h1', proxy: 'nuncio', engine: 'HTTP1 listener (uWebSockets.js)', downstream: 'h1', upstream: 'h1', setup: `codec_type HTTP1; ${NUNCIO_SETUP}`, peer: uws },
  { id: 'nuncio-uws-h1-h2', proxy: 'nuncio', engine: 'HTTP1 listener (uWebSockets.js)', downstream: 'h1', upstream: 'h2', setup: `codec_type HTTP1; http2_protocol_options {}; ${NUNCIO_SETUP}`, peer: uws },
  { id: 'nuncio-node-h1-h1', proxy: 'nuncio', engine: 'AUTO listener (node engine)', downstream: 'h1', upstream: 'h1', setup: `codec_type AUTO; ${NUNCIO_SETUP}`, peer: node },
  { id: 'nuncio-node-h1-h2', proxy: 'nuncio', engine: 'AUTO listener (node engine)', downstream: 'h1', upstream: 'h2', setup: `codec_type AUTO; http2_protocol_options {}; ${NUNCIO_SETUP}`, peer: node },
  { id: 'nuncio-bun-h1-h1', proxy: 'nuncio', engine: 'on Bun: HTTP1 listener (Bun.serve)', downstream: 'h1', upstream: 'h1', setup: `bun dist/workers/cli.js; codec_type HTTP1; ${NUNCIO_SETUP}`, peer: bun },
  { id: 'nuncio-bun-h1-h2', proxy: 'nuncio', engine: 'on Bun: HTTP1 listener (Bun.serve)', downstream: 'h1', upstream: 'h2', setup: `bun dist/workers/cli.js; codec_type HTTP1; http2_protocol_options {}; ${NUNCIO_SETUP}`, peer: bun },
  { id: 'fastify-h1-h1', proxy: '@fastify/http-proxy', engine: 'fastify + undici', downstream: 'h1', upstream: 'h1', setup: 'fastify defaults, undici Pool defaults', peer: fastifyPeer },
  { id: 'http-proxy-3-h1-h1', proxy: 'http-proxy-3', engine: 'node:http', downstream: 'h1', upstream: 'h1', setup: 'node:http server, http.Agent keepAlive maxSockets 256', peer: httpProxy3Peer },
  { id: 'nginx-h2-h1', proxy: 'nginx', engine: 'nginx', downstream: 'h2', upstream: 'h1', setup: `${NGINX_SETUP}; listen http2`, peer: nginxPeer },
  { id: 'haproxy-h2-h1', proxy: 'HAProxy', engine: 'HAProxy', downstream: 'h2', upstream: 'h1', setup: `${HAPROXY_SETUP}; bind proto h2`, peer: haproxyPeer },
  { id: 'haproxy-h2-h2', proxy: 'HAProxy', engine: 'HAProxy', downstream: 'h2', upstream: 'h2', setup: `${HAPROXY_SETUP}; bind proto h2; server proto h2`, peer: haproxyPeer },
  { id: 'nuncio-node-h2-h1', proxy: 'nuncio', engine: 'AUTO listener (node engine)', downstream: 'h2', upstream: 'h1', setup: `codec_type AUTO; ${NUNCIO_SETUP}`, peer: node },
  { id: 'nuncio-node-h2-h2', proxy: 'nuncio', engine: 'AUTO listener (node engine)', downstream: 'h2', upstream: 'h2', setup: `codec_type AUTO; http2_protocol_options {}; ${NUNCIO_SETUP}`, peer: node },
];

const PATH = '/service/1';
const PROXY_ROLE = 'proxy';
/**
 * A fixed-rate run at more than this share of a proxy's capacity would measure its queue. Capacity is
 * what one core does at the measured CPU cost per request (1e6 / µs), not the saturation rate: on two
 * cores the load side often saturates first, leaving the proxy's core partly idle.
 */
const KNEE_SHARE = 0.8;
/** The rate every proxy is measured at: this share of the slowest one's saturation rate. */
const COMMON_SHARE = 0.6;

/** Requests per second one core would serve at the measured CPU cost (never less than what was measured). */
function capacity(s: Saturation): number {
  return Math.max(s.rps, Number.isFinite(s.cpuUsPerReq) && s.cpuUsPerReq > 0 ? 1e6 / s.cpuUsPerReq : 0);
}

export function toolMissing(d: Proto, tools: { wrk: boolean; h2load: boolean }): string | null {
  if (d === 'h2') return tools.h2load ? null : 'h2load is not installed (apt-get install nghttp2-client failed?)';
  return tools.wrk ? null : 'wrk is not installed (apt-get install wrk failed?)';
}

/** nginx's row for a downstream protocol, and HAProxy's for a protocol pair: the ratio references. */
function reference(rows: readonly FrontRow[], proxy: string, d: Proto, u: Proto | null): FrontRow | undefined {
  return rows.find((r) => r.proxy === proxy && r.downstream === d && (u === null || r.upstream === u) && r.status === 'ok');
}

function ratio(row: FrontRow, ref: FrontRow | undefined): number | null {
  const a = row.saturation?.cpuUsPerReq;
  const b = ref?.saturation?.cpuUsPerReq;
  return a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null;
}

export async function runFront(ctx: Ctx, tools: { wrk: boolean; h2load: boolean }): Promise<FrontSection> {
  const p = ctx.plan;
  const dir = path.join(p.runDir, 'front');
  const rows: FrontRow[] = FRONT_ROWS.map((s) => ({
    id: s.id,
    label: `${s.proxy} ${s.downstream}→${s.upstream}`,
    proxy: s.proxy,
    engine: s.engine,
    downstream: s.downstream,
    upstream: s.upstream,
    setup: s.setup,
    status: 'ok',
  }));
  const section: FrontSection = {
    pinning: p.proxyCpus !== undefined ? `proxy on CPU ${p.proxyCpus}; load generator and upstream on CPU ${p.loadCpus}` : 'not pinned (taskset missing or one CPU)',
    connections: p.connections,
    rates: { h1: { common: null, halfNginx: null }, h2: { common: null, halfNginx: null } },
    rows,
  };
  let upstream: Upstream;
  try {
    upstream = await startUpstream(path.join(dir, 'upstream'), p.loadCpus);
  } catch (e) {
    for (const r of rows) {
      r.status = 'failed';
      r.reason = `upstream did not start: ${errMsg(e)}`;
    }
    return section;
  }
  const running = new Map<string, RunningPeer>();
  try {
    // Phase 1: saturation, every row.
    for (let i = 0; i < FRONT_ROWS.length; i++) {
      const spec = FRONT_ROWS[i];
      const row = rows[i];
      const missing = spec.peer.missing() ?? toolMissing(spec.downstream, tools);
      if (missing !== null) {
        row.status = 'missing';
        row.reason = missing;
        ctx.log(`front ${spec.id}: MISSING: ${missing}`);
        continue;
      }
      ctx.log(`front ${spec.id}: saturation`);
      try {
        const port = await freePort();
        const peer = await spec.peer.start({
          port, downstream: spec.downstream, upstream: spec.upstream, upstreamAddress: upstream.address,
          workers: 1, cpus: p.proxyCpus, dir: path.join(dir, spec.id),
        });
        running.set(spec.id, peer);
        const roles: Role[] = [{ role: PROXY_ROLE, pid: peer.proc.pid }, { role: 'upstream', pid: upstream.proc.pid }];
        const { sat } = await saturation(ctx, {
          host: '127.0.0.1', port, path: PATH, proto: spec.downstream, connections: p.connections, roles, proxyRole: PROXY_ROLE,
          cpus: p.loadCpus, logDir: path.join(dir, spec.id),
        });
        row.saturation = sat;
        ctx.log(`  ${sat.rps.toFixed(0)} req/s, ${sat.cpuUsPerReq.toFixed(1)} µs CPU/req, proxy CPU ${sat.proxyCpuPct.toFixed(0)} %, errors ${sat.errors.total}`);
        if (!peer.proc.alive()) throw new Error(`proxy ${peer.proc.exitDescription()} during the run:\n${peer.proc.output().slice(-3000)}`);
      } catch (e) {
        row.status = 'failed';
        row.reason = errMsg(e);
        ctx.log(`  FAILED: ${row.reason.split('\n')[0]}`);
        await running.get(spec.id)?.stop();
        running.delete(spec.id);
      }
    }
    // Rates for phase 2, per downstream protocol.
    for (const d of ['h1', 'h2'] as const) {
      const sats = rows.filter((r) => r.downstream === d && r.status === 'ok' && r.saturation !== undefined).map((r) => r.saturation!.rps);
      const nginx = reference(rows, 'nginx', d, null);
      section.rates[d] = {
        common: sats.length > 0 ? roundRate(Math.min(...sats) * COMMON_SHARE) : null,
        halfNginx: nginx?.saturation !== undefined ? roundRate(nginx.saturation.rps / 2) : null,
      };
    }
    // Phase 2: latency at fixed rates.
    for (let i = 0; i < FRONT_ROWS.length; i++) {
      const spec = FRONT_ROWS[i];
      const row = rows[i];
      const peer = running.get(spec.id);
      if (row.status !== 'ok' || peer === undefined || row.saturation === undefined) continue;
      const rates = section.rates[spec.downstream];
      const roles: Role[] = [{ role: PROXY_ROLE, pid: peer.proc.pid }, { role: 'upstream', pid: upstream.proc.pid }];
      const base = {
        host: '127.0.0.1', port: peer.port, path: PATH, proto: spec.downstream, connections: p.connections, roles,
        proxyRole: PROXY_ROLE, cpus: p.loadCpus, logDir: path.join(dir, spec.id),
      };
      try {
        if (rates.common === null) row.latency = { skipped: 'no saturation figures to choose a rate from' };
        else {
          ctx.log(`front ${spec.id}: latency at ${rates.common} req/s`);
          row.latency = await latency(ctx, { ...base, rate: rates.common });
        }
        if (p.quick) row.latencyHalfNginx = { skipped: 'not run with --quick' };
        else if (rates.halfNginx === null) row.latencyHalfNginx = { skipped: `no nginx ${spec.downstream} row to take the rate from` };
        else if (rates.halfNginx > capacity(row.saturation) * KNEE_SHARE) {
          row.latencyHalfNginx = {
            skipped: `${rates.halfNginx} req/s is beyond this proxy's knee (at ${row.saturation.cpuUsPerReq.toFixed(0)} µs per request one core serves about ${Math.round(capacity(row.saturation))} req/s)`,
          };
        } else {
          ctx.log(`front ${spec.id}: latency at ${rates.halfNginx} req/s (half nginx)`);
          row.latencyHalfNginx = await latency(ctx, { ...base, rate: rates.halfNginx });
        }
        if (!peer.proc.alive()) throw new Error(`proxy ${peer.proc.exitDescription()} during the run:\n${peer.proc.output().slice(-3000)}`);
        for (const l of [row.latency, row.latencyHalfNginx]) {
          if (l !== undefined && !isSkipped(l)) ctx.log(`  p50 ${l.corrected.p50.toFixed(2)} p99 ${l.corrected.p99.toFixed(2)} p99.9 ${l.corrected.p999.toFixed(2)} ms @ ${l.rate}, errors ${l.errors.total}`);
        }
      } catch (e) {
        row.status = 'failed';
        row.reason = `latency run: ${errMsg(e)}`;
        ctx.log(`  FAILED: ${row.reason.split('\n')[0]}`);
      }
    }
  } finally {
    await Promise.all([...running.values()].map((r) => r.stop()));
    await upstream.stop();
  }
  for (const row of rows) {
    if (row.status !== 'ok') continue;
    row.vsNginx = ratio(row, reference(rows, 'nginx', row.downstream, null));
    row.vsHaproxy = ratio(row, reference(rows, 'HAProxy', row.downstream, row.upstream));
  }
  return section;
}
