// Active health checks and outlier detection on the admin thread, checked against Envoy's
// HttpHealthCheckerImpl / HealthCheckerImplBase and Outlier::DetectorImpl: a check that times out is a
// network failure (health_check.network_failure, unhealthy only after unhealthy_threshold, flag
// active_hc_timeout), expected_statuses are [start, end) ranges, consecutive gateway failures are
// detected (and enforced only by enforcing_consecutive_gateway_failure), and max_ejection_percent caps
// ejections with outlier_detection.ejections_overflow. Workers are simulated by ClusterRuntime's
// reportOutcome on the registry's shared host counters; upstreams are HTTP servers on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { HealthChecker, OutlierDetector } from '../../../workers/discovery/health.js';
import { Discovery } from '../../../workers/discovery/dns.js';
import { StatsRegistry, KEYS } from '../../../core/stats/registry.js';
import { loadConfig } from '../../../core/config/load.js';
import { CLUSTER, HC_BASE, HEALTH_CHECK, OD_BASE, OUTLIER } from '../../../core/stats/defs.js';
import { ClusterRuntime, HostStats } from '../../../core/cluster/runtime.js';
import { Host, HealthFlag, healthFlagsText, type HostSpec } from '../../../core/cluster/host.js';
import { HistogramWriter } from '../../../core/stats/histograms.js';
import type { Snapshot } from '../../../core/config/types.js';
import { freePort, until } from '../../helpers/net.js';

// ------------------------------------------------------------------------------------------ fixture

function snapshot(clusterYaml: string): Snapshot {
  const r = loadConfig([{ name: 'x.yaml', text: `static_resources:\n  clusters:\n${clusterYaml}` }], { readFile: () => null, getEnv: () => undefined });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.snapshot;
}

const endpoints = (hosts: readonly string[]) =>
  hosts
    .map((h) => {
      const [address, port] = h.split(':');
      return `{ endpoint: { address: { socket_address: { address: ${address}, port_value: ${port} } } } }`;
    })
    .join(', ');

/** One STATIC cluster `c` with the given hosts and extra YAML (health_checks / outlier_detection), indented 4. */
function cluster(hosts: readonly string[], extra: string): string {
  return `  - name: c
    type: STATIC
    load_assignment: { cluster_name: c, endpoints: [{ lb_endpoints: [${endpoints(hosts)}] }] }
${extra}`;
}

interface Published {
  flags: Map<string, number>;
  failure: number;
  network: number;
  success: number;
}

/** The admin thread's health machinery wired as workers/server.ts wires it, for cluster `c`. */
async function world(clusterYaml: string, random: () => number = () => 0) {
  const s = snapshot(clusterYaml);
  const reg = new StatsRegistry(2);
  reg.prepare(s);
  const published: Published[] = [];
  const block = () => reg.get(KEYS.cluster('c'))!;
  const stat = (name: string): number => {
    const hc = (HEALTH_CHECK as Record<string, number>)[name];
    const od = (OUTLIER as Record<string, number>)[name];
    const cl = (CLUSTER as Record<string, number>)[name];
    const slot = hc !== undefined ? HC_BASE + hc : od !== undefined ? OD_BASE + od : cl;
    assert.ok(slot !== undefined, `no stat ${name}`);
    return block().sum(slot);
  };
  let health: HealthChecker | null = null;
  const onChange = (c: string, hosts: HostSpec[]) => {
    health?.sync(c, hosts);
    published.push({
      flags: new Map(hosts.map((h) => [`${h.address}:${h.port}`, h.healthFlags])),
      failure: stat('health_check.failure'),
      network: stat('health_check.network_failure'),
      success: stat('health_check.success'),
    });
  };
  const d = new Discovery(reg, onChange, undefined, (c) => health!.initialFlags(c));
  health = new HealthChecker(reg, d, () => {});
  const outlier = new OutlierDetector(reg, d, () => {}, random);
  health.apply(s);
  outlier.apply(s);
  await d.apply(s);
  await health.firstRound();

  // One worker (row 0) reporting request outcomes, exactly as ClusterRuntime does in a worker.
  const hostStats = new HostStats(0);
  for (const p of reg.hostPages) hostStats.addPage(p);
  const cfg = s.clusters[0];
  const rt = new ClusterRuntime(cfg, block().row(0), block(), new HistogramWriter(reg.histograms.get(KEYS.cluster('c'))!, 0), hostStats, () => {
    throw new Error('no pools in this test');
  });
  /** The outcome of one proxied request to `key`, classified as the router does (502/503/504 = gateway error). */
  const respond = (key: string, status: number) => {
    const spec = d.hosts('c').find((h) => `${h.address}:${h.port}` === key);
    assert.ok(spec, `no host ${key}`);
    const kind = status >= 500 ? (status === 502 || status === 503 || status === 504 ? 2 : 1) : 0;
    rt.reportOutcome(Host.from(spec), kind, (c, h, which) => outlier.onHit(c, h.address, h.port, which));
  };
  const flags = (key: string): number => d.hosts('c').find((h) => `${h.address}:${h.port}` === key)?.healthFlags ?? -1;
  const stop = () => {
    health!.stop();
    outlier.stop();
    d.stop();
  };
  return { stat, flags, respond, published, stop };
}

/** A fake upstream whose /healthz answers `status` (with `headers`), or never answers while `hang`. */
async function upstream() {
  const state = { status: 200, hang: false, headers: {} as Record<string, string>, served: 0 };
  const s = http.createServer((req, res) => {
    state.served++;
    if (state.hang) return; // no answer: the checker's timeout must fire
    res.writeHead(state.status, state.headers);
    res.end();
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const key = `127.0.0.1:${(s.address() as net.AddressInfo).port}`;
  const close = () =>
    new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    });
  return { state, key, close };
}

const od = (yaml: string) => `    outlier_detection: { interval: 0.1s, base_ejection_time: 60s, ${yaml} }`;
const hostsN = (n: number) => Array.from({ length: n }, (_, i) => `127.0.0.${81 + i}:8080`);
const EJECTED = HealthFlag.FAILED_OUTLIER_CHECK;

// ------------------------------------------------------------------------ consecutive gateway failure

test('consecutive_gateway_failure: N gateway errors (502/503/504) in a row eject the host when enforced', async () => {
  const [a, b] = hostsN(2);
  const w = await world(cluster([a, b], od('consecutive_gateway_failure: 3, consecutive_5xx: 100, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 50')));
  try {
    w.respond(a, 502);
    w.respond(a, 503);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_gateway_failure'), 0);
    assert.equal(w.flags(a), 0);
    w.respond(a, 504);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_gateway_failure'), 1);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_gateway_failure'), 1);
    assert.equal(w.stat('outlier_detection.ejections_enforced_total'), 1);
    assert.equal(w.stat('outlier_detection.ejections_active'), 1);
    // Not a 5xx ejection: the 5xx counters, and the deprecated ejections_total (Envoy counts it for
    // consecutive 5xx and success rate only), stay at zero.
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_5xx'), 0);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_5xx'), 0);
    assert.equal(w.stat('outlier_detection.ejections_consecutive_5xx'), 0);
    assert.equal(w.stat('outlier_detection.ejections_total'), 0);
    assert.equal(healthFlagsText(w.flags(a)), '/failed_outlier_check');
    assert.equal(w.flags(b), 0);
    assert.equal(w.stat('membership_healthy'), 1);
  } finally {
    w.stop();
  }
});

test('consecutive_gateway_failure: a 500 breaks the gateway streak but counts toward consecutive_5xx; a 2xx resets both', async () => {
  const [a, b] = hostsN(2);
  const w = await world(cluster([a, b], od('consecutive_gateway_failure: 3, consecutive_5xx: 5, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 50')));
  try {
    for (const s of [502, 503, 200, 502, 503, 500, 502, 503]) w.respond(a, s);
    // Gateway streaks were 2, 2 and 2 (the 200 and the 500 cut them), never 3; since the 200 there
    // were five 5xx in a row (502, 503, 500, 502, 503): consecutive_5xx fires.
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_gateway_failure'), 0);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_5xx'), 1);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_5xx'), 1);
    assert.equal(w.stat('outlier_detection.ejections_consecutive_5xx'), 1);
    assert.equal(w.stat('outlier_detection.ejections_total'), 1);
    assert.equal(healthFlagsText(w.flags(a)), '/failed_outlier_check');
  } finally {
    w.stop();
  }
});

test('enforcing_consecutive_gateway_failure 0 (the default): detected but not ejected, and the streak restarts so the next N are detected again', async () => {
  const [a, b] = hostsN(2);
  const w = await world(cluster([a, b], od('consecutive_gateway_failure: 2, consecutive_5xx: 100, max_ejection_percent: 50')));
  try {
    for (let i = 0; i < 4; i++) w.respond(a, 503);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_gateway_failure'), 2);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_gateway_failure'), 0);
    assert.equal(w.stat('outlier_detection.ejections_enforced_total'), 0);
    assert.equal(w.stat('outlier_detection.ejections_active'), 0);
    assert.equal(w.flags(a), 0);
    assert.equal(w.stat('membership_healthy'), 2);
  } finally {
    w.stop();
  }
});

test('a gateway streak that also reaches consecutive_5xx: the unenforced gateway detection leaves the 5xx ejection to happen', async () => {
  const [a, b] = hostsN(2);
  const w = await world(cluster([a, b], od('consecutive_gateway_failure: 3, consecutive_5xx: 3, max_ejection_percent: 50')));
  try {
    for (let i = 0; i < 3; i++) w.respond(a, 502);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_gateway_failure'), 1);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_gateway_failure'), 0);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_5xx'), 1);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_5xx'), 1);
    assert.equal(w.stat('outlier_detection.ejections_active'), 1);
    assert.equal(healthFlagsText(w.flags(a)), '/failed_outlier_check');
  } finally {
    w.stop();
  }
});

test('enforcing_consecutive_gateway_failure is a percentage: a draw below it ejects, at or above it does not', async () => {
  const [a, b, c, d] = hostsN(4);
  let draw = 0.5;
  const w = await world(cluster([a, b, c, d], od('consecutive_gateway_failure: 1, consecutive_5xx: 100, enforcing_consecutive_gateway_failure: 50, max_ejection_percent: 100')), () => draw);
  try {
    w.respond(a, 503); // 50 < 50 is false: not enforced
    assert.equal(w.flags(a), 0);
    draw = 0.49;
    w.respond(b, 503);
    assert.equal(w.flags(b), EJECTED);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_gateway_failure'), 2);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_gateway_failure'), 1);
  } finally {
    w.stop();
  }
});

test('a host that is already ejected is not detected again (Envoy ignores hits on FAILED_OUTLIER_CHECK hosts)', async () => {
  const [a, b] = hostsN(2);
  const w = await world(cluster([a, b], od('consecutive_gateway_failure: 2, consecutive_5xx: 100, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 50')));
  try {
    for (let i = 0; i < 6; i++) w.respond(a, 502);
    assert.equal(w.flags(a), EJECTED);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_gateway_failure'), 1);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_gateway_failure'), 1);
  } finally {
    w.stop();
  }
});

// ------------------------------------------------------------------------------ max_ejection_percent

test('max_ejection_percent: an ejection that would take the ejected share above it is refused and counted as ejections_overflow', async () => {
  const [a, b, c] = hostsN(3);
  // Envoy: eject only if 100 * (ejected + 1) / hosts <= max_ejection_percent. 1/3 = 33 % fits; 2/3 = 67 % does not.
  const w = await world(cluster([a, b, c], od('consecutive_5xx: 2, max_ejection_percent: 50')));
  try {
    w.respond(a, 500);
    w.respond(a, 500);
    assert.equal(w.flags(a), EJECTED);
    w.respond(b, 500);
    w.respond(b, 500);
    assert.equal(w.flags(b), 0);
    assert.equal(w.stat('outlier_detection.ejections_overflow'), 1);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_5xx'), 2);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_5xx'), 1);
    assert.equal(w.stat('outlier_detection.ejections_active'), 1);
    assert.equal(w.stat('membership_healthy'), 2);
    // The overflowed host's streak restarted at the detection: two more 5xx are detected (and overflow) again.
    w.respond(b, 500);
    w.respond(b, 500);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_5xx'), 3);
    assert.equal(w.stat('outlier_detection.ejections_overflow'), 2);
    // Deprecated counters as Envoy keeps them: ejections_consecutive_5xx per detection, ejections_total per
    // 5xx ejection that fitted under the cap.
    assert.equal(w.stat('outlier_detection.ejections_consecutive_5xx'), 3);
    assert.equal(w.stat('outlier_detection.ejections_total'), 1);
    assert.equal(w.flags(c), 0);
  } finally {
    w.stop();
  }
});

test('max_ejection_percent is checked before enforcement: an unenforced detection over the cap still counts ejections_overflow', async () => {
  const [a, b] = hostsN(2);
  const w = await world(cluster([a, b], od('consecutive_5xx: 2, consecutive_gateway_failure: 2, max_ejection_percent: 50')));
  try {
    w.respond(a, 500);
    w.respond(a, 500);
    assert.equal(w.flags(a), EJECTED);
    w.respond(b, 503);
    w.respond(b, 503); // gateway detection (enforcing 0) and 5xx detection: both over the cap
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_gateway_failure'), 1);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_5xx'), 2);
    assert.equal(w.stat('outlier_detection.ejections_overflow'), 2);
    assert.equal(w.flags(b), 0);
  } finally {
    w.stop();
  }
});

test('max_ejection_percent defaults to 10: with fewer than 10 hosts nothing is ejected (Envoy without always_eject_one_host)', async () => {
  const hosts = hostsN(5);
  const w = await world(cluster(hosts, od('consecutive_5xx: 2')));
  try {
    w.respond(hosts[0], 500);
    w.respond(hosts[0], 500);
    assert.equal(w.flags(hosts[0]), 0);
    assert.equal(w.stat('outlier_detection.ejections_detected_consecutive_5xx'), 1);
    assert.equal(w.stat('outlier_detection.ejections_overflow'), 1);
    assert.equal(w.stat('outlier_detection.ejections_active'), 0);
  } finally {
    w.stop();
  }
});

test('max_ejection_percent 10 with 10 hosts ejects one, and 100 ejects every host', async () => {
  const ten = hostsN(10);
  const w = await world(cluster(ten, od('consecutive_5xx: 1')));
  try {
    w.respond(ten[0], 500);
    w.respond(ten[1], 500);
    assert.equal(w.flags(ten[0]), EJECTED);
    assert.equal(w.flags(ten[1]), 0);
    assert.equal(w.stat('outlier_detection.ejections_overflow'), 1);
  } finally {
    w.stop();
  }
  const [a, b] = hostsN(2);
  const all = await world(cluster([a, b], od('consecutive_5xx: 1, max_ejection_percent: 100')));
  try {
    all.respond(a, 500);
    all.respond(b, 500);
    assert.equal(all.flags(a), EJECTED);
    assert.equal(all.flags(b), EJECTED);
    assert.equal(all.stat('outlier_detection.ejections_active'), 2);
    assert.equal(all.stat('outlier_detection.ejections_overflow'), 0);
    assert.equal(all.stat('membership_healthy'), 0);
  } finally {
    all.stop();
  }
});

test('max_ejection_percent: once the ejected host returns, the host that overflowed can be ejected by its next streak', async () => {
  const [a, b] = hostsN(2);
  const w = await world(cluster([a, b], `    outlier_detection: { interval: 0.1s, base_ejection_time: 0.3s, consecutive_5xx: 2, max_ejection_percent: 50 }`));
  try {
    w.respond(a, 500);
    w.respond(a, 500);
    w.respond(b, 500);
    w.respond(b, 500);
    assert.equal(w.flags(a), EJECTED);
    assert.equal(w.flags(b), 0);
    assert.equal(w.stat('outlier_detection.ejections_overflow'), 1);
    await until(() => w.stat('outlier_detection.ejections_active') === 0, 5000, 20);
    assert.equal(w.flags(a), 0);
    // b keeps failing: its next two 5xx are a new detection, and now there is room.
    w.respond(b, 500);
    w.respond(b, 500);
    assert.equal(w.flags(b), EJECTED);
    assert.equal(w.stat('outlier_detection.ejections_enforced_consecutive_5xx'), 2);
    assert.equal(w.stat('outlier_detection.ejections_overflow'), 1);
  } finally {
    w.stop();
  }
});

// ------------------------------------------------------------------------------ health check timeout

/** Checks every 0.1 s; the timeout is long where no test waits for it, so a slow machine does not fail checks. */
const hc = (extra: string, timeout = '1s') => `    health_checks:
    - timeout: ${timeout}
      interval: 0.1s
      no_traffic_interval: 0.1s
${extra}`;

test('timeout: a check without an answer in time is a network failure; the host goes unhealthy after unhealthy_threshold of them, flagged active_hc_timeout', async () => {
  const up = await upstream();
  const w = await world(cluster([up.key], hc(`      unhealthy_threshold: 3\n      healthy_threshold: 1\n      http_health_check: { path: /healthz }`, '0.4s')));
  try {
    assert.equal(w.flags(up.key), 0);
    assert.equal(w.stat('health_check.healthy'), 1);
    assert.equal(w.stat('membership_healthy'), 1);
    const from = w.published.length;
    up.state.hang = true;
    // From here every check that reaches the server times out (one already answered may still succeed).
    const base = { network: w.stat('health_check.network_failure'), failure: w.stat('health_check.failure') };
    await until(() => (w.flags(up.key) & HealthFlag.FAILED_ACTIVE_HC) !== 0, 10_000, 20);
    // The publish that took the host out happened at the third consecutive timeout, not before.
    const out = w.published.slice(from).find((p) => ((p.flags.get(up.key) ?? 0) & HealthFlag.FAILED_ACTIVE_HC) !== 0)!;
    assert.equal(out.network - base.network, 3);
    assert.equal(out.failure - base.failure, 3);
    assert.equal(healthFlagsText(out.flags.get(up.key)!), '/failed_active_hc/active_hc_timeout');
    assert.equal(healthFlagsText(w.flags(up.key)), '/failed_active_hc/active_hc_timeout');
    assert.equal(w.stat('health_check.healthy'), 0);
    assert.equal(w.stat('membership_healthy'), 0);
    // Every failure so far was a timeout.
    assert.equal(w.stat('health_check.failure'), w.stat('health_check.network_failure'));
    // Answering again brings it back (healthy_threshold 1) and clears the timeout flag.
    up.state.hang = false;
    await until(() => w.flags(up.key) === 0, 10_000, 20);
    assert.equal(w.stat('health_check.healthy'), 1);
    assert.equal(w.stat('membership_healthy'), 1);
  } finally {
    w.stop();
    await up.close();
  }
});

test('timeout vs other failures: a first check that times out is flagged active_hc_timeout, a refused connection is not, and a bad status clears it', async () => {
  const up = await upstream();
  up.state.hang = true;
  const dead = `127.0.0.1:${await freePort()}`;
  const w = await world(cluster([up.key, dead], hc(`      unhealthy_threshold: 2\n      healthy_threshold: 1\n      http_health_check: { path: /healthz }`, '0.4s')));
  try {
    // Hosts start failed (pending); the first result keeps them failed.
    assert.equal(healthFlagsText(w.flags(up.key)), '/failed_active_hc/active_hc_timeout');
    assert.equal(healthFlagsText(w.flags(dead)), '/failed_active_hc');
    assert.ok(w.stat('health_check.network_failure') >= 2);
    assert.equal(w.stat('health_check.failure'), w.stat('health_check.network_failure'));
    assert.equal(w.stat('health_check.healthy'), 0);
    const failures = w.stat('health_check.failure');
    const network = w.stat('health_check.network_failure');
    up.state.hang = false;
    up.state.status = 500;
    await until(() => healthFlagsText(w.flags(up.key)) === '/failed_active_hc', 10_000, 20);
    assert.ok(w.stat('health_check.failure') - failures > w.stat('health_check.network_failure') - network);
  } finally {
    w.stop();
    await up.close();
  }
});

// ---------------------------------------------------------------------------------- expected_statuses

/** Waits for two more check results: the second one was certainly sent after the caller's change. */
async function twoMoreResults(w: Awaited<ReturnType<typeof world>>): Promise<void> {
  const done = () => w.stat('health_check.success') + w.stat('health_check.failure');
  const start = done();
  await until(() => done() >= start + 2, 10_000, 10);
}

test('expected_statuses: statuses in any [start, end) range are healthy; others fail at once, without waiting for unhealthy_threshold', async () => {
  const up = await upstream();
  const w = await world(
    cluster(
      [up.key],
      hc(`      unhealthy_threshold: 5
      healthy_threshold: 1
      http_health_check: { path: /healthz, expected_statuses: [{ start: 200, end: 300 }, { start: 404, end: 406 }] }`),
    ),
  );
  try {
    const steps: [number, boolean][] = [
      [204, true],
      [299, true],
      [404, true],
      [300, false], // end is exclusive
      [200, true],
      [403, false], // below a range's start
      [405, true],
      [406, false],
      [250, true],
      [500, false],
    ];
    for (const [status, healthy] of steps) {
      up.state.status = status;
      await twoMoreResults(w);
      assert.equal(w.flags(up.key) === 0, healthy, `status ${status}: flags ${healthFlagsText(w.flags(up.key))}`);
      assert.equal(w.stat('health_check.healthy'), healthy ? 1 : 0, `status ${status}`);
    }
    assert.equal(w.stat('health_check.network_failure'), 0);
  } finally {
    w.stop();
    await up.close();
  }
});

test('expected_statuses default to 200 only: a 204 is unhealthy', async () => {
  const up = await upstream();
  const w = await world(cluster([up.key], hc(`      unhealthy_threshold: 3\n      healthy_threshold: 1\n      http_health_check: { path: /healthz }`)));
  try {
    assert.equal(w.flags(up.key), 0);
    up.state.status = 204;
    await twoMoreResults(w);
    assert.equal(healthFlagsText(w.flags(up.key)), '/failed_active_hc');
    up.state.status = 201;
    await twoMoreResults(w);
    assert.equal(healthFlagsText(w.flags(up.key)), '/failed_active_hc');
    up.state.status = 200;
    await twoMoreResults(w);
    assert.equal(w.flags(up.key), 0);
  } finally {
    w.stop();
    await up.close();
  }
});

test('x-envoy-immediate-health-check-fail only matters with a status outside expected_statuses (Envoy ignores it on an expected one)', async () => {
  const up = await upstream();
  const w = await world(
    cluster([up.key], hc(`      unhealthy_threshold: 3\n      healthy_threshold: 1\n      http_health_check: { path: /healthz, expected_statuses: [{ start: 200, end: 300 }] }`)),
  );
  try {
    up.state.headers = { 'x-envoy-immediate-health-check-fail': 'true' };
    up.state.status = 204;
    const failures = w.stat('health_check.failure');
    await twoMoreResults(w);
    assert.equal(w.flags(up.key), 0);
    assert.equal(w.stat('health_check.failure'), failures);
    up.state.status = 503;
    await twoMoreResults(w);
    assert.equal(healthFlagsText(w.flags(up.key)), '/failed_active_hc');
  } finally {
    w.stop();
    await up.close();
  }
});
