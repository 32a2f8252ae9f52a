import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable, type CompiledRoute } from '../../../core/router/table.js';
import { pickWeighted, redirectLocation, rewritePath, sslRedirectLocation } from '../../../core/router/rewrite.js';
import type { RedirectAction, Route } from '../../../core/config/types.js';
import { match, redirect, req, route, routeAction, routeConfig, vhost, weighted } from './fixtures.js';

function compiled(routes: Route[]): RouteTable {
  return new RouteTable(routeConfig([vhost('v', ['*'], routes)]));
}

function routeFor(t: RouteTable, path: string): CompiledRoute {
  const r = t.route(req(path));
  assert.ok(r !== null, `no route for ${path}`);
  return r;
}

function rewritten(t: RouteTable, path: string): string | null {
  return rewritePath(routeFor(t, path), path);
}

test('prefix_rewrite: the trailing-slash pair Envoy documents', () => {
  const t = compiled([
    route('slash', match('prefix', '/prefix/'), routeAction({ prefixRewrite: '/' })),
    route('bare', match('prefix', '/prefix'), routeAction({ prefixRewrite: '/' })),
  ]);
  assert.equal(rewritten(t, '/prefix'), '/');
  assert.equal(rewritten(t, '/prefix/etc'), '/etc');
  assert.equal(rewritten(t, '/prefix/'), '/');
  assert.equal(rewritten(t, '/prefixetc'), '/etc');
  assert.equal(rewritten(t, '/prefix/etc?a=1'), '/etc?a=1');
  assert.equal(rewritten(t, '/prefix?a=/prefix'), '/?a=/prefix');
});

test('prefix_rewrite with one route and no trailing slash joins without a "/"', () => {
  const t = compiled([route('r', match('prefix', '/api'), routeAction({ prefixRewrite: '/v2' }))]);
  assert.equal(rewritten(t, '/api/users'), '/v2/users');
  assert.equal(rewritten(t, '/apix'), '/v2x');
  const ci = compiled([route('r', match('prefix', '/API', { caseSensitive: false }), routeAction({ prefixRewrite: '/x' }))]);
  assert.equal(rewritten(ci, '/api/y'), '/x/y');
});

test('prefix_rewrite on path, regex and path_separated_prefix routes', () => {
  const path = compiled([route('p', match('path', '/old'), routeAction({ prefixRewrite: '/new' }))]);
  assert.equal(rewritten(path, '/old?q=1'), '/new?q=1');
  const regex = compiled([route('r', match('regex', '/old/.*'), routeAction({ prefixRewrite: '/new' }))]);
  assert.equal(rewritten(regex, '/old/a/b?q=1'), '/new?q=1'); // the whole path was matched
  const sep = compiled([route('s', match('path_separated_prefix', '/old'), routeAction({ prefixRewrite: '/new' }))]);
  assert.equal(rewritten(sep, '/old/x'), '/new/x');
});

test('regex_rewrite: capture groups, all occurrences, query kept', () => {
  const t = compiled([
    route(
      'svc',
      match('prefix', '/service/'),
      routeAction({ regexRewrite: { pattern: '^/service/([^/]+)(/.*)$', substitution: '\\2/instance/\\1' } }),
    ),
    route('one', match('prefix', '/'), routeAction({ regexRewrite: { pattern: 'one', substitution: 'two' } })),
  ]);
  assert.equal(rewritten(t, '/service/foo/v1/api'), '/v1/api/instance/foo');
  assert.equal(rewritten(t, '/service/foo/v1/api?one=1#x'), '/v1/api/instance/foo?one=1#x');
  assert.equal(rewritten(t, '/xxx/one/yyy/one/zzz?one'), '/xxx/two/yyy/two/zzz?one');
  assert.equal(rewritten(t, '/zzz'), '/zzz'); // configured, nothing to replace: same path
});

test('path_rewrite replaces the path and keeps the query; no rewrite gives null', () => {
  const t = compiled([
    route('p', match('prefix', '/p'), routeAction({ pathRewrite: '/fixed' })),
    route('none', match('prefix', '/')),
  ]);
  assert.equal(rewritten(t, '/p/x?y=1'), '/fixed?y=1');
  assert.equal(rewritten(t, '/other'), null);
});

test('redirect Location: scheme, host, port, default ports dropped', () => {
  const https: RedirectAction = redirect({ scheme: 'https' });
  assert.equal(redirectLocation(https, 'http', 'example.com', '/a?b'), 'https://example.com/a?b');
  assert.equal(redirectLocation(https, 'http', 'example.com:80', '/a'), 'https://example.com/a');
  assert.equal(redirectLocation(https, 'http', 'example.com:8080', '/a'), 'https://example.com:8080/a');
  assert.equal(redirectLocation(https, 'https', 'example.com:443', '/a'), 'https://example.com:443/a');
  assert.equal(redirectLocation(redirect({ scheme: 'http' }), 'https', 'example.com:443', '/a'), 'http://example.com/a');
  assert.equal(redirectLocation(redirect({ scheme: 'https' }), 'http', '[::1]:80', '/a'), 'https://[::1]/a');
  assert.equal(redirectLocation(redirect({ scheme: 'https' }), 'http', '[::1]', '/a'), 'https://[::1]/a');
  assert.equal(redirectLocation(redirect({ host: 'new.com' }), 'http', 'old.com:8080', '/a'), 'http://new.com/a');
  assert.equal(redirectLocation(redirect({ port: 8443 }), 'http', 'old.com:8080', '/a'), 'http://old.com:8443/a');
  assert.equal(redirectLocation(redirect({ port: 8443 }), 'http', 'old.com', '/a'), 'http://old.com:8443/a');
  assert.equal(
    redirectLocation(redirect({ scheme: 'https', host: 'n.com', port: 443 }), 'http', 'o.com', '/a'),
    'https://n.com:443/a',
  );
  assert.equal(redirectLocation(redirect(), 'http', 'example.com:8080', '/a'), 'http://example.com:8080/a');
});

test('redirect Location: path_redirect, query handling, strip_query', () => {
  assert.equal(redirectLocation(redirect({ path: '/new' }), 'http', 'h', '/old?x=1'), 'http://h/new?x=1');
  assert.equal(redirectLocation(redirect({ path: '/new?y=2' }), 'http', 'h', '/old?x=1'), 'http://h/new?y=2');
  assert.equal(redirectLocation(redirect({ path: '/new', stripQuery: true }), 'http', 'h', '/old?x=1'), 'http://h/new');
  assert.equal(
    redirectLocation(redirect({ path: '/new?y=2', stripQuery: true }), 'http', 'h', '/old?x=1'),
    'http://h/new?y=2',
  );
  assert.equal(redirectLocation(redirect({ stripQuery: true }), 'http', 'h', '/old?x=1'), 'http://h/old');
  assert.equal(redirectLocation(redirect({ path: 'rel' }), 'http', 'h', '/old'), 'http://h/rel');
});

test('redirect Location: prefix_rewrite and regex_rewrite rewrite the path first', () => {
  const t = compiled([
    route('pre', match('prefix', '/old/'), redirect({ prefixRewrite: '/new/' })),
    route('re', match('prefix', '/r/'), redirect({ regexRewrite: { pattern: '^/r/([a-z]+)$', substitution: '/s/\\1' } })),
    route('https', match('prefix', '/'), redirect({ scheme: 'https', stripQuery: true })),
  ]);
  const loc = (path: string): string => {
    const r = routeFor(t, path);
    assert.equal(r.config.action.type, 'redirect');
    return redirectLocation(r.config.action as RedirectAction, 'http', 'h.com', path, r);
  };
  assert.equal(loc('/old/a/b?q=1'), 'http://h.com/new/a/b?q=1');
  assert.equal(loc('/r/abc?q=1'), 'http://h.com/s/abc?q=1');
  assert.equal(loc('/r/ABC'), 'http://h.com/r/ABC'); // no match: path unchanged
  assert.equal(loc('/x?q=1'), 'https://h.com/x');
});

test('require_tls redirect keeps host and port as they are', () => {
  assert.equal(sslRedirectLocation('h.com:80', '/a?b'), 'https://h.com:80/a?b');
  const t = new RouteTable(routeConfig([vhost('v', ['*'], [], { requireTls: 'ALL' })]));
  const r = t.route(req('/a?b', { authority: 'h.com:80' }));
  assert.ok(r !== null);
  assert.equal(redirectLocation(r.config.action as RedirectAction, 'http', 'h.com:80', '/a?b', r), 'https://h.com:80/a?b');
});

test('pickWeighted walks cumulative weights with value = floor(r * total)', () => {
  const entries = [weighted('a', 10), weighted('b', 0), weighted('c', 30), weighted('d', 60)];
  const total = 100;
  assert.equal(pickWeighted(entries, total, 0).name, 'a');
  assert.equal(pickWeighted(entries, total, 0.0999).name, 'a');
  assert.equal(pickWeighted(entries, total, 0.1).name, 'c');
  assert.equal(pickWeighted(entries, total, 0.3999).name, 'c');
  assert.equal(pickWeighted(entries, total, 0.4).name, 'd');
  assert.equal(pickWeighted(entries, total, 0.99999).name, 'd');
  assert.equal(pickWeighted(entries, total, 1).name, 'd');
  const counts: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
  const steps = 10000;
  for (let i = 0; i < steps; i++) counts[pickWeighted(entries, total, i / steps).name]++;
  assert.deepEqual(counts, { a: 1000, b: 0, c: 3000, d: 6000 });
  const odd = [weighted('x', 1), weighted('y', 2)];
  const c2: Record<string, number> = { x: 0, y: 0 };
  for (let i = 0; i < 3000; i++) c2[pickWeighted(odd, 3, (i + 0.5) / 3000).name]++;
  assert.deepEqual(c2, { x: 1000, y: 2000 });
});

test('weighted routes carry their total weight', () => {
  const t = compiled([
    route('w', match('prefix', '/'), routeAction({ cluster: null, weightedClusters: [weighted('a', 3), weighted('b', 7)] })),
  ]);
  assert.equal(routeFor(t, '/').weightedTotal, 10);
});
