// HPACK's static table (RFC 7541 Appendix A) and the lookups the encoder needs: index of a name, and
// index of a name with a given value.

/** Entries 1..61 as [name, value]; index 0 is unused. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  ['', ''],
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

export const STATIC_COUNT = 61;
export const STATIC_NAMES: readonly string[] = STATIC_TABLE.map((e) => e[0]);
export const STATIC_VALUES: readonly string[] = STATIC_TABLE.map((e) => e[1]);
/** name + value + 32 for each entry (RFC 7541 §4.1). */
export const STATIC_SIZES: Uint32Array = Uint32Array.from(STATIC_TABLE, (e) => e[0].length + e[1].length + 32);

/** What the encoder knows about a header name. */
export interface NameInfo {
  /** Lowest static index with this name, 0 if none. */
  readonly index: number;
  /** Static indexes of full (name, value) entries, or null. */
  readonly values: ReadonlyMap<string, number> | null;
  /** Connection-specific header (RFC 9113 §8.2.2): never sent over HTTP/2. */
  readonly hopByHop: boolean;
  /** Sent as "never indexed" (credentials). */
  readonly sensitive: boolean;
}

const names = new Map<string, NameInfo>();
{
  const values = new Map<string, Map<string, number>>();
  for (let i = 1; i <= STATIC_COUNT; i++) {
    const [n, v] = STATIC_TABLE[i];
    if (v !== '') {
      let m = values.get(n);
      if (!m) values.set(n, (m = new Map()));
      m.set(v, i);
    }
  }
  const sensitive = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
  const hop = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];
  for (let i = STATIC_COUNT; i >= 1; i--) {
    const n = STATIC_TABLE[i][0];
    names.set(n, { index: i, values: values.get(n) ?? null, hopByHop: hop.includes(n), sensitive: sensitive.has(n) });
  }
  for (const n of hop) if (!names.has(n)) names.set(n, { index: 0, values: null, hopByHop: true, sensitive: false });
}

/** Static-table facts about `name`, or undefined for names the static table does not know. */
export function nameInfo(name: string): NameInfo | undefined {
  return names.get(name);
}
