// IP literal checks for the config loader: which socket addresses Envoy resolves without DNS
// (listeners, admin, STATIC endpoints, DNS resolvers must be IP literals).

export function isIpv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m !== null && m.slice(1).every((x) => Number(x) <= 255);
}

/** RFC 4291 text forms: eight groups, one `::` run, an optional dotted IPv4 tail, a `%zone` suffix. */
export function isIpv6(s: string): boolean {
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (pct === s.length - 1) return false;
    s = s.slice(0, pct);
  }
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  let groups = 8;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    if (!isIpv4(s.slice(lastColon + 1))) return false;
    s = `${s.slice(0, lastColon + 1)}0`;
    groups = 7;
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const part = (h: string): string[] | null => {
    if (h === '') return [];
    const g = h.split(':');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : null;
  };
  const head = part(halves[0]);
  if (head === null) return false;
  if (halves.length === 1) return head.length === groups;
  const tail = part(halves[1]);
  return tail !== null && head.length + tail.length < groups;
}

export function isIp(s: string): boolean {
  return isIpv4(s) || isIpv6(s);
}
