import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsRegistry } from '../../../core/stats/registry.js';
import { collectStats, flushHistograms, isCounterSlot, resetCounters, type CollectedStats } from '../../../core/stats/collect.js';
import { HistogramWriter } from '../../../core/stats/histograms.js';
import {
  CLUSTER,
  CLUSTER_H,
  CODE_BASE_EXTERNAL,
  CODE_BASE_INTERNAL,
  CODE_BASE_PLAIN,
  CODE_MIN,
  CODEC,
  HC_BASE,
  HCM,
  HEALTH_CHECK,
  LISTENER,
  LISTENER_TLS_BASE,
  LISTENER_TLS_LIST,
  SERVER,
} from '../../../core/stats/defs.js';
import { fixtureSnapshot } from './fixture.js';

const snap = fixtureSnapshot();

/** Two workers (rows 0, 1) and the admin thread (row 2). */
function registry(): StatsRegistry {
  const r = new StatsRegistry(3);
  r.prepare(snap);
  return r;
}

function value(c: CollectedStats, name: string): number | undefined {
  return c.stats.find((s) => s.name === name)?.value;
}

function kind(c: CollectedStats, name: string): string | undefined {
  return c.stats.find((s) => s.name === name)?.kind;
}

const tlsSlot = (n: string): number => LISTENER_TLS_BASE + LISTENER_TLS_LIST.findIndex(([x]) => x === n);

test('counters and gauges get full Envoy names and the sum over all rows', () => {
  const r = registry();
  const c1 = r.get('cluster.service1')!;
  c1.row(0)[CLUSTER.upstream_rq_total] = 3;
  c1.row(1)[CLUSTER.upstream_rq_total] = 4;
  c1.row(2)[CLUSTER.membership_total] = 1;
  r.get('http.ingress_http')!.row(1)[HCM.downstream_rq_2xx] = 9;
  r.get('listener.0.0.0.0_8080')!.row(0)[LISTENER.downstream_cx_total] = 2;
  r.get('server')!.row(2)[SERVER['server.uptime']] = 12;
  r.get('codec')!.row(0)[CODEC['http2.rx_reset']] = 1;
  const c = collectStats(r, snap);
  assert.equal(value(c, 'cluster.service1.upstream_rq_total'), 7);
  assert.equal(kind(c, 'cluster.service1.upstream_rq_total'), 'counter');
  assert.equal(value(c, 'cluster.service1.membership_total'), 1);
  assert.equal(kind(c, 'cluster.service1.membership_total'), 'gauge');
  assert.equal(value(c, 'http.ingress_http.downstream_rq_2xx'), 9);
  assert.equal(value(c, 'listener.0.0.0.0_8080.downstream_cx_total'), 2);
  assert.equal(value(c, 'server.uptime'), 12);
  assert.equal(kind(c, 'server.uptime'), 'gauge');
  assert.equal(value(c, 'http2.rx_reset'), 1);
  assert.equal(value(c, 'cluster_manager.active_clusters'), 0);
  assert.equal(value(c, 'listener_manager.workers_started'), 0);
  // The admin's own scopes are always there.
  assert.equal(value(c, 'http.admin.downstream_rq_total'), 0);
  assert.equal(value(c, 'listener.admin.downstream_cx_total'), 0);
  // alt_stat_name names the scope.
  assert.equal(value(c, 'cluster.svc2.upstream_rq_total'), 0);
  assert.equal(value(c, 'cluster.service2.upstream_rq_total'), undefined);
  const names = c.stats.map((s) => s.name);
  assert.equal(new Set(names).size, names.length, 'no duplicate names');
});

test('router per-code counters and internal./external. stats exist only once charged', () => {
  const r = registry();
  const b = r.get('cluster.service1')!;
  let c = collectStats(r, snap);
  assert.equal(value(c, 'cluster.service1.upstream_rq_200'), undefined);
  assert.equal(value(c, 'cluster.service1.upstream_rq_2xx'), undefined);
  assert.equal(value(c, 'cluster.service1.external.upstream_rq_2xx'), undefined);
  assert.equal(value(c, 'cluster.service1.external.upstream_rq_completed'), undefined);
  assert.equal(value(c, 'cluster.service1.upstream_rq_completed'), 0, 'a static cluster counter');
  b.row(0)[CODE_BASE_PLAIN + 200 - CODE_MIN] = 2;
  b.row(1)[CODE_BASE_PLAIN + 200 - CODE_MIN] = 1;
  b.row(1)[CODE_BASE_EXTERNAL + 503 - CODE_MIN] = 4;
  b.row(0)[CODE_BASE_INTERNAL + 404 - CODE_MIN] = 1;
  b.row(0)[CLUSTER.upstream_rq_2xx] = 3;
  b.row(0)[CLUSTER['external.upstream_rq_5xx']] = 4;
  c = collectStats(r, snap);
  assert.equal(value(c, 'cluster.service1.upstream_rq_200'), 3);
  assert.equal(value(c, 'cluster.service1.external.upstream_rq_503'), 4);
  assert.equal(value(c, 'cluster.service1.internal.upstream_rq_404'), 1);
  assert.equal(value(c, 'cluster.service1.upstream_rq_2xx'), 3);
  assert.equal(value(c, 'cluster.service1.external.upstream_rq_5xx'), 4);
  assert.equal(value(c, 'cluster.service1.upstream_rq_503'), undefined);
  assert.equal(value(c, 'cluster.service1.external.upstream_rq_2xx'), undefined);
  assert.equal(kind(c, 'cluster.service1.upstream_rq_200'), 'counter');
});

test('connection managers: router stats except on the admin, health_check.* only with that filter', () => {
  const r = registry();
  let c = collectStats(r, snap);
  assert.equal(value(c, 'http.ingress_http.rq_total'), 0);
  assert.equal(value(c, 'http.ingress_http.no_route'), 0);
  assert.equal(value(c, 'http.admin.rq_total'), undefined);
  assert.equal(value(c, 'http.admin.no_route'), undefined);
  assert.equal(value(c, 'http.admin.downstream_rq_2xx'), 0);
  assert.equal(value(c, 'http.ingress_http.health_check.request_total'), undefined);
  const withHc = {
    ...snap,
    listeners: snap.listeners.map((l) => ({
      ...l,
      filterChains: l.filterChains.map((fc) => ({ ...fc, hcm: { ...fc.hcm, healthCheck: { passThroughMode: false, headers: [] } } })),
    })),
  };
  c = collectStats(r, withHc);
  assert.equal(value(c, 'http.ingress_http.health_check.request_total'), 0);
  assert.equal(value(c, 'http.admin.health_check.request_total'), undefined);
});

test('health_check.* and outlier_detection.* only for clusters that configure them', () => {
  const r = registry();
  r.get('cluster.svc2')!.row(2)[HC_BASE + HEALTH_CHECK['health_check.healthy']] = 1;
  const c = collectStats(r, snap);
  assert.equal(value(c, 'cluster.svc2.health_check.healthy'), 1);
  assert.equal(kind(c, 'cluster.svc2.health_check.healthy'), 'gauge');
  assert.equal(value(c, 'cluster.svc2.health_check.attempt'), 0);
  assert.equal(value(c, 'cluster.svc2.outlier_detection.ejections_active'), 0);
  assert.equal(value(c, 'cluster.service1.health_check.attempt'), undefined);
  assert.equal(value(c, 'cluster.service1.outlier_detection.ejections_active'), undefined);
});

test('listeners: ssl.* only with TLS, per-worker views from each row, admin on the main thread', () => {
  const r = registry();
  const plain = r.get('listener.0.0.0.0_8080')!;
  plain.row(0)[LISTENER.downstream_cx_total] = 5;
  plain.row(0)[LISTENER.downstream_cx_active] = 2;
  plain.row(1)[LISTENER.downstream_cx_total] = 7;
  const tls = r.get('listener.0.0.0.0_8443')!;
  tls.row(1)[tlsSlot('ssl.handshake')] = 6;
  tls.row(0)[tlsSlot('ssl.versions.TLSv1.3')] = 6;
  const adm = r.get('listener.admin')!;
  adm.row(2)[LISTENER.downstream_cx_total] = 4;
  adm.row(2)[LISTENER.downstream_cx_active] = 1;
  const c = collectStats(r, snap);
  assert.equal(value(c, 'listener.0.0.0.0_8080.worker_0.downstream_cx_total'), 5);
  assert.equal(value(c, 'listener.0.0.0.0_8080.worker_0.downstream_cx_active'), 2);
  assert.equal(kind(c, 'listener.0.0.0.0_8080.worker_0.downstream_cx_active'), 'gauge');
  assert.equal(value(c, 'listener.0.0.0.0_8080.worker_1.downstream_cx_total'), 7);
  assert.equal(value(c, 'listener.0.0.0.0_8080.worker_2.downstream_cx_total'), undefined, 'the admin row is no worker');
  assert.equal(value(c, 'listener.0.0.0.0_8080.downstream_cx_total'), 12);
  assert.equal(value(c, 'listener.0.0.0.0_8080.ssl.handshake'), undefined);
  assert.equal(value(c, 'listener.0.0.0.0_8443.ssl.handshake'), 6);
  assert.equal(value(c, 'listener.0.0.0.0_8443.ssl.connection_error'), 0);
  assert.equal(value(c, 'listener.0.0.0.0_8443.ssl.versions.TLSv1.3'), 6);
  assert.equal(value(c, 'listener.0.0.0.0_8443.ssl.versions.TLSv1.2'), undefined);
  assert.equal(value(c, 'listener.admin.main_thread.downstream_cx_total'), 4);
  assert.equal(value(c, 'listener.admin.main_thread.downstream_cx_active'), 1);
  assert.equal(value(c, 'listener.admin.worker_0.downstream_cx_total'), undefined);
  assert.equal(value(c, 'listener.admin.ssl.handshake'), undefined);
});

test('only live scopes are listed', () => {
  const r = registry();
  const fewer = { ...snap, clusters: snap.clusters.slice(0, 1) };
  r.prepare(fewer);
  const c = collectStats(r, fewer);
  assert.equal(value(c, 'cluster.svc2.upstream_rq_total'), undefined);
  assert.equal(c.histograms.some((h) => h.name.startsWith('cluster.svc2.')), false);
  assert.equal(value(c, 'cluster.service1.upstream_rq_total'), 0);
});

test('histograms: cumulative merges every row, interval is the last completed flush interval', () => {
  const r = registry();
  const d = r.histograms.get('cluster.service1')!;
  const w0 = new HistogramWriter(d, 0);
  const w1 = new HistogramWriter(d, 1);
  let c = collectStats(r, snap);
  const names = c.histograms.map((h) => h.name);
  assert.ok(names.includes('cluster.service1.upstream_cx_connect_ms'));
  assert.ok(names.includes('http.ingress_http.downstream_rq_time'));
  assert.ok(names.includes('listener.0.0.0.0_8443.downstream_cx_length_ms'));
  assert.ok(names.includes('http.admin.downstream_rq_time'));
  assert.ok(!names.includes('cluster.service1.upstream_rq_time'), 'router histogram appears on first record');

  w0.record(CLUSTER_H.upstream_rq_time, 10);
  w1.record(CLUSTER_H.upstream_rq_time, 30);
  c = collectStats(r, snap);
  let h = c.histograms.find((x) => x.name === 'cluster.service1.upstream_rq_time')!;
  assert.equal(h.cumulative.count, 2);
  assert.equal(h.cumulative.sum, 40);
  assert.equal(h.interval.count, 0, 'nothing flushed yet');
  assert.ok(Number.isNaN(h.interval.quantiles[0]));

  flushHistograms(r);
  w0.record(CLUSTER_H.upstream_rq_time, 1000);
  c = collectStats(r, snap);
  h = c.histograms.find((x) => x.name === 'cluster.service1.upstream_rq_time')!;
  assert.equal(h.cumulative.count, 3);
  assert.equal(h.interval.count, 2);
  assert.equal(h.interval.sum, 40);
  assert.equal(h.interval.quantiles[0], 10);

  flushHistograms(r);
  c = collectStats(r, snap);
  h = c.histograms.find((x) => x.name === 'cluster.service1.upstream_rq_time')!;
  assert.equal(h.interval.count, 1);
  assert.equal(h.interval.sum, 1000);
  assert.equal(h.cumulative.count, 3);

  flushHistograms(r);
  h = collectStats(r, snap).histograms.find((x) => x.name === 'cluster.service1.upstream_rq_time')!;
  assert.equal(h.interval.count, 0, 'an idle interval');
});

test('the wanted predicate filters before anything is summarised', () => {
  const r = registry();
  const seen: string[] = [];
  const c = collectStats(r, snap, (name, k) => {
    seen.push(k);
    return k === 'gauge' && name.startsWith('server.');
  });
  assert.ok(c.stats.length > 0);
  assert.ok(c.stats.every((s) => s.kind === 'gauge' && s.name.startsWith('server.')));
  assert.equal(c.histograms.length, 0);
  assert.ok(seen.includes('histogram'));
});

test('resetCounters zeroes counters in every row and keeps gauges and histograms', () => {
  const r = registry();
  const b = r.get('cluster.service1')!;
  b.row(0)[CLUSTER.upstream_rq_total] = 3;
  b.row(2)[CLUSTER.membership_total] = 2;
  b.row(1)[CODE_BASE_PLAIN + 200 - CODE_MIN] = 5;
  r.get('cluster.svc2')!.row(0)[HC_BASE + HEALTH_CHECK['health_check.attempt']] = 4;
  r.get('cluster.svc2')!.row(2)[HC_BASE + HEALTH_CHECK['health_check.healthy']] = 1;
  r.get('listener.0.0.0.0_8443')!.row(0)[tlsSlot('ssl.handshake')] = 2;
  r.get('server')!.row(2)[SERVER['server.uptime']] = 9;
  r.get('server')!.row(2)[SERVER['nuncio.config_reload_total']] = 2;
  const w = new HistogramWriter(r.histograms.get('cluster.service1')!, 0);
  w.record(CLUSTER_H.upstream_cx_connect_ms, 4);
  resetCounters(r);
  const c = collectStats(r, snap);
  assert.equal(value(c, 'cluster.service1.upstream_rq_total'), 0);
  assert.equal(value(c, 'cluster.service1.upstream_rq_200'), undefined);
  assert.equal(value(c, 'cluster.service1.membership_total'), 2);
  assert.equal(value(c, 'cluster.svc2.health_check.attempt'), 0);
  assert.equal(value(c, 'cluster.svc2.health_check.healthy'), 1);
  assert.equal(value(c, 'listener.0.0.0.0_8443.ssl.handshake'), 0);
  assert.equal(value(c, 'server.uptime'), 9);
  assert.equal(value(c, 'nuncio.config_reload_total'), 0);
  assert.equal(c.histograms.find((h) => h.name === 'cluster.service1.upstream_cx_connect_ms')!.cumulative.count, 1);
  assert.equal(isCounterSlot('cluster', CLUSTER.upstream_rq_total), true);
  assert.equal(isCounterSlot('cluster', CLUSTER.upstream_cx_active), false);
  assert.equal(isCounterSlot('cluster', CODE_BASE_EXTERNAL + 1), true);
  assert.equal(isCounterSlot('hcm', HCM.downstream_rq_active), false);
  assert.equal(isCounterSlot('server', SERVER['server.live']), false);
  assert.equal(isCounterSlot('hosts', 1), false);
});

test('circuit breaker open gauges follow the summed gauges against the thresholds', async () => {
  const { loadConfig } = await import('../../../core/config/load.js');
  const { StatsRegistry, KEYS } = await import('../../../core/stats/registry.js');
  const { collectStats } = await import('../../../core/stats/collect.js');
  const { CLUSTER } = await import('../../../core/stats/defs.js');
  const r = loadConfig(
    [
      {
        name: 'cb.yaml',
        text: `
static_resources:
  clusters:
  - name: c
    circuit_breakers: { thresholds: [{ max_connections: 2, max_pending_requests: 3, max_requests: 4 }] }
    load_assignment: { cluster_name: c, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }
`,
      },
    ],
    { readFile: () => null, getEnv: () => undefined },
  );
  assert.ok(r.ok);
  const reg = new StatsRegistry(3);
  reg.prepare(r.snapshot);
  const b = reg.get(KEYS.cluster('c'))!;
  const value = (n: string) => collectStats(reg, r.snapshot).stats.find((s) => s.name === `cluster.c.${n}`)?.value;
  assert.equal(value('circuit_breakers.default.cx_open'), 0);
  // Two workers each hold one connection: together they are at max_connections.
  b.row(0)[CLUSTER.upstream_cx_active] = 1;
  b.row(1)[CLUSTER.upstream_cx_active] = 1;
  b.row(0)[CLUSTER.upstream_rq_active] = 3;
  b.row(1)[CLUSTER.upstream_rq_pending_active] = 2;
  assert.equal(value('circuit_breakers.default.cx_open'), 1);
  assert.equal(value('circuit_breakers.default.rq_open'), 0);
  assert.equal(value('circuit_breakers.default.rq_pending_open'), 0);
  b.row(1)[CLUSTER.upstream_rq_active] = 1;
  b.row(0)[CLUSTER.upstream_rq_pending_active] = 1;
  assert.equal(value('circuit_breakers.default.rq_open'), 1);
  assert.equal(value('circuit_breakers.default.rq_pending_open'), 1);
  assert.equal(value('circuit_breakers.high.rq_open'), 0);
});

test('upstream_rq_retry_active is the sum of the workers rows; rq_retry_open compares it with max_retries', async () => {
  const { loadConfig } = await import('../../../core/config/load.js');
  const { StatsRegistry, KEYS } = await import('../../../core/stats/registry.js');
  const { collectStats } = await import('../../../core/stats/collect.js');
  const { CLUSTER } = await import('../../../core/stats/defs.js');
  const r = loadConfig(
    [
      {
        name: 'cb.yaml',
        text: `
static_resources:
  clusters:
  - name: c
    circuit_breakers: { thresholds: [{ max_retries: 2 }] }
    load_assignment: { cluster_name: c, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }
`,
      },
    ],
    { readFile: () => null, getEnv: () => undefined },
  );
  assert.ok(r.ok);
  const reg = new StatsRegistry(3);
  reg.prepare(r.snapshot);
  const b = reg.get(KEYS.cluster('c'))!;
  const value = (n: string) => collectStats(reg, r.snapshot).stats.find((s) => s.name === `cluster.c.${n}`)?.value;
  assert.equal(value('upstream_rq_retry_active'), 0, 'shown while zero (a plain gauge)');
  assert.equal(value('circuit_breakers.default.rq_retry_open'), 0);
  b.row(0)[CLUSTER.upstream_rq_retry_active] = 1;
  assert.equal(value('circuit_breakers.default.rq_retry_open'), 0);
  b.row(1)[CLUSTER.upstream_rq_retry_active] = 1;
  assert.equal(value('upstream_rq_retry_active'), 2);
  assert.equal(value('circuit_breakers.default.rq_retry_open'), 1);
  assert.equal(value('circuit_breakers.high.rq_retry_open'), 0);
});
