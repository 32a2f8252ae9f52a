// EdfScheduler: Envoy's earliest-deadline-first schedule (deadline = now + 1/weight, FIFO on ties).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EdfScheduler } from '../../../../core/cluster/lb/edf.js';
import type { Host } from '../../../../core/cluster/host.js';
import { mkHost } from '../fixtures.js';

test('empty schedule picks nothing', () => {
  assert.equal(new EdfScheduler([], () => 1).pick(), null);
});

test('equal weights: insertion order, then round robin', () => {
  const hs = [mkHost(1), mkHost(2), mkHost(3)];
  const s = new EdfScheduler(hs, () => 1);
  const picks = Array.from({ length: 9 }, () => s.pick());
  assert.deepEqual(picks, [...hs, ...hs, ...hs]);
});

test('weights 1 and 4: the heavier host first, then ties go to the entry queued earlier', () => {
  const a = mkHost(1, 1);
  const b = mkHost(2, 4);
  const s = new EdfScheduler([a, b], (h) => h.weight);
  // Deadlines: b 1/4, 2/4, 3/4, then a and b both at 1 (a was queued first), b at 5/4 ... 2, a at 2.
  assert.deepEqual(
    Array.from({ length: 10 }, () => s.pick()),
    [b, b, b, a, b, b, b, b, a, b],
  );
});

test('a weight change applies when the host is re-queued after its next pick', () => {
  const a = mkHost(1);
  const b = mkHost(2);
  const w = new Map<Host, number>([
    [a, 1],
    [b, 1],
  ]);
  const s = new EdfScheduler([a, b], (h) => w.get(h)!);
  w.set(a, 4);
  const counts = new Map<Host, number>([
    [a, 0],
    [b, 0],
  ]);
  for (let i = 0; i < 500; i++) {
    const h = s.pick()!;
    counts.set(h, counts.get(h)! + 1);
  }
  assert.ok(Math.abs(counts.get(a)! / 500 - 0.8) < 0.02, `share ${counts.get(a)! / 500}`);
});

test('a zero weight does not divide by zero: the host is starved, not the others', () => {
  const a = mkHost(1);
  const b = mkHost(2);
  const s = new EdfScheduler([a, b], (h) => (h === a ? 0 : 1));
  const picks = Array.from({ length: 100 }, () => s.pick());
  assert.ok(picks.filter((h) => h === b).length >= 99);
});
