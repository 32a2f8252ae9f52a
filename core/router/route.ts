// One compiled route entry: its path matcher (prefix / path / safe_regex / path_separated_prefix),
// header, query-parameter and TLS conditions, and what its rewrites need precompiled. Matching
// follows Envoy's RouteEntryImplBase::matchRoute and the *RouteEntryImpl::matches variants.

import type { RedirectAction, Route, RouteAction } from '../config/types.js';
import { compileRegex, compileSubstitution, translateRegex, type CompiledSubstitution } from './regex.js';
import { HeaderMatcher, QueryParamMatcher, asciiLower, regionEqualsLower } from './string-match.js';
import type { CompiledVirtualHost } from './table.js';

/** What the router needs of a request. */
export interface RouteRequest {
  /** Host / :authority as received. */
  readonly authority: string;
  /** :path including the query. */
  readonly path: string;
  /** Flat [name, value, name, value, ...]; names lower-case; repeats allowed. */
  readonly headers: readonly string[];
  readonly isTls: boolean;
}

export type CompiledRouteKind = 'route' | 'redirect' | 'direct_response' | 'ssl_redirect';

const P_PREFIX = 0;
const P_PATH = 1;
const P_REGEX = 2;
const P_SEPARATED = 3;

function nonEmpty(s: string | null): string | null {
  return s === null || s === '' ? null : s;
}

function substitution(rr: { readonly pattern: string; readonly substitution: string } | null): CompiledSubstitution | null {
  if (rr === null) return null;
  const c = compileSubstitution(rr.pattern, rr.substitution);
  if ('error' in c) throw new Error(c.error);
  return c;
}

/** Index just past the path proper: the first '?' or '#', else the length (PathUtil::removeQueryAndFragment). */
export function pathEnd(path: string): number {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x3f || c === 0x23) return i;
  }
  return path.length;
}

// The regex matcher needs the path without its query as a string; keep the last one made.
let lastPath = '';
let lastPathOnly = '';

function pathOnly(path: string, end: number): string {
  if (end === path.length) return path;
  if (path !== lastPath) {
    lastPath = path;
    lastPathOnly = path.slice(0, end);
  }
  return lastPathOnly;
}

export class CompiledRoute {
  readonly kind: CompiledRouteKind;
  /** Present when the action is a route with weighted_clusters: the sum of their weights. */
  readonly weightedTotal: number;
  /** route.prefix_rewrite ('' = none, as Envoy). */
  readonly prefixRewrite: string | null;
  readonly regexRewrite: CompiledSubstitution | null;
  readonly pathRewrite: string | null;
  /** redirect.prefix_rewrite / redirect.regex_rewrite. */
  readonly redirectPrefixRewrite: string | null;
  readonly redirectRegexRewrite: CompiledSubstitution | null;

  private readonly pathKind: number;
  private readonly value: string;
  private readonly caseSensitive: boolean;
  private readonly regex: RegExp | null;
  /** Literal start of the regex: a path without it cannot match, so the regex is not run. */
  private readonly regexPrefix: string;
  private readonly headers: readonly HeaderMatcher[];
  private readonly queries: readonly QueryParamMatcher[];
  private readonly tls: boolean | null;

  /** Throws on an invalid regex; checkRouteConfig reports those as config errors first. */
  constructor(
    readonly config: Route,
    readonly vhost: CompiledVirtualHost,
    readonly index: number,
    sslRedirect = false,
  ) {
    const m = config.match;
    const a = config.action;
    this.kind = sslRedirect ? 'ssl_redirect' : a.type;
    this.pathKind =
      m.kind === 'prefix' ? P_PREFIX : m.kind === 'path' ? P_PATH : m.kind === 'regex' ? P_REGEX : P_SEPARATED;
    // Envoy ignores case_sensitive for regex; "" and "/" prefixes match case-sensitively anyway.
    this.caseSensitive = m.caseSensitive || this.pathKind === P_REGEX;
    this.value = this.caseSensitive ? m.value : asciiLower(m.value);
    if (this.pathKind === P_REGEX) {
      const re = compileRegex(m.value, true);
      if (!(re instanceof RegExp)) throw new Error(re.error);
      this.regex = re;
      const t = translateRegex(m.value);
      this.regexPrefix = 'error' in t ? '' : t.literalPrefix;
    } else {
      this.regex = null;
      this.regexPrefix = '';
    }
    this.headers = m.headers.map((h) => new HeaderMatcher(h));
    this.queries = m.queryParameters.map((q) => new QueryParamMatcher(q));
    this.tls = m.tlsPresented;

    const ra: RouteAction | null = a.type === 'route' ? a : null;
    const rd: RedirectAction | null = a.type === 'redirect' ? a : null;
    this.prefixRewrite = ra === null ? null : nonEmpty(ra.prefixRewrite);
    this.regexRewrite = ra === null ? null : substitution(ra.regexRewrite);
    this.pathRewrite = ra === null ? null : nonEmpty(ra.pathRewrite);
    this.redirectPrefixRewrite = rd === null ? null : nonEmpty(rd.prefixRewrite);
    this.redirectRegexRewrite = rd === null ? null : substitution(rd.regexRewrite);
    let total = 0;
    if (ra !== null && ra.weightedClusters !== null) for (const w of ra.weightedClusters) total += w.weight;
    this.weightedTotal = total;
  }

  /**
   * How much of the path a prefix_rewrite replaces: the configured prefix/path for those
   * matchers, the whole path (without query and fragment) for regex routes.
   */
  matchedLength(path: string): number {
    return this.pathKind === P_REGEX ? pathEnd(path) : this.value.length;
  }

  /** `end` = pathEnd(path); `qStart` = index after the first '?', or -1. */
  matches(req: RouteRequest, end: number, qStart: number): boolean {
    const path = req.path;
    const v = this.value;
    switch (this.pathKind) {
      case P_PREFIX:
        if (v.length > end) return false;
        if (this.caseSensitive ? !path.startsWith(v) : !regionEqualsLower(path, 0, v)) return false;
        break;
      case P_PATH:
        if (v.length !== end) return false;
        if (this.caseSensitive ? !path.startsWith(v) : !regionEqualsLower(path, 0, v)) return false;
        break;
      case P_REGEX:
        if (this.regexPrefix.length > end || !path.startsWith(this.regexPrefix)) return false;
        if (!this.regex!.test(pathOnly(path, end))) return false;
        break;
      default:
        if (v.length > end) return false;
        if (v.length < end && path.charCodeAt(v.length) !== 0x2f) return false;
        if (this.caseSensitive ? !path.startsWith(v) : !regionEqualsLower(path, 0, v)) return false;
        break;
    }
    if (this.tls !== null && this.tls !== req.isTls) return false;
    const hs = this.headers;
    for (let i = 0; i < hs.length; i++) if (!hs[i].matches(req)) return false;
    const qs = this.queries;
    for (let i = 0; i < qs.length; i++) if (!qs[i].matches(path, qStart)) return false;
    return true;
  }
}
