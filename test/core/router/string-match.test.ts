import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HeaderMatcher,
  QueryParamMatcher,
  StringMatcher,
  headerValue,
  simpleAtoi64,
} from '../../../core/router/string-match.js';
import { header, query, req, sm } from './fixtures.js';

test('string matchers: exact, prefix, suffix, contains, regex', () => {
  assert.equal(new StringMatcher(sm('exact', 'abc')).match('abc'), true);
  assert.equal(new StringMatcher(sm('exact', 'abc')).match('abcd'), false);
  assert.equal(new StringMatcher(sm('exact', 'abc')).match('ABC'), false);
  assert.equal(new StringMatcher(sm('exact', '')).match(''), true);
  assert.equal(new StringMatcher(sm('exact', '')).match('x'), false);
  assert.equal(new StringMatcher(sm('prefix', 'ab')).match('abc'), true);
  assert.equal(new StringMatcher(sm('prefix', 'ab')).match('xab'), false);
  assert.equal(new StringMatcher(sm('suffix', 'bc')).match('abc'), true);
  assert.equal(new StringMatcher(sm('suffix', 'bc')).match('bcd'), false);
  assert.equal(new StringMatcher(sm('contains', 'b')).match('abc'), true);
  assert.equal(new StringMatcher(sm('contains', 'x')).match('abc'), false);
  assert.equal(new StringMatcher(sm('regex', 'a.c')).match('abc'), true);
  assert.equal(new StringMatcher(sm('regex', 'a.c')).match('xabc'), false); // full match
  assert.throws(() => new StringMatcher(sm('regex', '(?=a)')), /invalid perl operator/);
});

test('ignore_case folds ASCII only, as absl does', () => {
  assert.equal(new StringMatcher(sm('exact', 'AbC', true)).match('aBc'), true);
  assert.equal(new StringMatcher(sm('prefix', 'AB', true)).match('abc'), true);
  assert.equal(new StringMatcher(sm('suffix', 'BC', true)).match('abc'), true);
  assert.equal(new StringMatcher(sm('suffix', 'abcd', true)).match('bcd'), false);
  assert.equal(new StringMatcher(sm('contains', 'B', true)).match('abc'), true);
  assert.equal(new StringMatcher(sm('contains', 'BD', true)).match('abc'), false);
  assert.equal(new StringMatcher(sm('exact', 'É', true)).match('é'), false);
});

test('header values: repeats are joined with ",", pseudo-headers come from the request', () => {
  const r = req('/p?q', { authority: 'h:1', headers: ['x-a', '1', 'x-b', '2', 'x-a', '3'] });
  assert.equal(headerValue(r, 'x-a'), '1,3');
  assert.equal(headerValue(r, 'x-b'), '2');
  assert.equal(headerValue(r, 'x-c'), null);
  assert.equal(headerValue(r, ':authority'), 'h:1');
  assert.equal(headerValue(r, ':path'), '/p?q');
  const joined = new HeaderMatcher(header('x-a', { kind: 'string', string: sm('exact', '1,3') }));
  assert.equal(joined.matches(r), true);
  const first = new HeaderMatcher(header('x-a', { kind: 'string', string: sm('exact', '1') }));
  assert.equal(first.matches(r), false);
});

test('presence matching, present_match false and invert_match', () => {
  const r = req('/', { headers: ['x-a', 'v'] });
  const present = (name: string, over = {}) => new HeaderMatcher(header(name, over)).matches(r);
  assert.equal(present('x-a'), true);
  assert.equal(present('x-b'), false);
  assert.equal(present('x-a', { presentValue: false }), false);
  assert.equal(present('x-b', { presentValue: false }), true);
  assert.equal(present('x-a', { invert: true }), false);
  assert.equal(present('x-b', { invert: true }), true);
});

test('a missing header never matches a value matcher, inverted or not, unless treated as empty', () => {
  const r = req('/');
  const exact = (over = {}) =>
    new HeaderMatcher(header('x-a', { kind: 'string', string: sm('exact', 'v'), ...over })).matches(r);
  assert.equal(exact(), false);
  assert.equal(exact({ invert: true }), false);
  assert.equal(exact({ treatMissingAsEmpty: true }), false);
  assert.equal(exact({ treatMissingAsEmpty: true, invert: true }), true);
  const empty = new HeaderMatcher(header('x-a', { kind: 'string', string: sm('exact', ''), treatMissingAsEmpty: true }));
  assert.equal(empty.matches(r), true);
  // Envoy's documented example: range [0,10), inverted, missing treated as empty -> matches.
  const range = new HeaderMatcher(
    header('header1', { kind: 'range', rangeStart: 0, rangeEnd: 10, invert: true, treatMissingAsEmpty: true }),
  );
  assert.equal(range.matches(r), true);
});

test('range_match: int64 in [start, end), parsed like absl::SimpleAtoi', () => {
  const m = new HeaderMatcher(header('x-n', { kind: 'range', rangeStart: -10, rangeEnd: 10 }));
  const with_ = (v: string) => m.matches(req('/', { headers: ['x-n', v] }));
  assert.equal(with_('0'), true);
  assert.equal(with_('-10'), true);
  assert.equal(with_('9'), true);
  assert.equal(with_('10'), false);
  assert.equal(with_('+5'), true);
  assert.equal(with_(' 5 '), true);
  assert.equal(with_('5x'), false);
  assert.equal(with_('1.5'), false);
  assert.equal(with_(''), false);
  assert.equal(with_('-'), false);
  assert.equal(with_('00000000000000000000003'), true);
  assert.equal(simpleAtoi64('9223372036854775807'), 9223372036854775807n);
  assert.ok(Number.isNaN(simpleAtoi64('9223372036854775808')));
  const big = new HeaderMatcher(header('x-n', { kind: 'range', rangeStart: 0, rangeEnd: 2 ** 62 }));
  assert.equal(big.matches(req('/', { headers: ['x-n', '4611686018427387903'] })), true);
  assert.equal(big.matches(req('/', { headers: ['x-n', '4611686018427387904'] })), false);
  const inverted = new HeaderMatcher(header('x-n', { kind: 'range', rangeStart: 0, rangeEnd: 10, invert: true }));
  assert.equal(inverted.matches(req('/', { headers: ['x-n', 'abc'] })), true);
});

test('query parameters: first value wins, no decoding, no "=" means empty value', () => {
  const present = new QueryParamMatcher(query('debug'));
  const exact = new QueryParamMatcher(query('id', sm('exact', '1')));
  const m = (qm: QueryParamMatcher, path: string) => qm.matches(path, path.indexOf('?') < 0 ? -1 : path.indexOf('?') + 1);
  assert.equal(m(present, '/p?debug'), true);
  assert.equal(m(present, '/p?a=1&debug=&b'), true);
  assert.equal(m(present, '/p?debugger=1'), false);
  assert.equal(m(present, '/p'), false);
  assert.equal(m(exact, '/p?id=1'), true);
  assert.equal(m(exact, '/p?id=2&id=1'), false);
  assert.equal(m(exact, '/p?id=1&id=2'), true);
  assert.equal(m(exact, '/p?x=1&id=1#frag'), false); // the fragment stays part of the value
  assert.equal(m(new QueryParamMatcher(query('id', sm('exact', '1#frag'))), '/p?id=1#frag'), true);
  assert.equal(m(new QueryParamMatcher(query('q', sm('exact', 'a%20b'))), '/p?q=a%20b'), true);
  assert.equal(m(new QueryParamMatcher(query('q', sm('exact', ''))), '/p?q'), true);
  assert.equal(m(new QueryParamMatcher(query('q', sm('exact', 'a=b'))), '/p?q=a=b'), true);
  assert.equal(m(new QueryParamMatcher(query('Q')), '/p?q=1'), false); // names are case-sensitive
  assert.equal(m(new QueryParamMatcher(query('v', sm('regex', '[0-9]+'))), '/p?v=123'), true);
});
