import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileRegex,
  compileSubstitution,
  isRegexError,
  replaceAll,
  translateRegex,
  type CompiledSubstitution,
} from '../../../core/router/regex.js';

function re(p: string, anchored = true): RegExp {
  const r = compileRegex(p, anchored);
  assert.ok(r instanceof RegExp, `expected ${p} to compile: ${JSON.stringify(r)}`);
  return r;
}

function err(p: string): string {
  const r = compileRegex(p);
  assert.ok(isRegexError(r), `expected ${p} to be rejected`);
  return r.error;
}

test('anchored means a full match, unanchored a search', () => {
  assert.equal(re('/api/.*').test('/api/x'), true);
  assert.equal(re('/api/.*').test('/v1/api/x'), false);
  assert.equal(re('foo|bar').test('foobar'), false);
  assert.equal(re('foo|bar').test('bar'), true);
  assert.equal(re('api', false).test('/v1/api/x'), true);
});

test('compiled regexes are cached by pattern', () => {
  assert.equal(compileRegex('/x/[0-9]+'), compileRegex('/x/[0-9]+'));
  assert.notEqual(compileRegex('/x/[0-9]+', true), compileRegex('/x/[0-9]+', false));
});

test('what RE2 rejects and JS would accept is rejected, with RE2 wording', () => {
  assert.match(err('(?=a)b'), /^invalid perl operator: \(\?= \(lookahead/);
  assert.match(err('(?!a)b'), /^invalid perl operator: \(\?! \(lookahead/);
  assert.match(err('(?<=a)b'), /^invalid perl operator: \(\?< \(lookbehind/);
  assert.match(err('(?<!a)b'), /^invalid perl operator: \(\?< \(lookbehind/);
  assert.match(err('(a)\\1'), /^invalid escape sequence: \\1 \(backreferences/);
  assert.match(err('(?P<n>a)(?P=n)'), /^invalid perl operator: \(\?P/);
  assert.match(err('a++'), /^bad repetition operator: \+\+/);
  assert.match(err('a*+'), /^bad repetition operator: \*\+/);
  assert.match(err('a**'), /^bad repetition operator: \*\*/);
  assert.match(err('a{2}{3}'), /^bad repetition operator: \{2\}\{3\}/);
  assert.match(err('(?>a)'), /^invalid perl operator: \(\?> \(atomic/);
  assert.match(err('(?#note)a'), /^invalid perl operator: \(\?#/);
  assert.match(err('\\Z'), /^invalid escape sequence: \\Z/);
  assert.match(err('\\u0041'), /^invalid escape sequence: \\u/);
  assert.match(err('\\cA'), /^invalid escape sequence: \\c/);
  assert.match(err('\\e'), /^invalid escape sequence: \\e/);
  assert.match(err('[\\b]'), /^invalid escape sequence: \\b/);
  assert.match(err('\\k<n>'), /^invalid escape sequence: \\k/);
  assert.match(err('(?x)a b'), /^invalid perl operator: \(\?x/);
});

test('plain syntax errors are reported like RE2', () => {
  assert.equal(err('(a'), 'missing ): (a');
  assert.equal(err('a)'), 'unexpected ): a)');
  assert.equal(err('[a'), 'missing ]: [a');
  assert.equal(err('[z-a]'), 'invalid character class range: z-a');
  assert.equal(err('*a'), 'no argument for repetition operator: *');
  assert.equal(err('{2}'), 'no argument for repetition operator: {2}');
  assert.equal(err('a{1001}'), 'invalid repetition size: {1001}');
  assert.equal(err('a{3,2}'), 'invalid repetition size: {3,2}');
  assert.equal(err('(a{100}){100}'), 'invalid repetition size: {100}');
  assert.equal(err('\\'), 'trailing \\: ');
  assert.equal(err('[[:foo:]]'), 'invalid character class range: [:foo:]');
  assert.equal(err('\\p{Foo}'), 'invalid character class range: \\p{Foo}');
  assert.equal(err('(?P<a-b>x)'), 'invalid named capture group: (?P<a-b>');
});

test('RE2 syntax that JS spells differently is translated', () => {
  assert.equal(re('(?i)abc').test('aBC'), true);
  assert.equal(re('a(?i)bc').test('aBC'), true);
  assert.equal(re('a(?i)bc').test('ABC'), false);
  assert.equal(re('a(?i:b)c').test('aBc'), true);
  assert.equal(re('a(?i:b)c').test('aBC'), false);
  assert.equal(re('(?i)[a-c]+').test('AbC'), true);
  assert.equal(re('(?s)a.b').test('a\nb'), true);
  assert.equal(re('a.b').test('a\nb'), false);
  assert.equal(re('a.b').test('a\rb'), true); // RE2's . only excludes \n
  assert.equal(re('(?m)a$\\n^b').test('a\nb'), true);
  assert.equal(re('\\Aab\\z').test('ab'), true);
  assert.equal(re('\\Q.*+\\E').test('.*+'), true);
  assert.equal(re('\\Q.*+\\E').test('ab'), false);
  assert.equal(re('\\Qab\\E+').test('abbb'), true); // the quantifier binds to the last quoted char
  assert.equal(re('[[:alpha:]]+[[:digit:]]').test('ab1'), true);
  assert.equal(re('[[:^alpha:]]+').test('12-'), true);
  assert.equal(re('\\x41\\x{42}\\103').test('ABC'), true);
  assert.equal(re('[]a]+').test(']a]'), true);
  assert.equal(re('[^]a]').test('b'), true);
  assert.equal(re('a{,2}').test('a{,2}'), true); // not a repeat in RE2: literal braces
  assert.equal(re('\\s+').test(' \t'), true);
  assert.equal(re('\\s').test('\u00a0'), false); // RE2's \s is ASCII only
  assert.equal(re('\\w+').test('héllo'), false);
  assert.equal(re('\\pL+').test('héllo'), true);
  assert.equal(re('\\p{Greek}+').test('αβγ'), true);
  assert.equal(re('\\P{Greek}').test('a'), true);
  assert.equal(re('(?P<id>[0-9]+)').test('42'), true);
  assert.equal(re('(?U)a+').test('aaa'), true);
  assert.equal(re('\\-\\@\\_').test('-@_'), true);
  assert.equal(re('(?i)k').test('\u212a'), true); // Kelvin sign folds to k in RE2
});

test('RE2 program size over 100 is refused as Envoy does', () => {
  const t = translateRegex('^/api/v[0-9]+/users/[a-z0-9-]+$');
  assert.ok(!('error' in t));
  assert.equal(t.programSize, 17); // what RE2 reports for this pattern
  assert.match(
    err('[a-z]{200}'),
    /^regex '\[a-z\]\{200\}' RE2 program size of \d+ > max program size of 100 set for the error level threshold/,
  );
  assert.match(err('(foo|bar|baz|qux|quux|corge|grault|garply|waldo|fred|plugh|xyzzy|thud){4}'), /program size/);
  assert.ok(re('(foo|bar|baz)/[0-9]{1,8}') instanceof RegExp);
});

function sub(p: string, s: string): CompiledSubstitution {
  const c = compileSubstitution(p, s);
  assert.ok(!('error' in c));
  return c;
}

test('replaceAll follows RE2::GlobalReplace', () => {
  assert.equal(replaceAll(sub('^/service/([^/]+)(/.*)$', '\\2/instance/\\1'), '/service/foo/v1/api'), '/v1/api/instance/foo');
  assert.equal(replaceAll(sub('one', 'two'), '/xxx/one/yyy/one/zzz'), '/xxx/two/yyy/two/zzz');
  assert.equal(replaceAll(sub('^(.*?)one(.*)$', '\\1two\\2'), '/xxx/one/yyy/one/zzz'), '/xxx/two/yyy/one/zzz');
  assert.equal(replaceAll(sub('(?i)/xxx/', '/yyy/'), '/aaa/XxX/bbb'), '/aaa/yyy/bbb');
  // Empty matches: none right where the previous match ended (JS would give "-b--").
  assert.equal(replaceAll(sub('a*', '-'), 'baaa'), '-b-');
  assert.equal(replaceAll(sub('x*', '-'), 'abc'), '-a-b-c-');
  assert.equal(replaceAll(sub('b*', 'X'), 'abba'), 'XaXaX');
  // \0 is the whole match, \\ a backslash, '$' is literal.
  assert.equal(replaceAll(sub('o+', '[\\0]'), 'foo'), 'f[oo]');
  assert.equal(replaceAll(sub('o', '\\\\'), 'fo'), 'f\\');
  assert.equal(replaceAll(sub('(o)', '$1'), 'fo'), 'f$1');
  // A group the pattern lacks: RE2 leaves the input unchanged.
  assert.equal(replaceAll(sub('o', '\\2'), 'foo'), 'foo');
  // A bad escape ends the substitution where it stands.
  assert.equal(replaceAll(sub('o', 'x\\qy'), 'foo'), 'fxx');
  assert.equal(replaceAll(sub('/+', '/'), '//a///b'), '/a/b');
  assert.equal(replaceAll(sub('z', 'y'), 'abc'), 'abc');
});
