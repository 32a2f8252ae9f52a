// Issue 7's targets, judged on one run's results: each is a figure, the limit it must meet, and
// whether it did ('n/a' when a row it needs is missing or failed).
import type { ConnectionsSection, FrontRow, FrontSection, Latency, Results, WorkersSection } from './types.js';
import { isSkipped } from './types.js';

export interface Target {
  readonly target: string;
  readonly figure: number | null;
  readonly limit: number;
  /** How figure and limit read ('×' ratio or plain). */
  readonly unit: string;
  readonly met: boolean | null;
  readonly note?: string;
}

function row(f: FrontSection | undefined, id: string): FrontRow | undefined {
  return f?.rows.find((r) => r.id === id && r.status === 'ok');
}

function cpu(f: FrontSection | undefined, id: string): number | null {
  const v = row(f, id)?.saturation?.cpuUsPerReq;
  return v !== undefined && Number.isFinite(v) ? v : null;
}

function atMost(target: string, figure: number | null, limit: number, unit: string, note?: string): Target {
  return { target, figure, limit, unit, met: figure === null ? null : figure <= limit, note };
}

function cpuRatio(f: FrontSection | undefined, a: string, b: string): number | null {
  const x = cpu(f, a);
  const y = cpu(f, b);
  return x !== null && y !== null && y > 0 ? x / y : null;
}

function p99(l: Latency | { skipped: string } | undefined): number | null {
  return l !== undefined && !isSkipped(l) ? l.corrected.p99 : null;
}

export function targets(r: Results): Target[] {
  const f = r.scenarios.front;
  const w: WorkersSection | undefined = r.scenarios.workers;
  const c: ConnectionsSection | undefined = r.scenarios.connections;
  const out: Target[] = [];
  if (f !== undefined) {
    out.push(atMost('HTTP1 listener, HTTP/1.1 upstream: CPU/request vs nginx', cpuRatio(f, 'nuncio-uws-h1-h1', 'nginx-h1-h1'), 1.25, '×'));
    out.push(atMost('HTTP1 listener, HTTP/2 upstream: CPU/request vs HAProxy h1→h2', cpuRatio(f, 'nuncio-uws-h1-h2', 'haproxy-h1-h2'), 1.25, '×'));
    out.push(atMost('AUTO listener, HTTP/1.1 clients: CPU/request vs nginx', cpuRatio(f, 'nuncio-node-h1-h1', 'nginx-h1-h1'), 1.6, '×'));
    const nginxP99 = p99(row(f, 'nginx-h1-h1')?.latencyHalfNginx);
    for (const id of ['nuncio-uws-h1-h1', 'nuncio-node-h1-h1']) {
      const mine = row(f, id);
      const lat = mine?.latencyHalfNginx;
      const v = p99(lat);
      const note = lat !== undefined && isSkipped(lat) ? lat.skipped : undefined;
      out.push(atMost(`${id}: p99 at half nginx's saturation rate vs nginx's p99`, v !== null && nginxP99 !== null && nginxP99 > 0 ? v / nginxP99 : null, 2, '×', note));
    }
  }
  if (w !== undefined) {
    for (const engine of ['uws', 'node']) {
      const two = w.rows.find((x) => x.id === `workers-${engine}-2` && x.status === 'ok');
      const scaling = two?.scaling ?? null;
      out.push({
        target: `${engine === 'uws' ? 'HTTP1' : 'AUTO'} listener: 2 workers' req/s vs 1 worker's`,
        figure: scaling, limit: 1.8, unit: '×', met: scaling === null ? null : scaling >= 1.8,
        note: 'at least; on this 2-core machine wrk and the upstream share the cores with the workers',
      });
      const split = two?.split ?? null;
      const max = split !== null && split.length > 0 ? Math.max(...split) : null;
      out.push(atMost(`${engine === 'uws' ? 'HTTP1' : 'AUTO'} listener: busiest of 2 workers' share (${two?.splitOf ?? 'n/a'})`, max, 60, '%'));
    }
  }
  if (c !== undefined) {
    for (const id of ['conn-nuncio-uws', 'conn-nuncio-node']) {
      const x = c.rows.find((r) => r.id === id && r.status === 'ok');
      out.push(atMost(`${id}: memory per idle connection vs nginx`, x?.vsNginx ?? null, 2, '×'));
    }
  }
  return out;
}
