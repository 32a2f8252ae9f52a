// Micro-benchmark: RouteTable.route (vhost selection + first-match route scan) with a small table
// (3 routes) and a large one (200 routes, several vhosts, wildcard domains, header/query/regex
// matchers). Run: npx tsc -p tsconfig.json && node dist/bench/micro/route-match.bench.js

import { Bench } from 'tinybench';
import type { HeaderMatch, Route, RouteConfig, RouteMatch, VirtualHost } from '../../core/config/types.js';
import { RouteTable, type RouteRequest } from '../../core/router/table.js';

const none = { requestHeadersToAdd: [], requestHeadersToRemove: [], responseHeadersToAdd: [], responseHeadersToRemove: [] };

function match(kind: RouteMatch['kind'], value: string, over: Partial<RouteMatch> = {}): RouteMatch {
  return { kind, value, caseSensitive: true, headers: [], queryParameters: [], tlsPresented: null, ...over };
}

function route(name: string, m: RouteMatch): Route {
  return {
    name,
    match: m,
    action: {
      type: 'route', cluster: name, clusterHeader: null, weightedClusters: null, clusterNotFoundResponseCode: 503,
      prefixRewrite: null, regexRewrite: null, pathRewrite: null, hostRewriteLiteral: null, autoHostRewrite: false,
      hostRewriteHeader: null, timeoutMs: 15000, idleTimeoutMs: 0, retryPolicy: null,
    },
    ...none,
  };
}

function vhost(name: string, domains: string[], routes: Route[]): VirtualHost {
  return { name, domains, routes, requireTls: 'NONE', retryPolicy: null, ...none };
}

function config(virtualHosts: VirtualHost[]): RouteConfig {
  return {
    name: 'bench', virtualHosts, internalOnlyHeaders: [], validateClusters: false, ignorePortInHostMatching: false,
    maxDirectResponseBodySizeBytes: 4096, ...none,
  };
}

const small = new RouteTable(
  config([
    vhost('svc', ['*'], [
      route('service1', match('prefix', '/service/1')),
      route('service2', match('prefix', '/service/2')),
      route('default', match('prefix', '/')),
    ]),
  ]),
);

const methodGet: HeaderMatch = {
  name: ':method', kind: 'string', presentValue: true, string: { kind: 'exact', value: 'GET', ignoreCase: false },
  rangeStart: 0, rangeEnd: 0, invert: false, treatMissingAsEmpty: false,
};
const bigRoutes: Route[] = [];
for (let i = 0; i < 200; i++) {
  const m =
    i % 10 === 0 ? match('regex', `/api/v${i}/users/[0-9]+`)
    : i % 10 === 1 ? match('path', `/exact/${i}`)
    : i % 10 === 2 ? match('path_separated_prefix', `/sep/${i}`)
    : i % 10 === 3 ? match('prefix', `/hdr/${i}`, { headers: [methodGet] })
    : i % 10 === 4 ? match('prefix', `/q/${i}`, { queryParameters: [{ name: 'v', kind: 'present', string: null }] })
    : match('prefix', `/p/${i}/`, { caseSensitive: i % 2 === 0 });
  bigRoutes.push(route(`r${i}`, m));
}
bigRoutes.push(route('fallback', match('prefix', '/')));
const big = new RouteTable(
  config([
    vhost('exact', ['api.example.com', 'www.example.com'], bigRoutes),
    vhost('tenants', Array.from({ length: 50 }, (_, i) => `*.tenant${i}.example.com`), bigRoutes),
    vhost('prefix', ['internal.*'], bigRoutes),
    vhost('any', ['*'], bigRoutes),
  ]),
);

function request(authority: string, path: string, headers: string[] = []): RouteRequest {
  return { authority, path, headers, isTls: false };
}

const hdrs = [':method', 'GET', 'user-agent', 'curl/8.5.0', 'accept', '*/*'];
const smallFirst = request('example.com', '/service/1/users?limit=10', hdrs);
const smallLast = request('example.com', '/health', hdrs);
const bigEarly = request('api.example.com', '/p/5/items', hdrs);
const bigLate = request('x.tenant42.example.com', '/p/199/items?x=1', hdrs);
const bigMiss = request('WWW.Example.COM', '/nothing/here', hdrs);
const bigRegex = request('internal.corp', '/api/v190/users/12345', hdrs);

for (const [t, r] of [[small, smallFirst], [small, smallLast], [big, bigEarly], [big, bigLate], [big, bigMiss], [big, bigRegex]] as const) {
  if (t.route(r) === null) throw new Error(`no route for ${r.authority}${r.path}`);
}

let sink = 0;
const bench = new Bench({ time: 500 });
bench
  .add('3 routes, first route matches', () => {
    sink += small.route(smallFirst)!.index;
  })
  .add('3 routes, catch-all (last) matches', () => {
    sink += small.route(smallLast)!.index;
  })
  .add('200 routes, exact host, early prefix', () => {
    sink += big.route(bigEarly)!.index;
  })
  .add('200 routes, suffix wildcard host (50), late prefix', () => {
    sink += big.route(bigLate)!.index;
  })
  .add('200 routes, upper-case host, falls through to catch-all', () => {
    sink += big.route(bigMiss)!.index;
  })
  .add('200 routes, prefix wildcard host, regex route', () => {
    sink += big.route(bigRegex)!.index;
  });

await bench.run();
console.table(bench.table());
if (sink === 0) console.log('unreachable');
