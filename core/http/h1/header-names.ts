// Interned lower-case names of common header fields, found from raw bytes without building a string.
// A parsed name that is one of these costs no allocation, and later comparisons against the same
// constants (hop-by-hop removal, routing) are pointer-equal.

const COMMON: readonly string[] = [
  'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges',
  'access-control-allow-credentials', 'access-control-allow-headers', 'access-control-allow-methods',
  'access-control-allow-origin', 'access-control-expose-headers', 'access-control-max-age',
  'access-control-request-headers', 'access-control-request-method', 'age', 'allow', 'alt-svc',
  'authorization', 'cache-control', 'connection', 'content-disposition', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-range', 'content-security-policy',
  'content-type', 'cookie', 'date', 'etag', 'expect', 'expires', 'forwarded', 'grpc-message',
  'grpc-status', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
  'if-unmodified-since', 'keep-alive', 'last-modified', 'link', 'location', 'origin', 'pragma',
  'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'range', 'referer',
  'referrer-policy', 'retry-after', 'server', 'set-cookie', 'strict-transport-security', 'te',
  'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'www-authenticate',
  'x-content-type-options', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto',
  'x-frame-options', 'x-powered-by', 'x-request-id', 'x-xss-protection',
];

interface Candidate {
  readonly name: string;
  readonly bytes: Uint8Array;
}

// Slot by (length, first letter): at most a few candidates each. Bytes are compared against a
// Uint8Array copy: charCodeAt on a string costs a representation check per character.
const SLOTS: (readonly Candidate[] | undefined)[] = new Array(64 * 32).fill(undefined);
for (const name of COMMON) {
  const slot = (name.length << 5) | (name.charCodeAt(0) & 31);
  SLOTS[slot] = [...(SLOTS[slot] ?? []), { name, bytes: Buffer.from(name, 'latin1') }];
}

/**
 * The interned lower-case name spelled by token bytes [start, end) in any ASCII case, or null.
 * Bytes are known to be tchars, so OR-ing 0x20 folds exactly the letters among them except for
 * '^' / '~' and '_' / DEL pairs; no listed name holds '^', '~' or '_', so a fold never matches wrongly.
 */
export function commonHeaderName(buf: Uint8Array, start: number, end: number): string | null {
  const len = end - start;
  if (len >= 64) return null;
  const list = SLOTS[(len << 5) | (buf[start] & 31)];
  if (list === undefined) return null;
  outer: for (let i = 0; i < list.length; i++) {
    const cand = list[i];
    const bytes = cand.bytes;
    for (let k = 0; k < len; k++) {
      if ((buf[start + k] | 0x20) !== bytes[k]) continue outer;
    }
    return cand.name;
  }
  return null;
}
