// Path normalisation against Envoy's own path_utility_test vectors, the escaped-slashes actions and
// a few properties of the canonical form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  PATH_CONTINUE,
  PATH_REDIRECT,
  PATH_REJECT,
  canonicalizeRequestPath,
  mergeSlashes,
  normalizeRequestPath,
  unescapeSlashes,
  type PathOptions,
} from '../../../core/http/path.js';

test('normalize_path: already normal paths do not change', () => {
  for (const p of ['/xyz', '/x/y/z', '/', '/A/B/C']) assert.equal(canonicalizeRequestPath(p), p);
});

test('normalize_path: Envoy vectors', () => {
  const pairs: [string, string][] = [
    ['/a/b/../c', '/a/c'],
    ['/a/b/./c', '/a/b/c'],
    ['a/b/../c', '/a/c'],
    ['/a/b/../../../../c', '/c'],
    ['/a/..\\c', '/c'],
    ['/%c0%af', '/%c0%af'],
    ['/%5c%25', '/%5c%25'],
    ['/a/b/%2E%2E/c', '/a/c'],
    ['/a/b/%2E./c', '/a/c'],
    ['/a/b/%2E/c', '/a/b/c'],
    ['..', '/'],
    ['/../a/b', '/a/b'],
    ['/./a/b', '/a/b'],
    ['/a/b/%2e%2e/c', '/a/c'],
    ['/a/%2F%2f/c', '/a/%2F%2f/c'],
    ['/xyz/..;foo=bar/abc', '/abc'],
    ['/..;foo=bar/abc', '/abc'],
    ['/xyz/..;foo=bar', '/'],
    ['/xyz/.;foo=bar/abc', '/xyz/abc'],
    ['/.;foo=bar/abc', '/abc'],
    ['/xyz/.;foo=bar', '/xyz/'],
    ['/xyz/..;foo=bar/.;v1=2,v2=3/abc', '/abc'],
    ['/..;foo=bar/abc/.;mmm', '/abc/'],
    ['/.;aaa/..;foo=bar/abc/.;mmm', '/abc/'],
    ['/xyz/..;foo=bar/.;fff=zzz', '/'],
    ['/xyz/..;foo=bar/.;fff=zzz?blah=woops', '/?blah=woops'],
    ['/xyz/..;foo=bar/.;fff=zzz/remain;blah-bluh?query', '/remain;blah-bluh?query'],
  ];
  for (const [input, want] of pairs) assert.equal(canonicalizeRequestPath(input), want, input);
});

test('normalize_path: unreserved characters are decoded, reserved and unsafe ones are (re)encoded', () => {
  assert.equal(canonicalizeRequestPath('/%41%62%7e%2d%5f%30'), '/Ab~-_0');
  assert.equal(canonicalizeRequestPath('/a%20b'), '/a%20b');
  assert.equal(canonicalizeRequestPath('/a b"<>^`{}'), '/a%20b%22%3C%3E%5E%60%7B%7D');
  assert.equal(canonicalizeRequestPath('/caf\u00e9'), '/caf%E9');
  assert.equal(canonicalizeRequestPath('/%zz/%4'), '/%zz/%4');
  assert.equal(canonicalizeRequestPath('/a?x=/../%41'), '/a?x=/../%41'); // the query is not touched
  // A lone '%' followed by a decoded digit pair must not become a new escape.
  assert.equal(canonicalizeRequestPath('/%%32%35'), '/%2525');
});

test('normalize_path: NUL makes a path invalid', () => {
  for (const p of ['/xyz/.%00../abc', '/xyz/%00.%00./abc', '/xyz/AAAAA%%0000/abc', '/a\u0000b']) {
    assert.equal(canonicalizeRequestPath(p), null, p);
  }
});

test('merge_slashes: Envoy vectors', () => {
  const pairs: [string, string][] = [
    ['', ''],
    ['a//b/c', 'a/b/c'],
    ['/a//b/c/', '/a/b/c/'],
    ['a//b/c/', 'a/b/c/'],
    ['/a', '/a'],
    ['//a/b/c', '/a/b/c'],
    ['/a//b/c', '/a/b/c'],
    ['/a/b/c//', '/a/b/c/'],
    ['/a///b/c', '/a/b/c'],
    ['/a////b/c', '/a/b/c'],
    ['/a//b?a=///c', '/a/b?a=///c'],
    ['/a//b?', '/a/b?'],
    ['//a/?b', '/a/?b'],
    ['/a?b//c', '/a?b//c'],
  ];
  for (const [input, want] of pairs) assert.equal(mergeSlashes(input), want, input);
});

test('unescape slashes: Envoy vectors', () => {
  const pairs: [string, string][] = [
    ['', ''],
    ['%2f%2F', '//'],
    ['/a%2Fb%2fc/', '/a/b/c/'],
    ['%2b', '%2b'],
    ['/a/b/c', '/a/b/c'],
    ['%2', '%2'],
    ['%', '%'],
    ['/abc%2', '/abc%2'],
    ['foo%', 'foo%'],
    ['/a%2F', '/a/'],
    ['%2fa/', '/a/'],
    ['%%2fa/', '%/a/'],
    ['%2%2fa/', '%2/a/'],
    ['%5c%5C', '\\\\'],
    ['/a%5Cb%5cc/', '/a\\b\\c/'],
    ['/a%5C', '/a\\'],
    ['%5ca/', '\\a/'],
    ['/x/%2E%2e/z%2f%2Fabc%5C../def', '/x/%2E%2e/z//abc\\../def'],
    ['%2fa%5Cb%2fc%5c', '/a\\b/c\\'],
    ['%2fa%5Cb%2fc%5c?%2fabcd%5C%%2f%', '/a\\b/c\\?%2fabcd%5C%%2f%'],
  ];
  for (const [input, want] of pairs) assert.equal(unescapeSlashes(input), want, input);
});

const opts = (o: Partial<PathOptions>): PathOptions => ({
  normalizePath: false,
  mergeSlashes: false,
  pathWithEscapedSlashesAction: 'IMPLEMENTATION_SPECIFIC_DEFAULT',
  ...o,
});

function run(path: string, o: PathOptions): [number, string] {
  const t = { path };
  const a = normalizeRequestPath(t, o);
  return [a, t.path];
}

test('maybeNormalizePath: no options leave the path alone; a fragment is always rejected', () => {
  assert.deepEqual(run('/a/../b//c%2F', opts({})), [PATH_CONTINUE, '/a/../b//c%2F']);
  assert.equal(run('/a#frag', opts({}))[0], PATH_REJECT);
  assert.equal(run('/a?x#frag', opts({ normalizePath: true }))[0], PATH_REJECT);
});

test('maybeNormalizePath: escaped slashes actions', () => {
  assert.deepEqual(run('/a%2Fb', opts({ pathWithEscapedSlashesAction: 'KEEP_UNCHANGED' })), [PATH_CONTINUE, '/a%2Fb']);
  assert.equal(run('/a%2Fb', opts({ pathWithEscapedSlashesAction: 'REJECT_REQUEST' }))[0], PATH_REJECT);
  assert.deepEqual(run('/a/b?q=%2F', opts({ pathWithEscapedSlashesAction: 'REJECT_REQUEST' })), [PATH_CONTINUE, '/a/b?q=%2F']);
  assert.deepEqual(run('/a%2Fb%5c..%2fc', opts({ pathWithEscapedSlashesAction: 'UNESCAPE_AND_FORWARD' })), [PATH_CONTINUE, '/a/b\\../c']);
  assert.deepEqual(run('/a%2fb', opts({ pathWithEscapedSlashesAction: 'UNESCAPE_AND_REDIRECT' })), [PATH_REDIRECT, '/a/b']);
  // Unescaping happens before normalisation and merging, as in Envoy.
  assert.deepEqual(
    run('/a%2F%2F..%2Fb', opts({ pathWithEscapedSlashesAction: 'UNESCAPE_AND_REDIRECT', normalizePath: true, mergeSlashes: true })),
    [PATH_REDIRECT, '/a/b'],
  );
  assert.deepEqual(run('/x%5C..%5Cy', opts({ pathWithEscapedSlashesAction: 'UNESCAPE_AND_FORWARD', normalizePath: true })), [PATH_CONTINUE, '/y']);
});

test('maybeNormalizePath: normalisation and merging together; invalid paths rejected', () => {
  assert.deepEqual(run('//a/./b/../c//d?x=//y', opts({ normalizePath: true, mergeSlashes: true })), [PATH_CONTINUE, '/a/c/d?x=//y']);
  assert.equal(run('/a/%00', opts({ normalizePath: true }))[0], PATH_REJECT);
  assert.deepEqual(run('/a/%00', opts({ mergeSlashes: true })), [PATH_CONTINUE, '/a/%00']);
});

// No ';' here: like Envoy's, the ".;params" rule looks at '/'-separated segments before '\' becomes '/',
// so `/\.;` normalises to `//.;` and only a second pass removes the `.;`.
const pathChars = fc.constantFrom('/', '.', '%', '2', 'e', 'E', 'f', 'F', '5', 'c', 'a', 'Z', '\\', '?', ' ', '~', '_', '0', '4', '1');
const pathStr = fc.array(pathChars, { maxLength: 24 }).map((a) => '/' + a.join(''));

test('normalize_path: ".;" after a backslash survives one pass, as in Envoy', () => {
  assert.equal(canonicalizeRequestPath('/\\.;'), '//.;');
  assert.equal(canonicalizeRequestPath('//.;'), '//');
  assert.equal(canonicalizeRequestPath('/x/.;a'), '/x/');
});

test('property: canonical paths are fixed points, rooted, and without dot segments', () => {
  fc.assert(
    fc.property(pathStr, (p) => {
      const c = canonicalizeRequestPath(p);
      if (c === null) return true;
      assert.equal(c.charCodeAt(0), 47);
      assert.equal(canonicalizeRequestPath(c), c, `not idempotent: ${p} -> ${c}`);
      const path = c.split('?')[0];
      for (const seg of path.split('/')) assert.ok(seg !== '.' && seg !== '..', `dot segment left in ${c} (from ${p})`);
      return true;
    }),
    { numRuns: 2000 },
  );
});

test('property: merge_slashes leaves no "//" in the path part and is idempotent', () => {
  fc.assert(
    fc.property(pathStr, (p) => {
      const m = mergeSlashes(p);
      const q = m.indexOf('?');
      const path = q < 0 ? m : m.slice(0, q);
      if (path !== '//') assert.ok(!path.includes('//'), `${p} -> ${m}`);
      assert.equal(mergeSlashes(m), m);
      return true;
    }),
    { numRuns: 2000 },
  );
});
