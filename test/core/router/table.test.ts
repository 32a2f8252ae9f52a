import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable } from '../../../core/router/table.js';
import type { Route } from '../../../core/config/types.js';
import { header, match, query, req, route, routeConfig, sm, vhost } from './fixtures.js';

function table(routes: Route[]): RouteTable {
  return new RouteTable(routeConfig([vhost('v', ['*'], routes)]));
}

function routed(t: RouteTable, path: string, over = {}): string | null {
  const r = t.route(req(path, over));
  return r === null ? null : r.config.name;
}

test('findVirtualHost gives the compiled vhost carrying its config', () => {
  const rc = routeConfig([vhost('a', ['a.com'], []), vhost('b', ['*.b.com', '*'], [])]);
  const t = new RouteTable(rc);
  assert.equal(t.findVirtualHost('A.com')?.config.name, 'a');
  assert.equal(t.findVirtualHost('x.b.com')?.config.name, 'b');
  assert.equal(t.findVirtualHost('x.b.com')?.index, 1);
  assert.equal(t.findVirtualHost('zzz')?.config, rc.virtualHosts[1]);
});

test('a request whose host has no vhost gets no route', () => {
  const t = new RouteTable(routeConfig([vhost('a', ['a.com'], [route('r', match('prefix', '/'))])]));
  assert.equal(t.route(req('/', { authority: 'b.com' })), null);
  assert.equal(t.route(req('/', { authority: 'a.com' }))?.config.name, 'r');
  assert.equal(t.route(req('/', { authority: 'a.com' }))?.vhost.config.name, 'a');
});

test('prefix: start of the path, query and fragment excluded (PathMatcher)', () => {
  const t = table([route('r', match('prefix', '/api'))]);
  assert.equal(routed(t, '/api'), 'r');
  assert.equal(routed(t, '/apis/x'), 'r');
  assert.equal(routed(t, '/api?x=1'), 'r');
  assert.equal(routed(t, '/ap?i'), null);
  assert.equal(routed(t, '/ap#i'), null);
  assert.equal(routed(t, '/API'), null);
  const withQuery = table([route('q', match('prefix', '/a?b'))]);
  assert.equal(routed(withQuery, '/a?b'), null); // a prefix never reaches into the query
  const empty = table([route('all', match('prefix', ''))]);
  assert.equal(routed(empty, '*'), 'all');
});

test('path: exact, with query and fragment stripped', () => {
  const t = table([route('r', match('path', '/exact'))]);
  assert.equal(routed(t, '/exact'), 'r');
  assert.equal(routed(t, '/exact?param=val'), 'r');
  assert.equal(routed(t, '/exact#fragment'), 'r');
  assert.equal(routed(t, '/exact/'), null);
  assert.equal(routed(t, '/exac'), null);
  assert.equal(routed(t, '/EXACT'), null);
  assert.equal(routed(t, '/exacz?/exact'), null);
});

test('safe_regex: full match of the path without query; case_sensitive does not apply', () => {
  const t = table([route('r', match('regex', '/v[0-9]+/users/[a-z]+', { caseSensitive: false }))]);
  assert.equal(routed(t, '/v1/users/bob'), 'r');
  assert.equal(routed(t, '/v1/users/bob?x=/v1'), 'r');
  assert.equal(routed(t, '/v1/users/bob#top'), 'r');
  assert.equal(routed(t, '/v1/users/Bob'), null);
  assert.equal(routed(t, '/v1/users/bob/x'), null);
  assert.equal(routed(t, 'x/v1/users/bob'), null);
});

test('path_separated_prefix: equal, or followed by "/"', () => {
  const t = table([route('r', match('path_separated_prefix', '/api'))]);
  assert.equal(routed(t, '/api'), 'r');
  assert.equal(routed(t, '/api/x'), 'r');
  assert.equal(routed(t, '/api?x'), 'r');
  assert.equal(routed(t, '/api#x'), 'r');
  assert.equal(routed(t, '/apis'), null);
  assert.equal(routed(t, '/ap'), null);
  assert.equal(routed(t, '/API/x'), null);
});

test('case_sensitive false: prefix, path and path_separated_prefix ignore ASCII case', () => {
  const t = table([
    route('prefix', match('prefix', '/Pre', { caseSensitive: false })),
    route('path', match('path', '/Exact', { caseSensitive: false })),
    route('sep', match('path_separated_prefix', '/Sep', { caseSensitive: false })),
  ]);
  assert.equal(routed(t, '/pREfix'), 'prefix');
  assert.equal(routed(t, '/EXACT?q'), 'path');
  assert.equal(routed(t, '/sEP/x'), 'sep');
  assert.equal(routed(t, '/sEPx'), null);
});

test('first matching route wins', () => {
  const t = table([
    route('specific', match('path', '/a/b')),
    route('prefix', match('prefix', '/a')),
    route('shadowed', match('path', '/a/c')),
    route('fallback', match('prefix', '/')),
  ]);
  assert.equal(routed(t, '/a/b'), 'specific');
  assert.equal(routed(t, '/a/c'), 'prefix');
  assert.equal(routed(t, '/z'), 'fallback');
});

test('all header matchers must match', () => {
  const t = table([
    route(
      'both',
      match('prefix', '/', {
        headers: [header('x-a', { kind: 'string', string: sm('exact', '1') }), header(':method', { kind: 'string', string: sm('exact', 'GET') })],
      }),
    ),
    route('rest', match('prefix', '/')),
  ]);
  assert.equal(routed(t, '/', { headers: [':method', 'GET', 'x-a', '1'] }), 'both');
  assert.equal(routed(t, '/', { headers: [':method', 'POST', 'x-a', '1'] }), 'rest');
  assert.equal(routed(t, '/', { headers: [':method', 'GET'] }), 'rest');
  const byAuthority = table([
    route('h', match('prefix', '/', { headers: [header(':authority', { kind: 'string', string: sm('suffix', '.com') })] })),
  ]);
  assert.equal(routed(byAuthority, '/', { authority: 'x.com' }), 'h');
  assert.equal(routed(byAuthority, '/', { authority: 'x.org' }), null);
});

test('all query parameter matchers must match', () => {
  const t = table([
    route('q', match('prefix', '/', { queryParameters: [query('debug'), query('v', sm('regex', '[0-9]+'))] })),
    route('rest', match('prefix', '/')),
  ]);
  assert.equal(routed(t, '/x?debug&v=12'), 'q');
  assert.equal(routed(t, '/x?v=12&debug=1'), 'q');
  assert.equal(routed(t, '/x?v=12'), 'rest');
  assert.equal(routed(t, '/x?debug&v=a'), 'rest');
  assert.equal(routed(t, '/x'), 'rest');
});

test('tls match: only over TLS or only in plain text', () => {
  const t = table([route('tls', match('prefix', '/', { tlsPresented: true })), route('plain', match('prefix', '/'))]);
  assert.equal(routed(t, '/', { isTls: true }), 'tls');
  assert.equal(routed(t, '/', { isTls: false }), 'plain');
});

test('require_tls: ALL redirects plain text; EXTERNAL_ONLY spares x-envoy-internal requests', () => {
  const routes = [route('r', match('prefix', '/'))];
  const t = new RouteTable(
    routeConfig([vhost('all', ['all.com'], routes, { requireTls: 'ALL' }), vhost('ext', ['ext.com'], routes, { requireTls: 'EXTERNAL_ONLY' })]),
  );
  const plainAll = t.route(req('/', { authority: 'all.com' }));
  assert.equal(plainAll?.kind, 'ssl_redirect');
  assert.equal(plainAll?.config.action.type, 'redirect');
  assert.equal(t.route(req('/', { authority: 'all.com', isTls: true }))?.config.name, 'r');
  assert.equal(t.route(req('/', { authority: 'all.com', headers: ['x-forwarded-proto', 'https'] }))?.config.name, 'r');
  assert.equal(t.route(req('/', { authority: 'ext.com' }))?.kind, 'ssl_redirect');
  assert.equal(t.route(req('/', { authority: 'ext.com', headers: ['x-envoy-internal', 'true'] }))?.config.name, 'r');
  assert.equal(t.route(req('/', { authority: 'all.com', headers: ['x-envoy-internal', 'true'] }))?.kind, 'ssl_redirect');
});

test('an invalid regex refuses to compile', () => {
  assert.throws(() => table([route('bad', match('regex', '(?=x)'))]), /invalid perl operator/);
});
