// Request methods the HTTP/1.1 codec accepts by default: Envoy's list (the methods http-parser knew),
// matched from bytes to interned strings so a request line allocates no method string.

export const KNOWN_METHODS: readonly string[] = [
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH',
  'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST',
  'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE',
  'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
];

// BY_LENGTH[n] lists the known methods of length n, most common first.
const BY_LENGTH: string[][] = [];
const COMMON_FIRST = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT'];
for (const m of [...COMMON_FIRST, ...KNOWN_METHODS.filter((x) => !COMMON_FIRST.includes(x))]) {
  (BY_LENGTH[m.length] ??= []).push(m);
}

/** The interned known method spelled by bytes [start, end) (case-sensitive), or null. */
export function matchMethod(buf: Uint8Array, start: number, end: number): string | null {
  const list = BY_LENGTH[end - start];
  if (list === undefined) return null;
  outer: for (let i = 0; i < list.length; i++) {
    const m = list[i];
    for (let k = 0; k < m.length; k++) {
      if (buf[start + k] !== m.charCodeAt(k)) continue outer;
    }
    return m;
  }
  return null;
}
