// Scenario "connections": memory per idle keep-alive connection. Each proxy (nuncio's two engines,
// nginx, HAProxy) is started pinned with one worker, warmed up, then a client opens N connections,
// makes one request on each and leaves them open; the proxy's RSS growth divided by N is the figure.
// A second request round on every connection checks they really were kept alive.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sleep } from '../lib/net.js';
import { processTree, readMemory } from '../lib/proc.js';
import { startProc } from '../lib/spawn.js';
import type { ConnectionsRow, ConnectionsSection } from '../lib/types.js';
import { runWrk } from '../loadgen/wrk.js';
import { haproxyPeer } from '../peers/haproxy.js';
import { nginxPeer } from '../peers/nginx.js';
import { nuncioPeer } from '../peers/nuncio.js';
import type { Peer, RunningPeer } from '../peers/peer.js';
import { startUpstream, type Upstream } from '../peers/upstream.js';
import { errMsg, type Ctx } from './measure.js';

const CLIENT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../loadgen/idle-conns-main.js');

interface Spec {
  readonly id: string;
  readonly proxy: string;
  readonly engine: string;
  readonly peer: Peer;
}

export const CONNECTIONS_ROWS: readonly Spec[] = [
  { id: 'conn-nginx', proxy: 'nginx', engine: 'nginx', peer: nginxPeer },
  { id: 'conn-haproxy', proxy: 'HAProxy', engine: 'HAProxy', peer: haproxyPeer },
  { id: 'conn-nuncio-uws', proxy: 'nuncio', engine: 'HTTP1 listener (uWebSockets.js)', peer: nuncioPeer('HTTP1') },
  { id: 'conn-nuncio-node', proxy: 'nuncio', engine: 'AUTO listener (node engine)', peer: nuncioPeer('AUTO') },
];

function treeRssKb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) kb += readMemory(p)?.rssKb ?? 0;
  return kb;
}

interface Sample {
  target: number;
  opened: number;
  stillOpen: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  kbPerConnection: number | undefined;
  openSeconds: number;
  failedRequests: number;
  reason: string | undefined;
}

async function measure(ctx: Ctx, peer: RunningPeer, wrk: boolean, logDir: string): Promise<Sample> {
  const p = ctx.plan;
  // Warm-up: let the proxy reach its steady allocations (JIT, pools, buffers) before the baseline.
  if (wrk && !p.quick) await runWrk({ url: `http://127.0.0.1:${peer.port}/service/1`, connections: 10, threads: 1, durationS: 1, cpus: p.loadCpus, logDir });
  await sleep(500);
  const before = treeRssKb(peer.proc.pid);
  const client = startProc('idle-conns', process.execPath, [CLIENT, JSON.stringify({ host: '127.0.0.1', port: peer.port, path: '/service/1', count: p.idleConnections, parallel: 128 })], {
    cpus: p.loadCpus,
    logDir,
    stdin: true,
  });
  try {
    const ready = JSON.parse((await client.waitFor(/IDLE_READY (\{.*\})/, 180_000))[1]) as {
      connected: number; connectFailed: number; failed: number; open: number; connectedMs: number; readyMs: number;
    };
    const after = treeRssKb(peer.proc.pid);
    client.child.stdin!.write('again\n');
    const again = JSON.parse((await client.waitFor(/IDLE_AGAIN (\{.*\})/, 180_000))[1]) as { ok: number; failed: number; closed: number };
    const sample: Sample = {
      target: p.idleConnections,
      opened: ready.open,
      stillOpen: again.ok,
      rssBeforeMb: before / 1024,
      rssAfterMb: after / 1024,
      kbPerConnection: ready.open > 0 ? (after - before) / ready.open : undefined,
      openSeconds: ready.readyMs / 1000,
      failedRequests: ready.connectFailed + ready.failed + again.failed,
      reason: undefined,
    };
    const notes: string[] = [];
    if (sample.failedRequests > 0) notes.push(`${ready.connectFailed} connects, ${ready.failed} first requests and ${again.failed} second requests failed`);
    const closed = ready.connected - ready.open + again.closed;
    if (closed > 0) notes.push(`${closed} idle connections closed by the proxy (opening took ${sample.openSeconds.toFixed(1)} s)`);
    if (notes.length > 0) sample.reason = notes.join('; ');
    ctx.log(`  ${ready.open} open after ${sample.openSeconds.toFixed(1)} s, RSS ${sample.rssBeforeMb.toFixed(1)} → ${sample.rssAfterMb.toFixed(1)} MiB, ${sample.kbPerConnection?.toFixed(2)} KiB/conn, ${again.ok} served again${sample.reason ? ` (${sample.reason})` : ''}`);
    return sample;
  } finally {
    client.child.stdin!.write('close\n');
    await Promise.race([client.exited, sleep(5000)]);
    await client.stop(1000);
  }
}

/** The row from its rounds: the round with the median KiB per connection, the spread over all rounds. */
function summarize(row: ConnectionsRow, samples: readonly Sample[]): void {
  const measured = samples.filter((x) => x.kbPerConnection !== undefined).sort((x, y) => x.kbPerConnection! - y.kbPerConnection!);
  const mid = measured.length > 0 ? measured[(measured.length - 1) >> 1] : samples[0];
  row.target = mid.target;
  row.opened = Math.min(...samples.map((x) => x.opened));
  row.stillOpen = Math.min(...samples.map((x) => x.stillOpen));
  row.rssBeforeMb = mid.rssBeforeMb;
  row.rssAfterMb = mid.rssAfterMb;
  row.kbPerConnection = mid.kbPerConnection;
  row.kbRuns = measured.map((x) => x.kbPerConnection!);
  row.openSeconds = mid.openSeconds;
  row.failedRequests = samples.reduce((n, x) => n + x.failedRequests, 0);
  const reasons = samples.map((x) => x.reason).filter((x): x is string => x !== undefined);
  if (reasons.length > 0) row.reason = reasons.join('; ');
}

export async function runConnections(ctx: Ctx, tools: { wrk: boolean }): Promise<ConnectionsSection> {
  const p = ctx.plan;
  const dir = path.join(p.runDir, 'connections');
  const rows: ConnectionsRow[] = CONNECTIONS_ROWS.map((s) => ({ id: s.id, label: `${s.proxy} (${s.engine})`, proxy: s.proxy, engine: s.engine, status: 'ok' }));
  // RSS growth over 10,000 connections moves by up to ~2 KiB per connection between runs of a garbage-
  // collected proxy (where its heap stood at the baseline): rounds alternate the rows, the median counts.
  const rounds = p.quick ? 1 : 3;
  const samples: Sample[][] = rows.map(() => []);
  let upstream: Upstream;
  try {
    upstream = await startUpstream(path.join(dir, 'upstream'), p.loadCpus);
  } catch (e) {
    for (const r of rows) {
      r.status = 'failed';
      r.reason = `upstream did not start: ${errMsg(e)}`;
    }
    return { rows };
  }
  try {
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < CONNECTIONS_ROWS.length; i++) {
        const spec = CONNECTIONS_ROWS[i];
        const row = rows[i];
        if (row.status !== 'ok') continue;
        const missing = spec.peer.missing();
        if (missing !== null) {
          row.status = 'missing';
          row.reason = missing;
          continue;
        }
        ctx.log(`connections ${spec.id}: ${p.idleConnections} idle connections (round ${round + 1} of ${rounds})`);
        let peer: RunningPeer | null = null;
        try {
          const rowDir = path.join(dir, spec.id, `round-${round + 1}`);
          peer = await spec.peer.start({
            port: await freePort(), downstream: 'h1', upstream: 'h1', upstreamAddress: upstream.address, workers: 1, cpus: p.proxyCpus, dir: rowDir,
          });
          samples[i].push(await measure(ctx, peer, tools.wrk, rowDir));
          if (!peer.proc.alive()) throw new Error(`proxy ${peer.proc.exitDescription()} during the run`);
        } catch (e) {
          row.status = 'failed';
          row.reason = errMsg(e);
          ctx.log(`  FAILED: ${row.reason.split('\n')[0]}`);
        } finally {
          await peer?.stop();
        }
      }
    }
  } finally {
    await upstream.stop();
  }
  rows.forEach((r, i) => {
    if (r.status === 'ok' && samples[i].length > 0) summarize(r, samples[i]);
  });
  const nginx = rows.find((r) => r.proxy === 'nginx' && r.status === 'ok');
  for (const r of rows) {
    r.vsNginx = r.status === 'ok' && r.kbPerConnection !== undefined && nginx?.kbPerConnection ? r.kbPerConnection / nginx.kbPerConnection : null;
  }
  return { rows };
}
