// Admin query strings as Envoy's Http::Utility::parseAndDecodeQueryString reads them: `&`-separated
// `key=value` pairs, %XX decoded (a `+` stays a `+`, so RE2 filters keep their quantifiers), the first
// value of a repeated key wins; and form bodies (POST /runtime_modify) in the browser's encoding.

function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (m) => Buffer.from(m.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** Splits `path?query` into the path and its decoded parameters. */
export function splitPathQuery(url: string): { path: string; query: Map<string, string> } {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new Map<string, string>();
  if (q >= 0) {
    for (const part of url.slice(q + 1).split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const key = percentDecode(eq < 0 ? part : part.slice(0, eq));
      const value = eq < 0 ? '' : percentDecode(part.slice(eq + 1));
      if (!query.has(key)) query.set(key, value);
    }
  }
  return { path, query };
}

/** application/x-www-form-urlencoded body parameters, merged under the query's (query wins). */
export function mergeFormBody(query: Map<string, string>, body: string): void {
  for (const [k, v] of new URLSearchParams(body)) if (!query.has(k)) query.set(k, v);
}
