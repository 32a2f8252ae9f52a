import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  any,
  bool,
  bytes,
  camel,
  double,
  duration,
  enm,
  int,
  list,
  map,
  msg,
  parseDurationMs,
  str,
  struct,
  uint,
  walk,
  type Ty,
  type WalkIssue,
} from '../../../core/config/schema-dsl.js';

function check(ty: Ty, value: unknown): { value: unknown; issues: string[] } {
  const issues: WalkIssue[] = [];
  const v = walk(ty, value, 'f', issues);
  return { value: v, issues: issues.map((i) => `${i.path}: ${i.message}`) };
}

function good(ty: Ty, value: unknown): unknown {
  const r = check(ty, value);
  assert.deepEqual(r.issues, [], `expected ${JSON.stringify(value)} to be accepted`);
  return r.value;
}

function bad(ty: Ty, value: unknown): string[] {
  const r = check(ty, value);
  assert.notDeepEqual(r.issues, [], `expected ${JSON.stringify(value)} to be refused`);
  return r.issues;
}

test('camel: protobuf json_name', () => {
  assert.equal(camel('stat_prefix'), 'statPrefix');
  assert.equal(camel('consecutive_5xx'), 'consecutive5xx');
  assert.equal(camel('max_requests_per_connection'), 'maxRequestsPerConnection');
  assert.equal(camel('name'), 'name');
});

test('parseDurationMs: protobuf JSON strings', () => {
  assert.equal(parseDurationMs('0.25s'), 250);
  assert.equal(parseDurationMs('5s'), 5000);
  assert.equal(parseDurationMs('0s'), 0);
  assert.equal(parseDurationMs('1.000000001s'), 1000.000001);
  assert.equal(parseDurationMs('-1.5s'), -1500);
  assert.equal(parseDurationMs('315576000000s'), 315576000000000);
  for (const v of ['5', '5ms', '1m', ' 1s', '1s ', '1.s', '.5s', '1.0000000001s', '1e3s', '+1s', '1ss', '', 's', '315576000001s']) {
    assert.equal(parseDurationMs(v), null, v);
  }
  for (const v of [5, true, null, [], '5 s']) assert.equal(parseDurationMs(v), null, String(v));
});

test('parseDurationMs: {seconds, nanos} objects, as the legacy parser takes them', () => {
  assert.equal(parseDurationMs({ seconds: 1 }), 1000);
  assert.equal(parseDurationMs({ seconds: '2', nanos: 500000000 }), 2500);
  assert.equal(parseDurationMs({ nanos: 1000000 }), 1);
  assert.equal(parseDurationMs({}), 0);
  assert.equal(parseDurationMs({ seconds: -1, nanos: -5e8 }), -1500);
  for (const v of [{ seconds: 1.5 }, { seconds: 1, nanos: -1 }, { nanos: 1e9 }, { seconds: 'x' }, { minutes: 1 }, { seconds: 1, extra: 0 }]) {
    assert.equal(parseDurationMs(v), null, JSON.stringify(v));
  }
});

test('duration fields: rules and messages', () => {
  assert.equal(good(duration(), '0.25s'), 250);
  assert.deepEqual(bad(duration(), 'soon'), ['f: invalid duration string "soon" (expected e.g. "0.25s")']);
  assert.deepEqual(bad(duration(), 5), ['f: invalid duration number 5 (expected e.g. "0.25s")']);
  assert.deepEqual(bad(duration(), '-1s'), ['f: duration must not be negative']);
  assert.deepEqual(bad(duration({ gt: 0 }), '0s'), ['f: value must be greater than 0s']);
  assert.equal(good(duration({ gt: 0 }), '0.000001s'), 0.001);
  assert.deepEqual(bad(duration({ gt: 1 }), '0.001s'), ['f: value must be greater than 0.001s']);
  assert.deepEqual(bad(duration({ gte: 1 }), '0.0005s'), ['f: value must be greater than or equal to 0.001s']);
  assert.deepEqual(bad(duration({ gte: 1, lt: 300000 }), '300s'), ['f: value must be less than 300s']);
  assert.equal(good(duration({ gte: 1, lt: 300000 }), '299.999s'), 299999);
});

test('strings: numbers and booleans are not strings (Envoy reads unquoted YAML scalars as such)', () => {
  assert.equal(good(str(), 'x'), 'x');
  assert.equal(good(str(), ''), '');
  assert.deepEqual(bad(str(), 8080), ['f: expected a string, got number 8080 (quote it)']);
  assert.deepEqual(bad(str(), true), ['f: expected a string, got boolean true (quote it)']);
  assert.deepEqual(bad(str(), {}), ['f: expected a string, got an object']);
  assert.deepEqual(bad(str(1), ''), ['f: must be a non-empty string']);
});

test('bytes: base64, standard or URL-safe', () => {
  assert.equal(good(bytes, 'aGVsbG8='), 'aGVsbG8=');
  assert.equal(good(bytes, 'aGVsbG8'), 'aGVsbG8');
  assert.equal(good(bytes, '-_-_'), '-_-_');
  assert.deepEqual(bad(bytes, 'not base64!'), ['f: invalid base64 data']);
  assert.deepEqual(bad(bytes, 'a'), ['f: invalid base64 data']);
  assert.deepEqual(bad(bytes, 3), ['f: expected base64 bytes, got number 3']);
});

test('booleans: true/false, quoted words as absl::SimpleAtob reads them, and BoolValue objects', () => {
  assert.equal(good(bool, true), true);
  assert.equal(good(bool, 'false'), false);
  assert.equal(good(bool, 'YES'), true);
  assert.equal(good(bool, '0'), false);
  assert.equal(good(bool, { value: true }), true);
  assert.deepEqual(bad(bool, 1), ['f: expected true or false, got number 1']);
  assert.deepEqual(bad(bool, 'maybe'), ['f: expected true or false, got string "maybe"']);
});

test('integers: quoted, wrapped, ranges, uint32 by default', () => {
  assert.equal(good(uint(), 5), 5);
  assert.equal(good(uint(), '5'), 5);
  assert.equal(good(uint(), { value: 7 }), 7);
  assert.equal(good(uint(), 4294967295), 4294967295);
  assert.deepEqual(bad(uint(), 4294967296), ['f: must be at most 4294967295, got 4294967296']);
  assert.deepEqual(bad(uint(), -1), ['f: must not be negative, got -1']);
  assert.deepEqual(bad(uint(), '-1'), ['f: must not be negative, got -1']);
  assert.deepEqual(bad(uint(), 1.5), ['f: expected an integer, got 1.5']);
  assert.deepEqual(bad(uint(), ' 5'), ['f: expected a number, got string " 5"']);
  assert.deepEqual(bad(uint(), '5x'), ['f: expected a number, got string "5x"']);
  assert.deepEqual(bad(uint(), true), ['f: expected a number, got boolean true']);
  assert.deepEqual(bad(uint(1, 10), 0), ['f: must be at least 1, got 0']);
  assert.deepEqual(bad(uint(1, 10), 11), ['f: must be at most 10, got 11']);
  assert.equal(good(int(), -3), -3);
  assert.equal(good(double(0, 100), 12.5), 12.5);
  assert.equal(good(double(0, 100), '12.5'), 12.5);
  assert.deepEqual(bad(double(0, 100), 101), ['f: must be at most 100, got 101']);
});

test('enums: any case, by number, reserved numbers refused', () => {
  const e = enm('A_B', 'C', '', 'D');
  assert.equal(good(e, 'a_b'), 'A_B');
  assert.equal(good(e, 'c'), 'C');
  assert.equal(good(e, 3), 'D');
  assert.equal(good(e, '1'), 'C');
  assert.deepEqual(bad(e, 2), ['f: invalid value number 2; expected one of A_B, C, D']);
  assert.deepEqual(bad(e, 'E'), ['f: invalid value string "E"; expected one of A_B, C, D']);
  assert.deepEqual(bad(e, ''), ['f: invalid value string ""; expected one of A_B, C, D']);
});

test('lists: items checked with their index; a single element stands for a list', () => {
  assert.deepEqual(good(list(uint()), [1, '2']), [1, 2]);
  assert.deepEqual(good(list(str()), 'one'), ['one']);
  assert.deepEqual(bad(list(uint()), [1, 'x']), ['f[1]: expected a number, got string "x"']);
  assert.deepEqual(bad(list(str(), 1), []), ['f: must have at least 1 item(s)']);
  assert.deepEqual(bad(list(str()), ['a', null]), ['f[1]: a list item must not be null']);
  assert.deepEqual(good(list(msg('M', { a: str() })), [null]), [{}]);
});

test('maps and Structs', () => {
  assert.deepEqual(good(map(uint()), { a: 1 }), { a: 1 });
  assert.deepEqual(bad(map(uint()), { a: 'x' }), ['f.a: expected a number, got string "x"']);
  assert.deepEqual(bad(map(uint()), [1]), ['f: expected a map, got a list']);
  assert.deepEqual(good(struct, { any: { thing: [1] } }), { any: { thing: [1] } });
  assert.deepEqual(bad(struct, 'x'), ['f: expected an object, got string "x"']);
});

const M = msg(
  'config.test.v3.Thing',
  { name: str(1), a: str(), b: str(), n: uint(), sub: msg('config.test.v3.Thing.Sub', { x: uint() }), t: any({ 'x.y.Z': msg('x.y.Z', { q: str() }) }, ['x.y.Unsupported']) },
  {
    required: ['name'],
    oneofs: [{ fields: ['a', 'b', 'gone'], required: true }],
    unsupported: ['gone', 'later'],
  },
);

test('messages: snake_case and camelCase names, unknown fields, fields given twice', () => {
  assert.deepEqual(good(M, { name: 'x', a: 'y' }), { name: 'x', a: 'y' });
  assert.deepEqual(bad(M, { name: 'x', a: 'y', nope: 1 }), ['f.nope: unknown field']);
  const m2 = msg('M2', { stat_prefix: str() });
  assert.deepEqual(good(m2, { statPrefix: 'p' }), { stat_prefix: 'p' });
  assert.deepEqual(bad(m2, { statPrefix: 'p', stat_prefix: 'q' }), ['f.stat_prefix: field "stat_prefix" given twice']);
  assert.deepEqual(bad(M, 'x'), ['f: expected an object (Thing), got string "x"']);
});

test('messages: required fields and oneofs, one error per problem', () => {
  assert.deepEqual(bad(M, { a: 'y' }), ['f.name: is required']);
  assert.deepEqual(bad(M, { name: null, a: 'y' }), ['f.name: is required']);
  // A required field whose value is wrong is reported once, as wrong, not also as missing.
  assert.deepEqual(bad(M, { name: 5, a: 'y' }), ['f.name: expected a string, got number 5 (quote it)']);
  assert.deepEqual(bad(M, { name: '', a: 'y' }), ['f.name: must be a non-empty string']);
  assert.deepEqual(bad(M, { name: 'x' }), ['f: one of a, b, gone is required']);
  assert.deepEqual(bad(M, { name: 'x', a: 'y', b: 'z' }), ['f: only one of a, b, gone may be set (got a, b)']);
  // An unsupported oneof member is refused by name, without a second "one of ... is required".
  assert.deepEqual(bad(M, { name: 'x', gone: {} }), ['f.gone: Thing.gone is not supported by nuncio']);
  assert.deepEqual(bad(M, { name: 'x', a: 'y', later: 1 }), ['f.later: Thing.later is not supported by nuncio']);
  // null is "unset" for every field.
  assert.deepEqual(good(M, { name: 'x', a: 'y', b: null, later: null }), { name: 'x', a: 'y' });
});

test('Any: "@type" URL forms, {} as unset, unknown and unsupported types', () => {
  assert.deepEqual(good(M, { name: 'x', a: 'y', t: { '@type': 'type.googleapis.com/x.y.Z', q: 'v' } }), {
    name: 'x',
    a: 'y',
    t: { '@type': 'x.y.Z', q: 'v' },
  });
  assert.deepEqual((good(M, { name: 'x', a: 'y', t: { '@type': 'example.com/a/x.y.Z' } }) as { t: unknown }).t, { '@type': 'x.y.Z' });
  assert.deepEqual(good(M, { name: 'x', a: 'y', t: {} }), { name: 'x', a: 'y' });
  assert.deepEqual(bad(M, { name: 'x', a: 'y', t: { q: 'v' } }), ['f.t: missing "@type" (only an empty {} may leave it out)']);
  assert.deepEqual(bad(M, { name: 'x', a: 'y', t: { '@type': 'x.y.Z' } }), [
    'f.t.@type: invalid type URL "x.y.Z" (expected type.googleapis.com/<message name>)',
  ]);
  assert.deepEqual(bad(M, { name: 'x', a: 'y', t: { '@type': 'type.googleapis.com/' } }), [
    'f.t.@type: invalid type URL "type.googleapis.com/" (expected type.googleapis.com/<message name>)',
  ]);
  assert.deepEqual(bad(M, { name: 'x', a: 'y', t: { '@type': 'type.googleapis.com/x.y.Unsupported' } }), [
    'f.t.@type: "x.y.Unsupported" is not supported by nuncio',
  ]);
  assert.deepEqual(bad(M, { name: 'x', a: 'y', t: { '@type': 'type.googleapis.com/x.y.W' } }), [
    'f.t.@type: unsupported type "x.y.W" here; expected one of x.y.Z',
  ]);
  assert.deepEqual(bad(M, { name: 'x', a: 'y', t: { '@type': 'type.googleapis.com/x.y.Z', r: 1 } }), ['f.t.r: unknown field']);
  assert.deepEqual(bad(M, { name: 'x', a: 'y', t: { '@type': 7 } }), ['f.t.@type: expected a type URL string, got number 7']);
});
