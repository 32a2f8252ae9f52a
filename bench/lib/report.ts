// The Markdown report of one run (printed at the end and written to latest.md): a loud banner when
// requests failed or rows did not run, then one table per scenario, issue 7's targets, and the
// machine's noise during the run.
import type { Results, FrontRow, Latency, Skipped, Saturation } from './types.js';
import { isSkipped } from './types.js';
import { int, ms, num, pct, proto, ratio } from './format.js';
import { targets } from './targets.js';

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function firstLine(s: string | undefined): string {
  return esc((s ?? '').split('\n')[0].slice(0, 160));
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function lat(l: Latency | Skipped | undefined): string {
  if (l === undefined) return '–';
  if (isSkipped(l)) return `skipped: ${esc(l.skipped)}`;
  const q = l.corrected;
  return `${ms(q.p50)} / ${ms(q.p99)} / ${ms(q.p999)}${l.suspect ? ` (⚠ ${esc(l.suspect)})` : ''}`;
}

function errs(n: number): string {
  return n === 0 ? '0' : `**${int(n)} ⚠**`;
}

function rowErrors(r: FrontRow): number {
  let n = r.saturation?.errors.total ?? 0;
  for (const l of [r.latency, r.latencyHalfNginx]) if (l !== undefined && !isSkipped(l)) n += l.errors.total;
  return n;
}

function cpuCell(s: Saturation | undefined): string {
  if (s === undefined) return '–';
  const sp = s.spreadPct.cpu;
  return `${num(s.cpuUsPerReq)}${sp === null ? '' : ` (±${(sp / 2).toFixed(0)} %)`}`;
}

function notRun(status: string, reason: string | undefined): string {
  return `**${status.toUpperCase()}**: ${firstLine(reason)}`;
}

export function markdown(r: Results): string {
  const out: string[] = [];
  out.push(`# nuncio bench: ${r.date}${r.quick ? ' (--quick: smoke test, figures not meaningful)' : ''}`);
  out.push('');
  const m = r.machine;
  out.push(`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.kernel}, ${int(m.memTotalMb)} MiB; load average ${m.loadavgStart.join(' ')} at start${m.loadavgEnd ? `, ${m.loadavgEnd.join(' ')} at end` : ''}.`);
  out.push('');
  out.push(`Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  out.push('');
  if (r.errors.total > 0) {
    out.push(`> **⚠ ${int(r.errors.total)} REQUESTS FAILED IN THIS RUN** (${Object.entries(r.errors.byRow).filter(([, n]) => n > 0).map(([id, n]) => `${id}: ${int(n)}`).join(', ')}). Figures from rows with failures are suspect.`);
    out.push('');
  }
  const noise = busyMachine(r);
  if (noise !== null) {
    out.push(`> **⚠ THE MACHINE WAS BUSY**: ${noise} Absolute rates and latencies are unreliable; CPU µs per request and the ratios hold up better.`);
    out.push('');
  }
  if (r.problems.length > 0) {
    out.push(`> **⚠ ${r.problems.length} ROW(S) DID NOT RUN**: ${r.problems.map((p) => `${p.id} (${p.status}: ${firstLine(p.reason)})`).join('; ')}`);
    out.push('');
  }
  const f = r.scenarios.front;
  if (f !== undefined) {
    out.push('## Front proxy (scenario "front")');
    out.push('');
    out.push(`${f.pinning}; ${f.connections} keep-alive connections; one worker per proxy. CPU µs/request: median of the runs (± half their spread); ratios to nginx (same client protocol) and HAProxy (same protocol pair). Latency: open loop, from each request's due time, p50 / p99 / p99.9 in ms.`);
    out.push('');
    const rates = f.rates;
    const rateText = (d: 'h1' | 'h2') => `${proto(d)} clients: common rate ${int(rates[d].common)} req/s, half nginx ${int(rates[d].halfNginx)} req/s`;
    out.push(`Fixed rates: ${rateText('h1')}; ${rateText('h2')}.`);
    out.push('');
    out.push(table(
      ['proxy', 'engine', 'client → upstream', 'CPU µs/req', '× nginx', '× HAProxy', 'req/s at saturation', 'proxy CPU', 'latency @ common rate', 'latency @ ½ nginx', 'failed requests'],
      f.rows.map((x) => {
        const head = [esc(x.proxy), esc(x.engine), `${proto(x.downstream)} → ${proto(x.upstream)}`];
        if (x.status !== 'ok') return [...head, notRun(x.status, x.reason), '', '', '', '', '', '', ''];
        const s = x.saturation;
        return [...head, cpuCell(s), ratio(x.vsNginx), ratio(x.vsHaproxy), int(s?.rps), pct(s?.proxyCpuPct), lat(x.latency), lat(x.latencyHalfNginx), errs(rowErrors(x))];
      }),
    ));
    out.push('');
  }
  const t = targets(r);
  if (t.length > 0) {
    out.push('## Issue 7 targets, from this run');
    out.push('');
    out.push(table(['target', 'figure', 'limit', 'met'], t.map((x) => [
      esc(x.target),
      x.unit === '%' ? pct(x.figure) : ratio(x.figure),
      x.unit === '%' ? `${x.limit} %` : `${x.limit}×`,
      `${x.met === null ? 'n/a' : x.met ? 'yes' : '**no**'}${x.note ? ` (${esc(x.note)})` : ''}`,
    ])));
    out.push('');
  }
  const s = r.scenarios.seed;
  if (s !== undefined) {
    out.push('## Seed topology (scenario "seed")');
    out.push('');
    out.push(`${esc(s.setup)}.`);
    out.push('');
    out.push(table(['path', 'req/s at saturation', 'wrk p50 / p99 ms (closed loop)', 'fixed rate', 'latency p50 / p99 / p99.9 ms', 'failed requests'], s.rows.map((x) => {
      if (x.status !== 'ok') return [x.path, notRun(x.status, x.reason), '', '', '', ''];
      const sat = x.saturation!;
      const l = x.latency;
      const n = sat.errors.total + (l !== undefined && !isSkipped(l) ? l.errors.total : 0);
      return [x.path, int(sat.rps), `${ms(sat.closedLoopLatencyMs?.p50)} / ${ms(sat.closedLoopLatencyMs?.p99)}`, l !== undefined && !isSkipped(l) ? `${int(l.rate)} req/s` : '–', lat(l), errs(n)];
    })));
    out.push('');
    const procRows: string[][] = [];
    for (const x of s.rows) {
      if (x.status !== 'ok' || x.saturation === undefined) continue;
      for (const p of x.saturation.processes) {
        const perReq = x.saturation.cpuUsPerReqByRole[p.role];
        procRows.push([x.path, esc(p.role), num(perReq), pct(p.cpuPct), p.peakRssMb > 0 ? num(p.peakRssMb) : '–']);
      }
    }
    if (procRows.length > 0) {
      out.push('Every process in the chain at saturation (CPU over all runs; CPU share and peak RSS from the last):');
      out.push('');
      out.push(table(['path', 'process', 'CPU µs/request', 'CPU (of one core)', 'peak RSS MiB'], procRows));
      out.push('');
    }
  }
  const c = r.scenarios.connections;
  if (c !== undefined) {
    out.push('## Idle keep-alive connections (scenario "connections")');
    out.push('');
    out.push('RSS growth of the proxy over its idle connections; KiB per connection: the median of the rounds (min–max), RSS from the median round.');
    out.push('');
    out.push(table(['proxy', 'engine', 'connections open', 'RSS before MiB', 'RSS after MiB', 'KiB per connection', '× nginx', 'served again', 'failed'], c.rows.map((x) => {
      const head = [esc(x.proxy), esc(x.engine)];
      if (x.status !== 'ok') return [...head, notRun(x.status, x.reason), '', '', '', '', '', ''];
      const opened = `${int(x.opened)} / ${int(x.target)}${x.reason ? ` (${firstLine(x.reason)})` : ''}`;
      const runs = x.kbRuns && x.kbRuns.length > 1 ? ` (${num(x.kbRuns[0], 2)}–${num(x.kbRuns[x.kbRuns.length - 1], 2)})` : '';
      return [...head, opened, num(x.rssBeforeMb), num(x.rssAfterMb), `${num(x.kbPerConnection, 2)}${runs}`, ratio(x.vsNginx), int(x.stillOpen), errs(x.failedRequests ?? 0)];
    })));
    out.push('');
  }
  const w = r.scenarios.workers;
  if (w !== undefined) {
    out.push('## Workers (scenario "workers")');
    out.push('');
    out.push(`${esc(w.setup)}.`);
    out.push('');
    const shares = (xs: readonly number[] | null | undefined) => (xs ? `${xs.map((v) => v.toFixed(0)).join(' / ')} %` : '–');
    out.push(table(['engine', 'workers', 'req/s', '× 1 worker', 'CPU µs/req', 'split over workers', 'connections per worker', 'busiest threads (CPU share)', 'failed requests'], w.rows.map((x) => {
      const head = [esc(x.engine), String(x.workers)];
      if (x.status !== 'ok') return [...head, notRun(x.status, x.reason), '', '', '', '', '', ''];
      const split = x.split ? `${shares(x.split)} of ${x.splitOf}` : `n/a: ${esc(x.splitNote ?? '')}`;
      return [...head, int(x.saturation?.rps), ratio(x.scaling), num(x.saturation?.cpuUsPerReq), split, shares(x.connectionSplit), shares(x.threadShares), errs(x.saturation?.errors.total ?? 0)];
    })));
    const note = w.rows.find((x) => x.splitNote && x.split)?.splitNote;
    if (note) {
      out.push('');
      out.push(`Split: ${esc(note)}.`);
    }
    out.push('');
  }
  const mi = r.scenarios.micro;
  if (mi !== undefined) {
    out.push('## Micro-benchmarks (scenario "micro", tinybench)');
    out.push('');
    const rows: string[][] = [];
    for (const x of mi.rows) {
      if (x.status !== 'ok') {
        rows.push([x.file, notRun(x.status, x.reason), '', '', '']);
        continue;
      }
      for (const t of x.tasks ?? []) rows.push([x.file, esc(t.name), int(t.opsPerSec), num(t.meanNs, 0), `±${t.rmePct.toFixed(1)} %`]);
    }
    out.push(rows.length > 0 ? table(['file', 'task', 'ops/s', 'mean ns', 'margin'], rows) : 'No micro-benchmark files found in dist/bench/micro/.');
    out.push('');
  }
  const so = r.scenarios.soak;
  if (so !== undefined) {
    out.push('## Soak (scenario "soak")');
    out.push('');
    const c = so.counts;
    out.push(
      `${int(so.durationS)} s of mixed traffic (GET 200/404/500, slow, 64 KiB POST) through both listeners, 2 workers, while: ${so.events.map((e) => `${e.atS} s ${esc(e.what)}`).join('; ')}.`,
    );
    out.push('');
    out.push(
      table(
        ['sent', 'answered', '2xx', '4xx', '5xx', 'lost (no response)', 'reloads applied', 'RSS trend, 2nd half', 'verdict'],
        [[int(c.sent), int(c.answered), int(c['2xx']), int(c['4xx']), int(c['5xx']), `${int(c.lost)}${c.lost > 0 ? ` (${esc(JSON.stringify(so.lostReasons))})` : ''}`, `${so.reloadsApplied} (${so.configsSeen.join(', ')})`, `${so.rssSlopeMbPerMin.toFixed(2)} MiB/min (limit ${so.rssGrowthLimitMbPerMin})`, so.verdict === 'pass' ? 'pass' : '**FAIL**']],
      ),
    );
    const odd = Object.entries(so.unexpectedReplies ?? {}).sort((a, b) => b[1] - a[1]);
    const oddTotal = odd.reduce((n, [, k]) => n + k, 0);
    out.push('');
    if (odd.length === 0) out.push('Every 4xx/5xx was the upstream\'s own (`/missing` 404, `/boom` 500): nuncio answered no request with an error of its own.');
    else {
      out.push(`**${int(oddTotal)} answers were errors the upstream does not give on purpose** (${((100 * oddTotal) / Math.max(1, c.answered)).toFixed(2)} % of answered), by status, path and start of body:`);
      out.push('');
      for (const [k, n] of odd.slice(0, 12)) out.push(`- ${int(n)} × ${esc(k)}`);
    }
    const first = so.rssMb[0]?.[1];
    const last = so.rssMb[so.rssMb.length - 1]?.[1];
    if (first !== undefined && last !== undefined) out.push(`\nRSS: ${first} MiB at the start, ${last} MiB at the end (${so.rssMb.length} samples, one a second).`);
    out.push('');
  }
  const noiseText = noiseLine(r);
  if (noiseText !== null) {
    out.push(`Machine noise: ${noiseText}`);
    out.push('');
  }
  if (r.elapsedS !== undefined) out.push(`Run took ${int(r.elapsedS)} s.`);
  return out.join('\n');
}

/** Other programs took more than a fifth of a core on median during the front rows: say so up front. */
function busyMachine(r: Results): string | null {
  const xs = (r.scenarios.front?.rows ?? []).filter((x) => x.saturation !== undefined).map((x) => x.saturation!.foreignCpuPct).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const median = xs[xs.length >> 1];
  return median > 20 ? `other programs took ${median.toFixed(0)} % of a core (median over the front rows' runs) while the proxies were measured.` : null;
}

function noiseLine(r: Results): string | null {
  const f = r.scenarios.front;
  if (f === undefined) return null;
  const xs = f.rows.filter((x) => x.saturation !== undefined).map((x) => x.saturation!.foreignCpuPct);
  const spreads = f.rows.map((x) => x.saturation?.spreadPct.cpu).filter((x): x is number => typeof x === 'number');
  if (xs.length === 0) return null;
  const parts = [`other programs used ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} % of one core during the front rows' saturation runs`];
  if (spreads.length > 0) parts.push(`CPU µs/request varied by ${Math.min(...spreads).toFixed(0)}–${Math.max(...spreads).toFixed(0)} % (max − min over median) between repeats of a row`);
  return `${parts.join('; ')}.`;
}
