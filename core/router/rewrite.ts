// Path rewrites (prefix_rewrite, regex_rewrite, path_rewrite), redirect Location URIs and weighted
// cluster picking, as Envoy's RouteEntryImplBase::currentUrlPathAfterRewriteWithMatchedPath,
// Http::Utility::newUri and WeightedClusterSpecifierPlugin::pickWeightedCluster compute them.

import type { RedirectAction, WeightedClusterEntry } from '../config/types.js';
import { replaceAll } from './regex.js';
import { pathEnd, type CompiledRoute } from './route.js';

/**
 * The request path after the route's rewrite, or null when the route configures none. For a
 * route action: prefix_rewrite replaces the matched prefix (the whole path for regex routes;
 * the query stays), regex_rewrite rewrites the path without query and fragment and keeps them,
 * path_rewrite replaces that path outright. For a redirect action the redirect's own
 * prefix_rewrite / regex_rewrite apply the same way (Envoy rewrites :path before newUri).
 */
export function rewritePath(route: CompiledRoute, path: string): string | null {
  if (route.kind === 'route') {
    if (route.prefixRewrite !== null) return route.prefixRewrite + path.slice(route.matchedLength(path));
    if (route.regexRewrite !== null) {
      const end = pathEnd(path);
      return replaceAll(route.regexRewrite, path.slice(0, end)) + path.slice(end);
    }
    if (route.pathRewrite !== null) return route.pathRewrite + path.slice(pathEnd(path));
    return null;
  }
  if (route.kind === 'redirect') {
    if (route.redirectRegexRewrite !== null) {
      const end = pathEnd(path);
      const rewritten = replaceAll(route.redirectRegexRewrite, path.slice(0, end));
      // An empty result counts as "no rewrite" in Envoy (the rewrite string is tested for empty).
      return rewritten === '' ? null : rewritten + path.slice(end);
    }
    if (route.redirectPrefixRewrite !== null) {
      return route.redirectPrefixRewrite + path.slice(route.matchedLength(path));
    }
  }
  return null;
}

function isHttps(s: string): boolean {
  return s.length === 5 && s.toLowerCase() === 'https';
}

function isHttp(s: string): boolean {
  return s.length === 4 && s.toLowerCase() === 'http';
}

/**
 * The request host for a redirect: its port dropped when the redirect sets a port, or when the
 * scheme changes and the port was the old scheme's default (http://h:80 -> https://h).
 */
function redirectHost(authority: string, newScheme: string, newPort: string, requestScheme: string): string {
  if (authority === '') return authority;
  let end: number;
  if (authority.charCodeAt(0) === 0x5b /* [ */) {
    end = authority.lastIndexOf(']:');
    if (end >= 0) end += 1;
  } else {
    end = authority.lastIndexOf(':');
  }
  if (end < 0) return authority;
  const port = authority.slice(end);
  let remove = newPort !== '';
  if (newScheme !== requestScheme) {
    remove ||= (isHttps(requestScheme) && port === ':443') || (isHttp(requestScheme) && port === ':80');
  }
  return remove ? authority.slice(0, end) : authority;
}

/** Location for require_tls: Envoy keeps host and path as they are (createSslRedirectPath). */
export function sslRedirectLocation(authority: string, path: string): string {
  return `https://${authority}${path}`;
}

/**
 * The Location of a redirect. `scheme` is the request's scheme (x-forwarded-proto). When `route`
 * is given, its redirect prefix_rewrite / regex_rewrite are applied to `path` first (pass the
 * route for those; `path` alone cannot say how much a prefix matched).
 */
export function redirectLocation(
  action: RedirectAction,
  scheme: string,
  authority: string,
  path: string,
  route?: CompiledRoute,
): string {
  if (route !== undefined) {
    if (route.kind === 'ssl_redirect') return sslRedirectLocation(authority, path);
    const rewritten = rewritePath(route, path);
    if (rewritten !== null) path = rewritten;
  }
  const finalScheme = action.scheme !== null && action.scheme !== '' ? action.scheme : scheme;
  const finalPort = action.port > 0 ? ':' + action.port : '';
  const finalHost =
    action.host !== null && action.host !== '' ? action.host : redirectHost(authority, finalScheme, finalPort, scheme);
  const pathRedirect = action.path !== null && action.path !== '' ? action.path : null;
  const pathRedirectHasQuery = pathRedirect !== null && pathRedirect.includes('?');
  let finalPath: string;
  if (pathRedirect !== null) {
    if (pathRedirectHasQuery) finalPath = pathRedirect;
    else {
      const q = path.indexOf('?');
      finalPath = q < 0 ? pathRedirect : pathRedirect + path.slice(q);
    }
  } else {
    finalPath = path;
  }
  if (!finalPath.startsWith('/')) finalPath = '/' + finalPath;
  if (!pathRedirectHasQuery && action.stripQuery) {
    const q = finalPath.indexOf('?');
    if (q >= 0) finalPath = finalPath.slice(0, q);
  }
  return `${finalScheme}://${finalHost}${finalPort}${finalPath}`;
}

/**
 * The weighted cluster for a random r in [0, 1): Envoy takes value % total and walks the
 * cumulative weights, [0, w1), [w1, w1 + w2), ...; here value = floor(r * total).
 */
export function pickWeighted(
  entries: readonly WeightedClusterEntry[],
  total: number,
  r: number,
): WeightedClusterEntry {
  let selected = Math.floor(r * total);
  if (selected >= total) selected = total - 1;
  if (selected < 0) selected = 0;
  let end = 0;
  for (let i = 0; i < entries.length; i++) {
    end += entries[i].weight;
    if (selected < end) return entries[i];
  }
  return entries[entries.length - 1];
}
