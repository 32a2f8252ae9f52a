import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { StatsRegistry } from '../../../core/stats/registry.js';
import { collectStats, flushHistograms } from '../../../core/stats/collect.js';
import { HistogramWriter } from '../../../core/stats/histograms.js';
import { CLUSTER, CLUSTER_H, CODE_BASE_EXTERNAL, CODE_BASE_PLAIN, CODE_MIN, HCM, HCM_H, LISTENER, SERVER } from '../../../core/stats/defs.js';
import {
  parseStatsParams,
  renderStatsJson,
  renderStatsText,
  selectStats,
  statsWanted,
  type StatsParams,
} from '../../../core/stats/render.js';
import { renderPrometheus, tokenCompare } from '../../../core/stats/render-prometheus.js';
import { extractTags } from '../../../core/stats/render-tags.js';
import { formatFmt, formatG, formatShortest, jsonDouble } from '../../../core/stats/render-numbers.js';
import { fixtureSnapshot } from './fixture.js';

const snap = fixtureSnapshot();

/** Two workers (rows 0 and 1) plus the admin thread (row 2), with a little traffic. */
function scenario(): StatsRegistry {
  const r = new StatsRegistry(3);
  r.prepare(snap);
  const c1 = r.get('cluster.service1')!;
  c1.row(0)[CLUSTER.upstream_rq_total] = 2;
  c1.row(1)[CLUSTER.upstream_rq_total] = 1;
  c1.row(0)[CODE_BASE_PLAIN + 200 - CODE_MIN] = 2;
  c1.row(1)[CODE_BASE_PLAIN + 200 - CODE_MIN] = 1;
  c1.row(1)[CODE_BASE_EXTERNAL + 200 - CODE_MIN] = 3;
  c1.row(0)[CLUSTER['external.upstream_rq_2xx']] = 3;
  c1.row(2)[CLUSTER.membership_total] = 1;
  r.get('http.ingress_http')!.row(0)[HCM.downstream_rq_5xx] = 2;
  const l = r.get('listener.0.0.0.0_8080')!;
  l.row(0)[LISTENER.downstream_cx_total] = 1;
  l.row(1)[LISTENER.downstream_cx_total] = 2;
  r.get('server')!.row(2)[SERVER['server.uptime']] = 12;
  const w = new HistogramWriter(r.histograms.get('cluster.service1')!, 0);
  for (let i = 0; i < 4; i++) w.record(CLUSTER_H.upstream_rq_time, 10);
  return r;
}

function params(q: Record<string, string> = {}): StatsParams {
  const p = parseStatsParams(new Map(Object.entries(q)));
  if ('status' in p) throw new Error(p.body);
  return p;
}

function text(r: StatsRegistry, q: Record<string, string> = {}): string {
  const p = params(q);
  return renderStatsText(selectStats(collectStats(r, snap, statsWanted(p)), p), p);
}

function json(r: StatsRegistry, q: Record<string, string> = {}): { stats: Record<string, unknown>[] } {
  const p = params({ ...q, format: 'json' });
  return JSON.parse(renderStatsJson(selectStats(collectStats(r, snap, statsWanted(p)), p), p));
}

function prom(r: StatsRegistry, q: Record<string, string> = {}): string {
  const p = params({ ...q, format: 'prometheus' });
  return renderPrometheus(collectStats(r, snap, statsWanted(p)), p);
}

test('number formats: %g, fmt {} and to_chars shortest', () => {
  assert.equal(formatG(0.5), '0.5');
  assert.equal(formatG(99.9), '99.9');
  assert.equal(formatG(300000), '300000');
  assert.equal(formatG(1800000), '1.8e+06');
  assert.equal(formatG(0.00001), '1e-05');
  assert.equal(formatG(3600000, 32), '3600000');
  assert.equal(formatG(0.1, 32), '0.10000000000000000555111512312578');
  assert.equal(formatG(546, 32), '546');
  assert.equal(formatFmt(1.05), '1.05');
  assert.equal(formatFmt(3), '3');
  assert.equal(formatFmt(NaN), 'nan');
  assert.equal(formatFmt(1e16), '1e+16');
  assert.equal(formatFmt(0.0001), '0.0001');
  assert.equal(formatShortest(300000), '3e+05');
  assert.equal(formatShortest(3600000), '3600000');
  assert.equal(formatShortest(0.5), '0.5');
  assert.equal(formatShortest(12.25), '12.25');
  assert.equal(jsonDouble(NaN), 'null');
});

test('text: `name: value` lines in byte order, counters and gauges interleaved, histograms last', () => {
  const out = text(scenario());
  const lines = out.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  const firstHist = lines.findIndex((l) => / P0\(|No recorded values$/.test(l));
  const scalars = lines.slice(0, firstHist);
  assert.deepEqual([...scalars].sort((a, b) => (a.split(': ')[0] < b.split(': ')[0] ? -1 : 1)), scalars);
  for (const l of scalars) assert.match(l, /^[^ :]+: -?\d+$/);
  assert.ok(scalars.includes('cluster.service1.upstream_rq_total: 3'));
  assert.ok(scalars.includes('cluster.service1.upstream_rq_200: 3'));
  assert.ok(scalars.includes('cluster.service1.external.upstream_rq_200: 3'));
  assert.ok(scalars.includes('cluster.service1.membership_total: 1'));
  assert.ok(scalars.includes('http.ingress_http.downstream_rq_5xx: 2'));
  assert.ok(scalars.includes('listener.0.0.0.0_8080.worker_1.downstream_cx_total: 2'));
  assert.ok(scalars.includes('server.uptime: 12'));
  assert.ok(scalars.includes('http2.rx_reset: 0'));
  const hists = lines.slice(firstHist);
  assert.deepEqual([...hists].sort(), hists);
  assert.ok(hists.includes('cluster.service1.upstream_cx_connect_ms: No recorded values'));
  assert.ok(
    hists.includes(
      'cluster.service1.upstream_rq_time: P0(nan,10) P25(nan,10) P50(nan,10) P75(nan,10) P90(nan,10) P95(nan,10) ' +
        'P99(nan,10) P99.5(nan,10) P99.9(nan,10) P100(nan,10)',
    ),
  );
});

test('text: interval quantiles come from the last flush', () => {
  const r = scenario();
  flushHistograms(r);
  const w = new HistogramWriter(r.histograms.get('cluster.service1')!, 1);
  w.record(CLUSTER_H.upstream_rq_time, 200);
  const line = text(r, { filter: 'upstream_rq_time$' });
  assert.equal(
    line,
    'cluster.service1.upstream_rq_time: P0(10,10) P25(10,10) P50(10,10) P75(10,10) P90(10,200) P95(10,200) ' +
      'P99(10,200) P99.5(10,200) P99.9(10,200) P100(10,200)\n',
  );
});

test('text: histogram_buckets=cumulative and disjoint', () => {
  const r = scenario();
  flushHistograms(r);
  const w = new HistogramWriter(r.histograms.get('cluster.service1')!, 1);
  w.record(CLUSTER_H.upstream_rq_time, 40);
  assert.equal(
    text(r, { filter: 'service1.upstream_rq_time$', histogram_buckets: 'cumulative' }),
    'cluster.service1.upstream_rq_time: B0.5(0,0) B1(0,0) B5(0,0) B10(4,4) B25(4,4) B50(4,5) B100(4,5) B250(4,5) ' +
      'B500(4,5) B1000(4,5) B2500(4,5) B5000(4,5) B10000(4,5) B30000(4,5) B60000(4,5) B300000(4,5) B600000(4,5) ' +
      'B1.8e+06(4,5) B3.6e+06(4,5)\n',
  );
  assert.equal(
    text(r, { filter: 'service1.upstream_rq_time$', histogram_buckets: 'disjoint' }),
    'cluster.service1.upstream_rq_time: B0.5(0,0) B1(0,0) B5(0,0) B10(4,4) B25(0,0) B50(0,1) B100(0,0) B250(0,0) ' +
      'B500(0,0) B1000(0,0) B2500(0,0) B5000(0,0) B10000(0,0) B30000(0,0) B60000(0,0) B300000(0,0) B600000(0,0) ' +
      'B1.8e+06(0,0) B3.6e+06(0,0)\n',
  );
  assert.equal(
    text(r, { filter: 'service1.upstream_cx_connect_ms$', histogram_buckets: 'cumulative' }),
    'cluster.service1.upstream_cx_connect_ms: No recorded values\n',
  );
});

test('filter is an RE2 partial match; usedonly keeps written stats; type= selects kinds', () => {
  const r = scenario();
  assert.equal(text(r, { filter: 'service1\\.upstream_rq_\\d+$' }), 'cluster.service1.upstream_rq_200: 3\n');
  assert.equal(text(r, { filter: 'server.uptime' }), 'server.uptime: 12\n');
  assert.equal(text(r, { filter: '^uptime' }), '');
  const used = text(r, { usedonly: '' }).trim().split('\n');
  assert.deepEqual(used, [
    'cluster.service1.external.upstream_rq_200: 3',
    'cluster.service1.external.upstream_rq_2xx: 3',
    'cluster.service1.membership_total: 1',
    'cluster.service1.upstream_rq_200: 3',
    'cluster.service1.upstream_rq_total: 3',
    'http.ingress_http.downstream_rq_5xx: 2',
    'listener.0.0.0.0_8080.downstream_cx_total: 3',
    'listener.0.0.0.0_8080.worker_0.downstream_cx_total: 1',
    'listener.0.0.0.0_8080.worker_1.downstream_cx_total: 2',
    'server.uptime: 12',
    'cluster.service1.upstream_rq_time: P0(nan,10) P25(nan,10) P50(nan,10) P75(nan,10) P90(nan,10) P95(nan,10) P99(nan,10) P99.5(nan,10) P99.9(nan,10) P100(nan,10)',
  ]);
  assert.equal(text(r, { filter: 'membership_total|uptime', type: 'Gauges' }), 'cluster.service1.membership_total: 1\ncluster.svc2.membership_total: 0\nserver.uptime: 12\n');
  assert.equal(text(r, { filter: 'upstream_rq_total', type: 'Counters' }), 'cluster.service1.upstream_rq_total: 3\ncluster.svc2.upstream_rq_total: 0\n');
  const h = text(r, { type: 'Histograms' }).trim().split('\n');
  assert.ok(h.length > 5 && h.every((l) => / P0\(|No recorded values$/.test(l)));
  assert.equal(text(r, { type: 'TextReadouts' }), '');
});

test('bad parameters are refused as Envoy refuses them', () => {
  const bad = (q: Record<string, string>) => parseStatsParams(new Map(Object.entries(q)));
  assert.deepEqual(bad({ filter: '(' }), { status: 400, body: 'Invalid re2 regex' });
  assert.deepEqual(bad({ filter: '(?<=a)b' }), { status: 400, body: 'Invalid re2 regex' }, 'lookbehind is not RE2');
  assert.deepEqual(bad({ filter: 'a\\1' }), { status: 400, body: 'Invalid re2 regex' }, 'backreferences are not RE2');
  assert.ok(!('status' in bad({ filter: '(a|b){1,50}c{3}[[:alpha:]]' })), 'a large but valid program is fine');
  assert.deepEqual(bad({ histogram_buckets: 'x' }), { status: 400, body: 'usage: /stats?histogram_buckets=(cumulative|disjoint|none)\n' });
  assert.deepEqual(bad({ type: 'counters' }), { status: 400, body: 'invalid &type= param' });
  assert.deepEqual(bad({ format: 'xml' }), { status: 400, body: 'usage: /stats?format=(html|active-html|json|prometheus|text)\n\n' });
  assert.equal((bad({ format: 'html' }) as { status: number }).status, 400);
  const empty = bad({ format: '', histogram_buckets: '' }) as StatsParams;
  assert.equal(empty.format, 'text');
  assert.equal(empty.histogramBuckets, 'none');
});

test('json: Envoy stats shape with supported and computed quantiles (null when empty)', () => {
  const r = scenario();
  const j = json(r);
  const scalars = j.stats.filter((s) => 'name' in s);
  const histEntry = j.stats.at(-1) as { histograms: { supported_quantiles: number[]; computed_quantiles: { name: string; values: { cumulative: number | null; interval: number | null }[] }[] } };
  assert.deepEqual(scalars.find((s) => s.name === 'cluster.service1.upstream_rq_total'), { name: 'cluster.service1.upstream_rq_total', value: 3 });
  assert.deepEqual(histEntry.histograms.supported_quantiles, [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100]);
  const rq = histEntry.histograms.computed_quantiles.find((h) => h.name === 'cluster.service1.upstream_rq_time')!;
  assert.equal(rq.values.length, 10);
  assert.deepEqual(rq.values[0], { cumulative: 10, interval: null });
  const connect = histEntry.histograms.computed_quantiles.find((h) => h.name === 'cluster.service1.upstream_cx_connect_ms')!;
  assert.deepEqual(connect.values[9], { cumulative: null, interval: null });
  const names = scalars.map((s) => s.name as string);
  assert.deepEqual([...names].sort(), names);
  // Only scalars when no histogram matches; an object per scalar.
  const p = params({ format: 'json', filter: 'server.uptime' });
  assert.equal(renderStatsJson(selectStats(collectStats(r, snap, statsWanted(p)), p), p), '{"stats":[{"name":"server.uptime","value":12}]}');
});

test('json: histogram_buckets=cumulative lists buckets per histogram', () => {
  const r = scenario();
  const j = json(r, { filter: 'service1.upstream_rq_time$', histogram_buckets: 'cumulative' });
  const h = (j.stats[0] as { histograms: { name: string; buckets: { upper_bound: number; interval: number; cumulative: number }[] }[] }).histograms;
  assert.equal(h.length, 1);
  assert.equal(h[0].name, 'cluster.service1.upstream_rq_time');
  assert.equal(h[0].buckets.length, 19);
  assert.deepEqual(h[0].buckets[3], { upper_bound: 10, interval: 0, cumulative: 4 });
  assert.equal(h[0].buckets[15].upper_bound, 300000);
});

test('tag extraction follows Envoy\'s default extractors', () => {
  const cases: [string, string, [string, string][]][] = [
    ['cluster.s.upstream_rq_200', 'cluster.upstream_rq', [['envoy.response_code', '200'], ['envoy.cluster_name', 's']]],
    ['cluster.s.external.upstream_rq_2xx', 'cluster.external.upstream_rq_xx', [['envoy.response_code_class', '2'], ['envoy.cluster_name', 's']]],
    ['cluster.s.internal.upstream_rq_503', 'cluster.internal.upstream_rq', [['envoy.response_code', '503'], ['envoy.cluster_name', 's']]],
    ['http.ingress_http.downstream_rq_5xx', 'http.downstream_rq_xx', [['envoy.response_code_class', '5'], ['envoy.http_conn_manager_prefix', 'ingress_http']]],
    ['http.admin.downstream_rq_total', 'http.downstream_rq_total', [['envoy.http_conn_manager_prefix', 'admin']]],
    ['listener.0.0.0.0_8080.downstream_cx_total', 'listener.downstream_cx_total', [['envoy.listener_address', '0.0.0.0_8080']]],
    ['listener.[__]_80.downstream_cx_total', 'listener.downstream_cx_total', [['envoy.listener_address', '[__]_80']]],
    ['listener.my_prefix.downstream_cx_total', 'listener.downstream_cx_total', [['envoy.listener_address', 'my_prefix']]],
    [
      'listener.0.0.0.0_8080.worker_1.downstream_cx_active',
      'listener.worker_downstream_cx_active',
      [['envoy.worker_id', '1'], ['envoy.listener_address', '0.0.0.0_8080']],
    ],
    ['listener.0.0.0.0_8443.ssl.versions.TLSv1.2', 'listener.ssl.versions', [['envoy.ssl_version', 'TLSv1.2'], ['envoy.listener_address', '0.0.0.0_8443']]],
    ['listener.admin.downstream_cx_total', 'listener.admin.downstream_cx_total', []],
    ['listener.admin.main_thread.downstream_cx_active', 'listener.admin.main_thread.downstream_cx_active', []],
    ['server.uptime', 'server.uptime', []],
    ['cluster_manager.active_clusters', 'cluster_manager.active_clusters', []],
    ['cluster.svc2.health_check.attempt', 'cluster.health_check.attempt', [['envoy.cluster_name', 'svc2']]],
    ['cluster.s.circuit_breakers.default.cx_open', 'cluster.circuit_breakers.default.cx_open', [['envoy.cluster_name', 's']]],
    ['http2.rx_reset', 'http2.rx_reset', []],
  ];
  for (const [name, extracted, tags] of cases) {
    const x = extractTags(name);
    assert.equal(x.name, extracted, name);
    assert.deepEqual(x.tags, tags, name);
  }
});

test('prometheus: families by tag-extracted name, counters then gauges then histograms', () => {
  const out = prom(scenario());
  assert.ok(
    out.includes(
      '# TYPE envoy_cluster_upstream_rq counter\nenvoy_cluster_upstream_rq{envoy_response_code="200",envoy_cluster_name="service1"} 3\n\n',
    ),
  );
  assert.ok(
    out.includes(
      '# TYPE envoy_cluster_external_upstream_rq_xx counter\n' +
        'envoy_cluster_external_upstream_rq_xx{envoy_response_code_class="2",envoy_cluster_name="service1"} 3\n\n',
    ),
  );
  assert.ok(
    out.includes(
      '# TYPE envoy_cluster_upstream_rq_total counter\n' +
        'envoy_cluster_upstream_rq_total{envoy_cluster_name="service1"} 3\n' +
        'envoy_cluster_upstream_rq_total{envoy_cluster_name="svc2"} 0\n\n',
    ),
  );
  assert.ok(
    out.includes(
      '# TYPE envoy_listener_worker_downstream_cx_total counter\n' +
        'envoy_listener_worker_downstream_cx_total{envoy_worker_id="0",envoy_listener_address="0.0.0.0_8080"} 1\n' +
        'envoy_listener_worker_downstream_cx_total{envoy_worker_id="1",envoy_listener_address="0.0.0.0_8080"} 2\n' +
        'envoy_listener_worker_downstream_cx_total{envoy_worker_id="0",envoy_listener_address="0.0.0.0_8443"} 0\n' +
        'envoy_listener_worker_downstream_cx_total{envoy_worker_id="1",envoy_listener_address="0.0.0.0_8443"} 0\n\n',
    ),
  );
  assert.ok(out.includes('# TYPE envoy_server_uptime gauge\nenvoy_server_uptime{} 12\n\n'));
  assert.ok(out.includes('# TYPE envoy_listener_admin_downstream_cx_total counter\nenvoy_listener_admin_downstream_cx_total{} 0\n\n'));
  const rqTime =
    '# TYPE envoy_cluster_upstream_rq_time histogram\n' +
    [0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
      .map((n, i) => {
        const le = ['0.5', '1', '5', '10', '25', '50', '100', '250', '500', '1000', '2500', '5000', '10000', '30000', '60000', '300000', '600000', '1800000', '3600000'][i];
        return `envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="service1",le="${le}"} ${n}\n`;
      })
      .join('') +
    'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="service1",le="+Inf"} 4\n' +
    'envoy_cluster_upstream_rq_time_sum{envoy_cluster_name="service1"} 40\n' +
    'envoy_cluster_upstream_rq_time_count{envoy_cluster_name="service1"} 4\n\n';
  assert.ok(out.includes(rqTime));
  // Section order: every counter family, then every gauge family, then every histogram family.
  const types = [...out.matchAll(/^# TYPE \S+ (\w+)$/gm)].map((m) => m[1]);
  const firstGauge = types.indexOf('gauge');
  const firstHist = types.indexOf('histogram');
  assert.ok(firstGauge > 0 && firstHist > firstGauge);
  assert.ok(types.slice(0, firstGauge).every((t) => t === 'counter'));
  assert.ok(types.slice(firstGauge, firstHist).every((t) => t === 'gauge'));
  assert.ok(types.slice(firstHist).every((t) => t === 'histogram'));
  const names = [...out.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
  assert.equal(new Set(names).size, names.length, 'one TYPE line per family');
  // Family order is the symbol table's (token-wise) order: cluster.* before cluster_manager.*.
  assert.ok(names.indexOf('envoy_cluster_upstream_rq_total') < names.indexOf('envoy_cluster_manager_active_clusters'));
  assert.ok(tokenCompare('cluster.z', 'cluster_manager.a') < 0);
  assert.ok(tokenCompare('a.b', 'a') > 0);
});

test('prometheus: filter and usedonly', () => {
  const r = scenario();
  assert.equal(
    prom(r, { filter: 'upstream_rq_total', usedonly: '' }),
    '# TYPE envoy_cluster_upstream_rq_total counter\nenvoy_cluster_upstream_rq_total{envoy_cluster_name="service1"} 3\n\n',
  );
  assert.equal(prom(r, { filter: 'nothing-matches-this' }), '');
  const hist = prom(r, { filter: 'admin.downstream_rq_time$' });
  assert.ok(hist.startsWith('# TYPE envoy_http_downstream_rq_time histogram\nenvoy_http_downstream_rq_time_bucket{envoy_http_conn_manager_prefix="admin",le="0.5"} 0\n'));
  assert.ok(hist.endsWith('envoy_http_downstream_rq_time_sum{envoy_http_conn_manager_prefix="admin"} 0\nenvoy_http_downstream_rq_time_count{envoy_http_conn_manager_prefix="admin"} 0\n\n'));
});

test('prometheus output passes promtool check metrics', (t) => {
  const r = scenario();
  const w = new HistogramWriter(r.histograms.get('http.ingress_http')!, 1);
  w.record(HCM_H.downstream_rq_time, 0.25);
  w.record(HCM_H.downstream_rq_time, 3_000_000);
  r.get('listener.0.0.0.0_8443')!.row(0)[LISTENER.downstream_cx_total] = 1;
  const out = prom(r);
  const res = spawnSync('promtool', ['check', 'metrics'], { input: out, encoding: 'utf8', timeout: 60_000 });
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT') {
    t.skip('promtool is not installed (Debian package "prometheus"); cannot check the exposition format');
    return;
  }
  const report = `${res.stdout}${res.stderr}`;
  // Exit 3 means lint findings only; Envoy's own output has the same ones (no HELP lines, counters
  // without _total, `_ms` units). Parse errors exit 1 and print "error while linting".
  assert.ok(res.status === 0 || res.status === 3, `promtool exit ${res.status}: ${report}`);
  assert.doesNotMatch(report, /error while linting|parsing error/);
  const allowed = [
    /no help text$/,
    /counter metrics should have "_total" suffix$/,
    /non-histogram and non-summary metrics should not have "_count" suffix$/,
    /non-counter metrics should not have "_total" suffix$/,
    /metric names should not contain abbreviated units$/,
    /use base unit "seconds" instead of "days"$/,
  ];
  for (const line of report.split('\n').filter((l) => l.trim() !== '')) {
    assert.ok(allowed.some((a) => a.test(line)), `unexpected promtool finding: ${line}`);
  }
});
