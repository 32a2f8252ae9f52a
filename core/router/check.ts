// Load-time route configuration errors Envoy reports (RouteMatcher, RouteEntryImplBase,
// WeightedClusterSpecifierPlugin, RE2, and the proto validation rules of the route fields),
// each prefixed with its field path under the caller's path.

import type { RouteConfig, StringMatch } from '../config/types.js';
import { compileRegex, translateRegex } from './regex.js';

const UINT32_MAX = 4294967295;
// PGV rule of RouteMatch.path_separated_prefix.
const PATH_SEPARATED_PREFIX = /^[^?#]+[^?#/]$/;
// HTTP_HEADER_VALUE, strict: false — no NUL, CR or LF.
const BAD_HEADER_VALUE = /[\0\r\n]/;

function lowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function checkRouteConfig(rc: RouteConfig, path: string): string[] {
  const errors: string[] = [];
  const seen = new Map<string, string>(); // domain -> first vhost name
  let wildcardVhost: string | null = null;

  const regex = (field: string, pattern: string): void => {
    const r = compileRegex(pattern, true);
    if (!(r instanceof RegExp)) errors.push(`${field}: ${r.error}`);
  };
  const stringMatch = (field: string, sm: StringMatch | null): void => {
    if (sm !== null && sm.kind === 'regex') regex(field, sm.value);
  };

  rc.virtualHosts.forEach((vh, i) => {
    const vp = `${path}.virtual_hosts[${i}]`;
    if (vh.domains.length === 0) errors.push(`${vp}.domains: value must contain at least 1 item(s)`);
    vh.domains.forEach((raw, j) => {
      const dp = `${vp}.domains[${j}]`;
      if (BAD_HEADER_VALUE.test(raw)) {
        errors.push(`${dp}: value does not match regex pattern for HTTP header value (no NUL, CR or LF)`);
        return;
      }
      const d = lowerAscii(raw);
      if (d === '*') {
        if (wildcardVhost !== null) {
          errors.push(`${dp}: only a single wildcard domain "*" is permitted (also in virtual host "${wildcardVhost}")`);
        } else {
          wildcardVhost = vh.name;
        }
        return;
      }
      const first = seen.get(d);
      if (first !== undefined) errors.push(`${dp}: duplicate domain "${d}" (also in virtual host "${first}")`);
      else seen.set(d, vh.name);
    });

    vh.routes.forEach((r, k) => {
      const rp = `${vp}.routes[${k}]`;
      const m = r.match;
      if (m.kind === 'regex') regex(`${rp}.match.safe_regex.regex`, m.value);
      if (m.kind === 'path_separated_prefix' && !PATH_SEPARATED_PREFIX.test(m.value)) {
        errors.push(`${rp}.match.path_separated_prefix: value does not match regex pattern "^[^?#]+[^?#/]$"`);
      }
      m.headers.forEach((h, n) => {
        if (h.kind === 'string') stringMatch(`${rp}.match.headers[${n}]`, h.string);
      });
      m.queryParameters.forEach((q, n) => {
        if (q.kind === 'string') stringMatch(`${rp}.match.query_parameters[${n}].string_match.safe_regex.regex`, q.string);
      });
      const a = r.action;
      if (a.type === 'route') {
        let rewrites = 0;
        if (a.prefixRewrite !== null && a.prefixRewrite !== '') rewrites++;
        if (a.regexRewrite !== null) rewrites++;
        if (a.pathRewrite !== null && a.pathRewrite !== '') rewrites++;
        if (rewrites > 1) {
          errors.push(`${rp}.route: Specify only one of prefix_rewrite, regex_rewrite or path_rewrite_policy`);
        }
        if (a.regexRewrite !== null) {
          const t = translateRegex(a.regexRewrite.pattern);
          if ('error' in t) errors.push(`${rp}.route.regex_rewrite.pattern.regex: ${t.error}`);
        }
        const wc = a.weightedClusters;
        if (wc !== null) {
          if (wc.length === 0) {
            errors.push(`${rp}.route.weighted_clusters.clusters: value must contain at least 1 item(s)`);
          } else {
            let total = 0;
            for (const w of wc) total += w.weight;
            if (total > UINT32_MAX) {
              errors.push(
                `${rp}.route.weighted_clusters: The sum of weights of all weighted clusters of route ` +
                  `${r.name} exceeds ${UINT32_MAX}`,
              );
            } else if (total === 0) {
              errors.push(`${rp}.route.weighted_clusters: Sum of weights in the weighted_cluster must be greater than 0.`);
            }
          }
        }
      } else if (a.type === 'redirect' && a.regexRewrite !== null) {
        const t = translateRegex(a.regexRewrite.pattern);
        if ('error' in t) errors.push(`${rp}.redirect.regex_rewrite.pattern.regex: ${t.error}`);
      }
    });
  });
  return errors;
}
