import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenRuntime, mergeRuntime, runtimeInt } from '../../../core/config/runtime.js';
import type { RuntimeConfig } from '../../../core/config/types.js';

test('flattenRuntime: nested maps become dotted keys, values keep their type', () => {
  assert.deepEqual(
    flattenRuntime({ envoy: { resource_limits: { listener: { example_listener_name: { connection_limit: 10000 } } } }, a: 'x', b: true, c: 1.5 }),
    { 'envoy.resource_limits.listener.example_listener_name.connection_limit': 10000, a: 'x', b: true, c: 1.5 },
  );
  assert.deepEqual(flattenRuntime({ 'already.dotted': { key: 1 } }), { 'already.dotted.key': 1 });
});

test('flattenRuntime: an empty map and a FractionalPercent map are single entries', () => {
  assert.deepEqual(flattenRuntime({ e: {}, p: { numerator: 5, denominator: 'HUNDRED' }, q: { x: {} } }), {
    e: '{}',
    p: '{"numerator":5,"denominator":"HUNDRED"}',
    'q.x': '{}',
  });
});

test('flattenRuntime: lists and nulls are invalid entries, as in Envoy', () => {
  const errors: string[] = [];
  const out = flattenRuntime({ a: [1, 2], b: { c: null }, d: 1 }, '', {}, errors);
  assert.deepEqual(out, { d: 1 });
  assert.deepEqual(errors, ['Invalid runtime entry value for a', 'Invalid runtime entry value for b.c']);
});

const cfg: RuntimeConfig = {
  layers: [
    { name: 'static', kind: 'static', values: { a: 1, b: 'x' } },
    { name: 'disk', kind: 'disk', values: {}, directory: '/srv/rt' },
    { name: 'admin', kind: 'admin', values: {} },
  ],
};

test('mergeRuntime: later layers win; per-layer values for /runtime', () => {
  const m = mergeRuntime(cfg, new Map([['admin', { a: 7, c: true }]]));
  assert.deepEqual([...m.keys()], ['a', 'b', 'c']);
  assert.deepEqual(m.get('a'), { finalValue: '7', layerValues: ['1', '', '7'] });
  assert.deepEqual(m.get('b'), { finalValue: 'x', layerValues: ['x', '', ''] });
  assert.deepEqual(m.get('c'), { finalValue: 'true', layerValues: ['', '', 'true'] });
});

test('runtimeInt: numbers, non-numbers fall back to the default', () => {
  const m = mergeRuntime({ layers: [{ name: 's', kind: 'static', values: { n: 10000, f: 2.7, s: 'abc', e: '' } }] });
  assert.equal(runtimeInt(m, 'n', 0), 10000);
  assert.equal(runtimeInt(m, 'f', 0), 2);
  assert.equal(runtimeInt(m, 's', 5), 5);
  assert.equal(runtimeInt(m, 'e', 5), 5);
  assert.equal(runtimeInt(m, 'missing', 3), 3);
});
