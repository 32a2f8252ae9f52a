// Scenario "workers": nuncio with 1 and 2 workers on both engines, unpinned (two workers need both
// cores, which they share with the load generator and the upstream): saturation throughput, the
// scaling from 1 to 2 workers, and how evenly the load spreads over workers, read from nuncio's
// per-worker counters in the admin /stats and, independently, from the CPU time of its threads.
import path from 'node:path';
import { freePort } from '../lib/net.js';
import type { WorkersRow, WorkersSection } from '../lib/types.js';
import { nuncioPeer, nuncioStats } from '../peers/nuncio.js';
import type { Peer, RunningPeer } from '../peers/peer.js';
import { startUpstream, type Upstream } from '../peers/upstream.js';
import { errMsg, saturation, type Ctx } from './measure.js';

interface Spec {
  readonly id: string;
  readonly engine: string;
  readonly workers: number;
  readonly peer: Peer;
}

const uws = nuncioPeer('HTTP1');
const node = nuncioPeer('AUTO');

export const WORKERS_ROWS: readonly Spec[] = [
  { id: 'workers-uws-1', engine: 'HTTP1 listener (uWebSockets.js)', workers: 1, peer: uws },
  { id: 'workers-uws-2', engine: 'HTTP1 listener (uWebSockets.js)', workers: 2, peer: uws },
  { id: 'workers-node-1', engine: 'AUTO listener (node engine)', workers: 1, peer: node },
  { id: 'workers-node-2', engine: 'AUTO listener (node engine)', workers: 2, peer: node },
];

/** Stats that count requests per worker, if nuncio has one (Envoy itself has none). */
const PER_WORKER_RQ = /(?:^|\.)worker_(\d+)\.(?:.*\.)?(?:downstream_rq_total|rq_total)$/;
/** Envoy's per-worker listener connection counter: listener.<address>.worker_<n>.downstream_cx_total. */
const PER_WORKER_CX = /^listener\.(?!admin\.).+\.worker_(\d+)\.downstream_cx_total$/;

export interface WorkerSplit {
  readonly of: 'requests' | 'connections';
  readonly counts: number[];
}

/** Per-worker counts of one kind (requests or connections) from a stats listing, or null if absent. */
export function perWorker(stats: ReadonlyMap<string, number>, workers: number, of: WorkerSplit['of']): WorkerSplit | null {
  const re = of === 'requests' ? PER_WORKER_RQ : PER_WORKER_CX;
  const counts = new Array<number>(workers).fill(0);
  let found = false;
  for (const [name, v] of stats) {
    const m = re.exec(name);
    if (m === null || name.startsWith('listener.admin.')) continue;
    const w = Number(m[1]);
    if (w < workers) {
      counts[w] += v;
      found = true;
    }
  }
  return found ? { of, counts } : null;
}

function diff(a: WorkerSplit | null, b: WorkerSplit | null): WorkerSplit | null {
  if (b === null) return null;
  if (a === null) return b;
  return { of: b.of, counts: b.counts.map((v, i) => v - (a.counts[i] ?? 0)) };
}

function shares(xs: readonly number[]): number[] {
  const total = xs.reduce((s, x) => s + x, 0);
  return total > 0 ? xs.map((x) => (x / total) * 100) : xs.map(() => 0);
}

export async function runWorkers(ctx: Ctx, tools: { wrk: boolean }): Promise<WorkersSection> {
  const p = ctx.plan;
  const dir = path.join(p.runDir, 'workers');
  const rows: WorkersRow[] = WORKERS_ROWS.map((s) => ({ id: s.id, label: `${s.engine}, ${s.workers} worker${s.workers > 1 ? 's' : ''}`, engine: s.engine, workers: s.workers, status: 'ok' }));
  const section: WorkersSection = {
    setup: `not pinned (proxy, wrk -t2 -c${p.workersConnections} and the nginx upstream share all cores)`,
    rows,
  };
  if (!tools.wrk) {
    for (const r of rows) {
      r.status = 'missing';
      r.reason = 'wrk is not installed (apt-get install wrk failed?)';
    }
    return section;
  }
  let upstream: Upstream;
  try {
    upstream = await startUpstream(path.join(dir, 'upstream'), undefined);
  } catch (e) {
    for (const r of rows) {
      r.status = 'failed';
      r.reason = `upstream did not start: ${errMsg(e)}`;
    }
    return section;
  }
  try {
    for (let i = 0; i < WORKERS_ROWS.length; i++) {
      const spec = WORKERS_ROWS[i];
      const row = rows[i];
      const missing = spec.peer.missing();
      if (missing !== null) {
        row.status = 'missing';
        row.reason = missing;
        continue;
      }
      ctx.log(`workers ${spec.id}: saturation`);
      let peer: RunningPeer | null = null;
      try {
        const rowDir = path.join(dir, spec.id);
        peer = await spec.peer.start({
          port: await freePort(), downstream: 'h1', upstream: 'h1', upstreamAddress: upstream.address, workers: spec.workers, dir: rowDir,
        });
        const filter = 'worker_';
        const before = (await nuncioStats(peer.adminPort!, filter)) ?? new Map<string, number>();
        const { sat, windows } = await saturation(ctx, {
          host: '127.0.0.1', port: peer.port, path: '/service/1', proto: 'h1', connections: p.workersConnections,
          roles: [{ role: 'proxy', pid: peer.proc.pid }, { role: 'upstream', pid: upstream.proc.pid }], proxyRole: 'proxy',
          logDir: rowDir, wrkThreads: 2, wantThreads: true,
        });
        row.saturation = sat;
        const after = (await nuncioStats(peer.adminPort!, filter)) ?? new Map<string, number>();
        const rq = diff(perWorker(before, spec.workers, 'requests'), perWorker(after, spec.workers, 'requests'));
        const cx = diff(perWorker(before, spec.workers, 'connections'), perWorker(after, spec.workers, 'connections'));
        // The uWebSockets.js engine cannot see connections open and close: its counters stay at zero.
        row.connectionSplit = cx === null || cx.counts.every((v) => v === 0) ? null : shares(cx.counts);
        const split = rq !== null && rq.counts.some((v) => v > 0) ? rq : cx !== null && cx.counts.some((v) => v > 0) ? cx : null;
        if (split === null) {
          row.split = null;
          row.splitOf = null;
          row.splitNote = 'nuncio\'s admin /stats returned no per-worker counters that moved (http.<prefix>.worker_<n>.downstream_rq_total, listener.<address>.worker_<n>.downstream_cx_total)';
        } else {
          row.split = shares(split.counts);
          row.splitOf = split.of;
          row.splitNote = split.of === 'connections'
            ? 'connections accepted per worker during the runs (nuncio has no per-worker request counter); wrk keeps every connection busy, so requests follow connections as long as workers keep up'
            : 'requests per worker during the runs (http.<stat_prefix>.worker_<n>.downstream_rq_total)';
        }
        // Busiest threads of the proxy process, summed over the repeats: with N workers, the top N are the workers.
        const byTid = new Map<number, number>();
        for (const w of windows) for (const t of w.threads.proxy ?? []) byTid.set(t.tid, (byTid.get(t.tid) ?? 0) + t.cpuMs);
        const total = [...byTid.values()].reduce((s, x) => s + x, 0);
        row.threadShares = [...byTid.values()].sort((a, b) => b - a).slice(0, spec.workers + 2).map((x) => (total > 0 ? (x / total) * 100 : 0));
        ctx.log(`  ${sat.rps.toFixed(0)} req/s, split ${row.split?.map((x) => x.toFixed(0)).join('/') ?? 'n/a'} (${row.splitOf ?? '-'}), threads ${row.threadShares.map((x) => x.toFixed(0)).join('/')} %`);
        if (!peer.proc.alive()) throw new Error(`proxy ${peer.proc.exitDescription()} during the run`);
      } catch (e) {
        row.status = 'failed';
        row.reason = errMsg(e);
        ctx.log(`  FAILED: ${row.reason.split('\n')[0]}`);
      } finally {
        await peer?.stop();
      }
    }
  } finally {
    await upstream.stop();
  }
  for (const r of rows) {
    const one = rows.find((x) => x.engine === r.engine && x.workers === 1 && x.status === 'ok');
    r.scaling = r.status === 'ok' && one?.saturation && r.saturation && one.saturation.rps > 0 ? r.saturation.rps / one.saturation.rps : null;
  }
  return section;
}
