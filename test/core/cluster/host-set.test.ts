// HostSet: membership updates that keep hosts (and their pools), health filtering and Envoy's panic mode.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HostSet, inPanic } from '../../../core/cluster/host-set.js';
import { HealthFlag } from '../../../core/cluster/host.js';
import { RoundRobinLb } from '../../../core/cluster/lb/round-robin.js';
import { CLUSTER } from '../../../core/stats/defs.js';
import type { UpstreamPool } from '../../../core/http/contracts.js';
import { clusterConfig, countPicks, makeRuntime, mkSpec, seeded } from './fixtures.js';

const FAILED = HealthFlag.FAILED_ACTIVE_HC;

function set(threshold = 50): HostSet {
  return new HostSet(new RoundRobinLb(seeded(1)), threshold);
}

/** Specs 1..n, the first `unhealthy` of them failing active health checks. */
function specs(n: number, unhealthy = 0) {
  return Array.from({ length: n }, (_, i) => mkSpec(i + 1, { healthFlags: i < unhealthy ? FAILED : 0 }));
}

describe('HostSet.update', () => {
  test('creates hosts, indexes them by key, hands them to the LB', () => {
    const hs = set();
    assert.deepEqual(hs.update(specs(3)), []);
    assert.deepEqual(
      hs.hosts.map((h) => h.key),
      ['10.0.0.1:8001', '10.0.0.2:8002', '10.0.0.3:8003'],
    );
    assert.equal(hs.get('10.0.0.2:8002'), hs.hosts[1]);
    assert.equal(hs.get('10.0.0.9:8009'), undefined);
    const m = countPicks(() => hs.lb.choose(), 30);
    assert.deepEqual([...m.values()], [10, 10, 10]);
  });

  test('keeps the Host object (and its pool) for an unchanged address:port, and returns removed hosts', () => {
    const hs = set();
    hs.update(specs(3));
    const [h1, h2, h3] = hs.hosts;
    const pool = { marker: 'pool-of-h2' };
    h2.pool = pool;
    h2.active = 4;
    const removed = hs.update([mkSpec(2), mkSpec(4), mkSpec(1)]);
    assert.deepEqual(removed, [h3]);
    assert.equal(hs.hosts[0], h2);
    assert.equal(hs.hosts[2], h1);
    assert.equal(h2.pool, pool);
    assert.equal(h2.active, 4);
    assert.equal(hs.get(h3.key), undefined);
    assert.equal(hs.get('10.0.0.4:8004'), hs.hosts[1]);
  });

  test('a weight, hostname or stat slot change updates the same Host in place', () => {
    const hs = set();
    hs.update(specs(2));
    const h1 = hs.hosts[0];
    h1.pool = { marker: 1 };
    const removed = hs.update([mkSpec(1, { weight: 5, hostname: 'renamed', statIndex: 42 }), mkSpec(2)]);
    assert.deepEqual(removed, []);
    assert.equal(hs.hosts[0], h1);
    assert.deepEqual([h1.weight, h1.hostname, h1.statIndex], [5, 'renamed', 42]);
    assert.deepEqual(h1.pool, { marker: 1 });
    // The LB was rebuilt with the new weight (EDF: 5 of every 6 picks).
    const m = countPicks(() => hs.lb.choose(), 60);
    assert.equal(m.get(h1.key), 50);
  });

  test('the same port on another address, or another port, is a different host', () => {
    const hs = set();
    hs.update([mkSpec(1)]);
    const h1 = hs.hosts[0];
    const removed = hs.update([mkSpec(1, { port: 9999 }), mkSpec(1, { address: '10.0.0.77' })]);
    assert.deepEqual(removed, [h1]);
    assert.ok(!hs.hosts.includes(h1));
  });

  test('IPv6 hosts are keyed in brackets', () => {
    const hs = set();
    hs.update([mkSpec(1, { address: '::1', port: 80 })]);
    assert.equal(hs.get('[::1]:80'), hs.hosts[0]);
    assert.deepEqual(hs.update([mkSpec(1, { address: '::1', port: 80 })]), []);
  });

  test('health flags come from the spec on every update', () => {
    const hs = set(0);
    hs.update(specs(2));
    const h1 = hs.hosts[0];
    hs.update([mkSpec(1, { healthFlags: FAILED }), mkSpec(2)]);
    assert.equal(hs.hosts[0], h1);
    assert.equal(h1.healthy, false);
    const m = countPicks(() => hs.lb.choose(), 10);
    assert.deepEqual([...m.keys()], ['10.0.0.2:8002']);
  });

  test('an update to no hosts removes them all', () => {
    const hs = set();
    hs.update(specs(2));
    const before = [...hs.hosts];
    assert.deepEqual(hs.update([]), before);
    assert.equal(hs.lb.choose(), null);
  });
});

describe('health filtering and panic mode', () => {
  test('unhealthy hosts are skipped while enough are healthy', () => {
    const hs = set(50);
    hs.update(specs(4, 1)); // 75 % healthy
    assert.equal(hs.panic, false);
    const m = countPicks(() => hs.lb.choose(), 300);
    assert.equal(m.get('10.0.0.1:8001'), undefined);
    assert.equal(m.size, 3);
  });

  test('fewer healthy than the threshold: panic, all hosts are used', () => {
    const hs = set(50);
    hs.update(specs(4, 3)); // 25 % healthy
    assert.equal(hs.panic, true);
    const m = countPicks(() => hs.lb.choose(), 400);
    assert.equal(m.size, 4);
    for (const n of m.values()) assert.equal(n, 100);
  });

  test('all hosts unhealthy: panic spreads over all of them', () => {
    const hs = set(50);
    hs.update(specs(3, 3));
    assert.equal(hs.panic, true);
    assert.equal(countPicks(() => hs.lb.choose(), 30).size, 3);
  });

  test('a 0 % threshold never panics: with no healthy host there is no host', () => {
    const hs = set(0);
    hs.update(specs(3, 3));
    assert.equal(hs.panic, false);
    assert.equal(hs.lb.choose(), null);
    hs.update(specs(3, 2));
    assert.equal(hs.panic, false);
    const m = countPicks(() => hs.lb.choose(), 10);
    assert.deepEqual([...m.keys()], ['10.0.0.3:8003']);
  });

  test('rebuild() after a health flag changes in place', () => {
    const hs = set(50);
    hs.update(specs(4));
    for (const h of hs.hosts.slice(0, 3)) h.healthFlags = HealthFlag.FAILED_OUTLIER_CHECK;
    hs.rebuild();
    assert.equal(hs.panic, true);
    for (const h of hs.hosts) h.healthFlags = 0;
    hs.rebuild();
    assert.equal(hs.panic, false);
  });

  test('degraded and pending-HC flags alone do not make a host unhealthy', () => {
    const hs = set(50);
    hs.update([mkSpec(1, { healthFlags: HealthFlag.DEGRADED_ACTIVE_HC }), mkSpec(2, { healthFlags: HealthFlag.PENDING_DYNAMIC_REMOVAL })]);
    assert.equal(hs.panic, false);
    assert.equal(countPicks(() => hs.lb.choose(), 10).size, 2);
  });
});

describe('inPanic (Envoy LoadBalancerBase::recalculatePerPriorityPanic, one priority)', () => {
  test('below the threshold: panic', () => {
    assert.equal(inPanic(1, 4, 50), true);
    assert.equal(inPanic(4, 10, 50), true);
    assert.equal(inPanic(0, 1, 1), true);
  });

  test('at or above the threshold: no panic', () => {
    assert.equal(inPanic(2, 4, 50), false);
    assert.equal(inPanic(5, 10, 50), false);
    assert.equal(inPanic(10, 10, 100), false);
  });

  test('the 1.4 overprovisioning factor: >= 5/7 healthy never panics, even with a higher threshold', () => {
    // 3 of 4 healthy is 75 % < 80 %, but 1.4 x 75 % = 105 % availability.
    assert.equal(inPanic(3, 4, 80), false);
    assert.equal(inPanic(5, 7, 100), false);
    assert.equal(inPanic(7, 10, 100), true);
  });

  test('empty host set: panic unless the threshold is 0; a 0 % threshold never panics', () => {
    assert.equal(inPanic(0, 0, 50), true);
    assert.equal(inPanic(0, 0, 0), false);
    assert.equal(inPanic(0, 5, 0), false);
  });

  test('thresholds above 100 count as 100', () => {
    assert.equal(inPanic(6, 10, 250), true);
    assert.equal(inPanic(8, 10, 250), false);
  });
});

describe('ClusterRuntime host choice', () => {
  const noPool = (): UpstreamPool => {
    throw new Error('no pool in this test');
  };

  test('counts lb_healthy_panic for every pick made in panic mode', () => {
    const f = makeRuntime(clusterConfig(), noPool);
    f.rt.updateHosts(specs(4, 3));
    for (let i = 0; i < 5; i++) assert.notEqual(f.rt.chooseHost(), null);
    assert.equal(f.stats[CLUSTER.lb_healthy_panic], 5);
    f.rt.updateHosts(specs(4));
    f.rt.chooseHost();
    assert.equal(f.stats[CLUSTER.lb_healthy_panic], 5);
  });

  test('an empty cluster is in panic too (as Envoy), and yields no host', () => {
    const f = makeRuntime(clusterConfig(), noPool);
    f.rt.updateHosts([]);
    assert.equal(f.rt.chooseHost(), null);
    assert.equal(f.stats[CLUSTER.lb_healthy_panic], 1);
  });

  test('the panic threshold and LB policy come from the cluster config', () => {
    const f = makeRuntime(clusterConfig({ healthyPanicThresholdPercent: 0, lbPolicy: 'RANDOM' }), noPool);
    f.rt.updateHosts(specs(2, 2));
    assert.equal(f.rt.chooseHost(), null);
    assert.equal(f.stats[CLUSTER.lb_healthy_panic], 0);
  });
});
