// The compiled route table of one RouteConfig: virtual hosts indexed by domain, each with its
// routes in order (first match wins), and require_tls handled as Envoy's getRouteFromEntries
// does (an SSL-redirect pseudo-route). Built once per config snapshot on each thread.

import type { Route, RouteConfig, VirtualHost } from '../config/types.js';
import { CompiledRoute, pathEnd, type RouteRequest } from './route.js';
import { headerValue } from './string-match.js';
import { DomainIndex } from './vhosts.js';

export { CompiledRoute, type RouteRequest } from './route.js';

const SSL_REDIRECT_ROUTE: Route = {
  name: '',
  match: { kind: 'prefix', value: '', caseSensitive: true, headers: [], queryParameters: [], tlsPresented: null },
  action: {
    type: 'redirect',
    scheme: 'https',
    host: null,
    port: 0,
    path: null,
    prefixRewrite: null,
    regexRewrite: null,
    responseCode: 301,
    stripQuery: false,
  },
  requestHeadersToAdd: [],
  requestHeadersToRemove: [],
  responseHeadersToAdd: [],
  responseHeadersToRemove: [],
};

export class CompiledVirtualHost {
  readonly routes: readonly CompiledRoute[];
  /** Returned by RouteTable.route when require_tls refuses a plain-text request. */
  readonly sslRedirect: CompiledRoute;

  constructor(
    readonly config: VirtualHost,
    readonly index: number,
  ) {
    this.routes = config.routes.map((r, i) => new CompiledRoute(r, this, i));
    this.sslRedirect = new CompiledRoute(SSL_REDIRECT_ROUTE, this, -1, true);
  }
}

/** The request's scheme as Envoy's router sees it: x-forwarded-proto, else the connection's. */
function forwardedProto(req: RouteRequest): string {
  const h = req.headers;
  for (let i = 0; i < h.length; i += 2) if (h[i] === 'x-forwarded-proto') return h[i + 1];
  return req.isTls ? 'https' : 'http';
}

export class RouteTable {
  readonly vhosts: readonly CompiledVirtualHost[];
  private readonly domains: DomainIndex<CompiledVirtualHost>;

  /** Throws on an invalid regex; run checkRouteConfig first to report config errors. */
  constructor(readonly config: RouteConfig) {
    const vhosts = config.virtualHosts.map((vh, i) => new CompiledVirtualHost(vh, i));
    this.vhosts = vhosts;
    const entries: { domain: string; value: CompiledVirtualHost }[] = [];
    for (const vh of vhosts) for (const d of vh.config.domains) entries.push({ domain: d, value: vh });
    this.domains = new DomainIndex(entries, config.ignorePortInHostMatching);
  }

  findVirtualHost(authority: string): CompiledVirtualHost | null {
    return this.domains.find(authority);
  }

  /**
   * The first route of the request's virtual host that matches, the vhost's SSL-redirect route
   * when require_tls demands TLS, or null (Envoy's 404 NR). The scheme for require_tls is
   * x-forwarded-proto when present, so the caller must have sanitised it as the HCM does.
   */
  route(req: RouteRequest): CompiledRoute | null {
    const vh = this.domains.find(req.authority);
    if (vh === null) return null;
    const tls = vh.config.requireTls;
    if (tls !== 'NONE' && forwardedProto(req) !== 'https') {
      if (tls === 'ALL' || headerValue(req, 'x-envoy-internal') !== 'true') return vh.sslRedirect;
    }
    const path = req.path;
    const end = pathEnd(path);
    const q = path.indexOf('?');
    const qStart = q < 0 ? -1 : q + 1;
    const routes = vh.routes;
    for (let i = 0; i < routes.length; i++) {
      if (routes[i].matches(req, end, qStart)) return routes[i];
    }
    return null;
  }
}
