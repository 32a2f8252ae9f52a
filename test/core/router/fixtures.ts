// Builders for router test configs: plain config-snapshot objects with Envoy's defaults filled in.

import type {
  HeaderMatch,
  QueryParameterMatch,
  RedirectAction,
  Route,
  RouteAction,
  RouteConfig,
  RouteMatch,
  StringMatch,
  VirtualHost,
  WeightedClusterEntry,
} from '../../../core/config/types.js';
import type { RouteRequest } from '../../../core/router/table.js';

const noMutations = {
  requestHeadersToAdd: [],
  requestHeadersToRemove: [],
  responseHeadersToAdd: [],
  responseHeadersToRemove: [],
};

export function sm(kind: StringMatch['kind'], value: string, ignoreCase = false): StringMatch {
  return { kind, value, ignoreCase };
}

export function header(name: string, over: Partial<HeaderMatch> = {}): HeaderMatch {
  return {
    name,
    kind: 'present',
    presentValue: true,
    string: null,
    rangeStart: 0,
    rangeEnd: 0,
    invert: false,
    treatMissingAsEmpty: false,
    ...over,
  };
}

export function query(name: string, string: StringMatch | null = null): QueryParameterMatch {
  return { name, kind: string === null ? 'present' : 'string', string };
}

export function match(kind: RouteMatch['kind'], value: string, over: Partial<RouteMatch> = {}): RouteMatch {
  return { kind, value, caseSensitive: true, headers: [], queryParameters: [], tlsPresented: null, ...over };
}

export function routeAction(over: Partial<RouteAction> = {}): RouteAction {
  return {
    type: 'route',
    cluster: 'c',
    clusterHeader: null,
    weightedClusters: null,
    clusterNotFoundResponseCode: 503,
    prefixRewrite: null,
    regexRewrite: null,
    pathRewrite: null,
    hostRewriteLiteral: null,
    autoHostRewrite: false,
    hostRewriteHeader: null,
    timeoutMs: 15000,
    idleTimeoutMs: 0,
    retryPolicy: null,
    ...over,
  };
}

export function redirect(over: Partial<RedirectAction> = {}): RedirectAction {
  return {
    type: 'redirect',
    scheme: null,
    host: null,
    port: 0,
    path: null,
    prefixRewrite: null,
    regexRewrite: null,
    responseCode: 301,
    stripQuery: false,
    ...over,
  };
}

export function route(name: string, m: RouteMatch, action: Route['action'] = routeAction()): Route {
  return { name, match: m, action, ...noMutations };
}

export function vhost(name: string, domains: string[], routes: Route[], over: Partial<VirtualHost> = {}): VirtualHost {
  return { name, domains, routes, requireTls: 'NONE', retryPolicy: null, ...noMutations, ...over };
}

export function routeConfig(virtualHosts: VirtualHost[], over: Partial<RouteConfig> = {}): RouteConfig {
  return {
    name: 'rc',
    virtualHosts,
    internalOnlyHeaders: [],
    validateClusters: false,
    ignorePortInHostMatching: false,
    maxDirectResponseBodySizeBytes: 4096,
    ...noMutations,
    ...over,
  };
}

export function weighted(name: string, weight: number): WeightedClusterEntry {
  return { name, weight, ...noMutations };
}

export function req(path: string, over: Partial<RouteRequest> = {}): RouteRequest {
  return { authority: 'example.com', path, headers: [], isTls: false, ...over };
}
