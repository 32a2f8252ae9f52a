import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRouteConfig } from '../../../core/router/check.js';
import { header, match, query, redirect, route, routeAction, routeConfig, sm, vhost, weighted } from './fixtures.js';

const P = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config';
const ok = [route('r', match('prefix', '/'))];

test('a valid config has no errors', () => {
  const rc = routeConfig([
    vhost('a', ['foo.com', '*.foo.com', 'foo.*'], ok),
    vhost('b', ['*', 'bar.com:8080', 'foo.*.com', '**'], [
      route('re', match('regex', '/v[0-9]+/.*')),
      route('w', match('prefix', '/w'), routeAction({ cluster: null, weightedClusters: [weighted('x', 1), weighted('y', 0)] })),
    ]),
  ]);
  assert.deepEqual(checkRouteConfig(rc, P), []);
});

test('duplicate domains across virtual hosts, case-insensitively', () => {
  const rc = routeConfig([vhost('a', ['foo.com'], ok), vhost('b', ['bar.com', 'FOO.com'], ok)]);
  assert.deepEqual(checkRouteConfig(rc, P), [
    `${P}.virtual_hosts[1].domains[1]: duplicate domain "foo.com" (also in virtual host "a")`,
  ]);
});

test('duplicate domains within one virtual host and duplicate wildcards', () => {
  const rc = routeConfig([vhost('a', ['*.foo.com', 'x.*', '*.foo.com', 'x.*'], ok)]);
  assert.deepEqual(checkRouteConfig(rc, P), [
    `${P}.virtual_hosts[0].domains[2]: duplicate domain "*.foo.com" (also in virtual host "a")`,
    `${P}.virtual_hosts[0].domains[3]: duplicate domain "x.*" (also in virtual host "a")`,
  ]);
});

test('more than one "*" domain', () => {
  const rc = routeConfig([vhost('a', ['*'], ok), vhost('b', ['b.com', '*'], ok)]);
  assert.deepEqual(checkRouteConfig(rc, P), [
    `${P}.virtual_hosts[1].domains[1]: only a single wildcard domain "*" is permitted (also in virtual host "a")`,
  ]);
});

test('domains: at least one, and no NUL, CR or LF', () => {
  const rc = routeConfig([vhost('a', [], ok), vhost('b', ['a\r\nb.com'], ok)]);
  assert.deepEqual(checkRouteConfig(rc, P), [
    `${P}.virtual_hosts[0].domains: value must contain at least 1 item(s)`,
    `${P}.virtual_hosts[1].domains[0]: value does not match regex pattern for HTTP header value (no NUL, CR or LF)`,
  ]);
});

test('bad regexes in route match, header and query matchers, and rewrites', () => {
  const rc = routeConfig([
    vhost('a', ['*'], [
      route('m', match('regex', '(?=x)')),
      route('h', match('prefix', '/', { headers: [header('x', { kind: 'string', string: sm('regex', 'a**') })] })),
      route('q', match('prefix', '/', { queryParameters: [query('v', sm('regex', '(a'))] })),
      route('rw', match('prefix', '/'), routeAction({ regexRewrite: { pattern: '\\1', substitution: '' } })),
      route('rd', match('prefix', '/'), redirect({ regexRewrite: { pattern: '[z-a]', substitution: '' } })),
      route('big', match('regex', '[0-9]{300}')),
    ]),
  ]);
  const v = `${P}.virtual_hosts[0]`;
  assert.deepEqual(checkRouteConfig(rc, P), [
    `${v}.routes[0].match.safe_regex.regex: invalid perl operator: (?= (lookahead is not supported by RE2)`,
    `${v}.routes[1].match.headers[0]: bad repetition operator: **`,
    `${v}.routes[2].match.query_parameters[0].string_match.safe_regex.regex: missing ): (a`,
    `${v}.routes[3].route.regex_rewrite.pattern.regex: invalid escape sequence: \\1 (backreferences are not supported by RE2)`,
    `${v}.routes[4].redirect.regex_rewrite.pattern.regex: invalid character class range: z-a`,
    `${v}.routes[5].match.safe_regex.regex: regex '[0-9]{300}' RE2 program size of 304 > max program size of 100 ` +
      `set for the error level threshold. Increase configured max program size if necessary.`,
  ]);
});

test('weighted clusters: total weight 0, over uint32, or no clusters', () => {
  const wc = (ws: number[]) =>
    routeAction({ cluster: null, weightedClusters: ws.map((w, i) => weighted(`c${i}`, w)) });
  const rc = routeConfig([
    vhost('a', ['*'], [
      route('zero', match('prefix', '/'), wc([0, 0])),
      route('huge', match('prefix', '/'), wc([4294967295, 1])),
      route('none', match('prefix', '/'), wc([])),
    ]),
  ]);
  const v = `${P}.virtual_hosts[0]`;
  assert.deepEqual(checkRouteConfig(rc, P), [
    `${v}.routes[0].route.weighted_clusters: Sum of weights in the weighted_cluster must be greater than 0.`,
    `${v}.routes[1].route.weighted_clusters: The sum of weights of all weighted clusters of route huge exceeds 4294967295`,
    `${v}.routes[2].route.weighted_clusters.clusters: value must contain at least 1 item(s)`,
  ]);
});

test('only one path rewrite, and path_separated_prefix form', () => {
  const rc = routeConfig([
    vhost('a', ['*'], [
      route('two', match('prefix', '/'), routeAction({ prefixRewrite: '/x', regexRewrite: { pattern: 'a', substitution: 'b' } })),
      route('sep', match('path_separated_prefix', '/api/')),
      route('sepq', match('path_separated_prefix', '/a?b')),
      route('sepok', match('path_separated_prefix', '/api')),
    ]),
  ]);
  const v = `${P}.virtual_hosts[0]`;
  assert.deepEqual(checkRouteConfig(rc, P), [
    `${v}.routes[0].route: Specify only one of prefix_rewrite, regex_rewrite or path_rewrite_policy`,
    `${v}.routes[1].match.path_separated_prefix: value does not match regex pattern "^[^?#]+[^?#/]$"`,
    `${v}.routes[2].match.path_separated_prefix: value does not match regex pattern "^[^?#]+[^?#/]$"`,
  ]);
});
