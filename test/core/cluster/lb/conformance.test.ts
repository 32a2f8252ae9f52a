// One suite run against every load-balancing policy (the contract of LoadBalancer), then the
// behaviour that differs per policy, checked against Envoy's.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Host } from '../../../../core/cluster/host.js';
import type { ActiveRequests, LoadBalancer, Random } from '../../../../core/cluster/lb/types.js';
import { RoundRobinLb } from '../../../../core/cluster/lb/round-robin.js';
import { LeastRequestLb } from '../../../../core/cluster/lb/least-request.js';
import { RandomLb } from '../../../../core/cluster/lb/random.js';
import { createLb } from '../../../../core/cluster/host-set.js';
import { clusterConfig, countPicks, mkHost, seeded, sequence } from '../fixtures.js';

interface Policy {
  readonly name: string;
  readonly make: (random: Random, activeOf: ActiveRequests) => LoadBalancer;
  /** Whether endpoint weights shape the distribution (Envoy's RANDOM ignores them). */
  readonly weighted: boolean;
}

const idle: ActiveRequests = () => 0;

const POLICIES: readonly Policy[] = [
  { name: 'ROUND_ROBIN', make: (r) => new RoundRobinLb(r), weighted: true },
  { name: 'LEAST_REQUEST', make: (r, a) => new LeastRequestLb(2, a, r), weighted: true },
  { name: 'RANDOM', make: (r) => new RandomLb(r), weighted: false },
];

function hosts(weights: readonly number[]): Host[] {
  return weights.map((w, i) => mkHost(i + 1, w));
}

/** Share of picks per host over `n` picks, in host order. */
function shares(lb: LoadBalancer, hs: readonly Host[], n: number): number[] {
  const m = countPicks(() => lb.choose(), n);
  return hs.map((h) => (m.get(h.key) ?? 0) / n);
}

for (const p of POLICIES) {
  describe(`LB conformance: ${p.name}`, () => {
    test('no hosts: null, before and after setHosts([])', () => {
      const lb = p.make(seeded(1), idle);
      assert.equal(lb.choose(), null);
      lb.setHosts(hosts([1, 1]));
      assert.notEqual(lb.choose(), null);
      lb.setHosts([]);
      for (let i = 0; i < 5; i++) assert.equal(lb.choose(), null);
    });

    test('a single host is always chosen, whatever its weight', () => {
      for (const w of [1, 7]) {
        const lb = p.make(seeded(2), idle);
        const [h] = hosts([w]);
        lb.setHosts([h]);
        for (let i = 0; i < 20; i++) assert.equal(lb.choose(), h);
      }
    });

    test('every host is eventually chosen (equal and unequal weights)', () => {
      for (const ws of [
        [1, 1, 1, 1, 1],
        [1, 5, 2, 1, 3],
      ]) {
        const lb = p.make(seeded(3), idle);
        const hs = hosts(ws);
        lb.setHosts(hs);
        const m = countPicks(() => lb.choose(), 500);
        for (const h of hs) assert.ok((m.get(h.key) ?? 0) > 0, `${h.key} never chosen with weights ${ws}`);
        assert.equal(m.get('null'), undefined);
      }
    });

    test('only hosts of the current set are chosen after setHosts', () => {
      const lb = p.make(seeded(4), idle);
      const first = hosts([1, 1, 1]);
      lb.setHosts(first);
      for (let i = 0; i < 10; i++) lb.choose();
      const second = [mkHost(50), mkHost(51, 3)];
      lb.setHosts(second);
      for (let i = 0; i < 200; i++) assert.ok(second.includes(lb.choose()!));
    });

    test('equal weights: an even spread', () => {
      const lb = p.make(seeded(5), idle);
      const hs = hosts([1, 1, 1, 1]);
      lb.setHosts(hs);
      for (const s of shares(lb, hs, 8000)) assert.ok(Math.abs(s - 0.25) < 0.03, `share ${s}`);
    });

    test(p.weighted ? 'weights 1:2:3 give shares 1/6, 2/6, 3/6' : 'weights are ignored (as Envoy), shares stay 1/3', () => {
      const lb = p.make(seeded(6), idle);
      const hs = hosts([1, 2, 3]);
      lb.setHosts(hs);
      const got = shares(lb, hs, 6000);
      const want = p.weighted ? [1 / 6, 2 / 6, 3 / 6] : [1 / 3, 1 / 3, 1 / 3];
      for (let i = 0; i < 3; i++) assert.ok(Math.abs(got[i] - want[i]) < 0.03, `host ${i}: ${got[i]} vs ${want[i]}`);
    });

    test('the same seed gives the same picks (randomness is only the injected source)', () => {
      const run = (): string[] => {
        const lb = p.make(seeded(7), idle);
        lb.setHosts(hosts([1, 3, 1, 2]));
        return Array.from({ length: 50 }, () => lb.choose()!.key);
      };
      assert.deepEqual(run(), run());
    });
  });
}

describe('ROUND_ROBIN', () => {
  test('equal weights: strict rotation, any 3 consecutive picks are the 3 hosts', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const lb = new RoundRobinLb(seeded(seed));
      const hs = hosts([1, 1, 1]);
      lb.setHosts(hs);
      const picks = Array.from({ length: 30 }, () => lb.choose()!);
      for (let i = 0; i + 3 <= picks.length; i++) assert.equal(new Set(picks.slice(i, i + 3)).size, 3);
      for (let i = 3; i < picks.length; i++) assert.equal(picks[i], picks[i - 3]);
    }
  });

  test('the starting host is randomised (workers do not march in lockstep)', () => {
    const starts = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const lb = new RoundRobinLb(seeded(seed));
      lb.setHosts(hosts([1, 1, 1, 1]));
      starts.add(lb.choose()!.key);
    }
    assert.ok(starts.size > 1);
  });

  test('unequal weights: each full EDF cycle holds every host exactly `weight` times', () => {
    const lb = new RoundRobinLb(sequence([0]));
    const hs = hosts([1, 1, 1, 1, 4]);
    lb.setHosts(hs);
    const picks = Array.from({ length: 80 }, () => lb.choose()!);
    for (let c = 0; c < 10; c++) {
      const cycle = picks.slice(c * 8, c * 8 + 8);
      for (const h of hs) assert.equal(cycle.filter((x) => x === h).length, h.weight, `cycle ${c}, ${h.key}`);
    }
  });

  test('unequal weights: EDF interleaves hosts instead of bursting them (3:3:1 never repeats a host)', () => {
    const lb = new RoundRobinLb(sequence([0]));
    const hs = hosts([3, 3, 1]);
    lb.setHosts(hs);
    const picks = Array.from({ length: 70 }, () => lb.choose()!);
    // A naive weighted list (a a a b b b c) would give runs of three.
    for (let i = 1; i < picks.length; i++) assert.notEqual(picks[i], picks[i - 1], `pick ${i}`);
    for (const h of hs) assert.equal(picks.filter((x) => x === h).length, h.weight * 10);
  });

  test('unequal weights: the schedule start is randomised too', () => {
    const firsts = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const lb = new RoundRobinLb(seeded(seed));
      lb.setHosts(hosts([1, 2, 3, 4]));
      firsts.add(lb.choose()!.key);
    }
    assert.ok(firsts.size > 1);
  });
});

describe('LEAST_REQUEST', () => {
  test('equal weights: of the sampled hosts the less loaded wins', () => {
    const hs = hosts([1, 1]);
    const active = new Map([
      [hs[0], 10],
      [hs[1], 0],
    ]);
    // Samples host 0 then host 1: host 1 has fewer active requests.
    const lb = new LeastRequestLb(2, (h) => active.get(h)!, sequence([0.1, 0.9]));
    lb.setHosts(hs);
    assert.equal(lb.choose(), hs[1]);
  });

  test('equal weights: a tie keeps the first sample (Envoy replaces only on strictly fewer)', () => {
    const hs = hosts([1, 1, 1]);
    const lb = new LeastRequestLb(2, () => 3, sequence([0.9, 0.1, 0.9, 0.1]));
    lb.setHosts(hs);
    assert.equal(lb.choose(), hs[2]);
  });

  test('equal weights, P2C: the idle host of three gets 1 - (2/3)^2 of the picks', () => {
    const hs = hosts([1, 1, 1]);
    const lb = new LeastRequestLb(2, (h) => (h === hs[1] ? 0 : 5), seeded(11));
    lb.setHosts(hs);
    const got = shares(lb, hs, 9000);
    assert.ok(Math.abs(got[1] - 5 / 9) < 0.03, `idle share ${got[1]}`);
  });

  test('equal weights: a larger choice count concentrates on the idle host', () => {
    const hs = hosts([1, 1, 1, 1]);
    const lb = new LeastRequestLb(8, (h) => (h === hs[2] ? 0 : 1), seeded(12));
    lb.setHosts(hs);
    const got = shares(lb, hs, 4000);
    assert.ok(got[2] > 0.85, `idle share ${got[2]}`);
  });

  test('unequal weights: EDF over weight / (active + 1), re-read at every pick', () => {
    const hs = hosts([2, 1]);
    const active = new Map([
      [hs[0], 3],
      [hs[1], 0],
    ]);
    const lb = new LeastRequestLb(2, (h) => active.get(h)!, seeded(13));
    lb.setHosts(hs);
    // Effective weights 2/4 = 0.5 and 1/1 = 1: the lighter-weighted idle host gets 2/3.
    let got = shares(lb, hs, 3000);
    assert.ok(Math.abs(got[1] - 2 / 3) < 0.02, `share ${got[1]}`);
    // Load moves to host 1: effective weights 2/1 = 2 and 1/5 = 0.2, host 0 gets 10/11.
    active.set(hs[0], 0);
    active.set(hs[1], 4);
    countPicks(() => lb.choose(), 20); // let the old deadlines age out
    got = shares(lb, hs, 3300);
    assert.ok(Math.abs(got[0] - 10 / 11) < 0.02, `share ${got[0]}`);
  });

  test('unequal weights: the schedule start is randomised per LB, as Envoy seeds it', () => {
    const firsts = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const lb = new LeastRequestLb(2, idle, seeded(seed));
      lb.setHosts(hosts([1, 2, 3, 4]));
      firsts.add(lb.choose()!.key);
    }
    assert.ok(firsts.size > 1);
  });

  test('unequal weights with no load: plain weighted round robin', () => {
    const hs = hosts([3, 1]);
    const lb = new LeastRequestLb(2, idle, seeded(14));
    lb.setHosts(hs);
    const picks = Array.from({ length: 40 }, () => lb.choose()!);
    for (let c = 0; c < 10; c++) assert.equal(picks.slice(c * 4, c * 4 + 4).filter((h) => h === hs[0]).length, 3);
  });
});

describe('RANDOM', () => {
  test('indexes the host list by the random value, weights play no part', () => {
    const hs = hosts([100, 1, 1, 1]);
    const lb = new RandomLb(sequence([0, 0.26, 0.51, 0.99]));
    lb.setHosts(hs);
    assert.deepEqual([lb.choose(), lb.choose(), lb.choose(), lb.choose()], hs);
  });
});

describe('createLb', () => {
  test('maps lb_policy to the implementation, ROUND_ROBIN by default', () => {
    assert.ok(createLb(clusterConfig({ lbPolicy: 'ROUND_ROBIN' }), idle) instanceof RoundRobinLb);
    assert.ok(createLb(clusterConfig({ lbPolicy: 'LEAST_REQUEST' }), idle) instanceof LeastRequestLb);
    assert.ok(createLb(clusterConfig({ lbPolicy: 'RANDOM' }), idle) instanceof RandomLb);
  });

  test('LEAST_REQUEST takes choice_count and the active-requests source from the caller', () => {
    const hs = hosts([1, 1, 1, 1, 1]);
    const lb = createLb(clusterConfig({ lbPolicy: 'LEAST_REQUEST', leastRequestChoiceCount: 5 }), (h) => (h === hs[3] ? 0 : 9), seeded(15));
    lb.setHosts(hs);
    // With 5 samples out of 5 hosts the idle one is found unless it is never sampled: (4/5)^5 = 33 %.
    const got = shares(lb, hs, 5000);
    assert.ok(Math.abs(got[3] - (1 - (4 / 5) ** 5)) < 0.03, `idle share ${got[3]}`);
  });
});
