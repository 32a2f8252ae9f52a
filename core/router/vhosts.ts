// Virtual-host selection by Host/:authority as Envoy's RouteMatcher::findVirtualHost does it:
// exact domain, then suffix wildcards (`*.foo.com`, `*-bar.foo.com`) longest first, then prefix
// wildcards (`foo.*`) longest first, then the single `*`. The `*` of a wildcard covers >= 1
// character. The port stays part of the host unless ignore_port_in_host_matching; Envoy does not
// retry without it. Lookups hash the host in place (ASCII case folded on the fly), so a request
// allocates nothing, whatever the case of its Host.

interface Entry<T> {
  readonly key: string; // lower-case
  readonly value: T;
}

type Buckets<T> = Map<number, Entry<T>[]>;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;

function fold(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

function hashForward(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ fold(s.charCodeAt(i)), FNV_PRIME);
  return h;
}

function hashBackward(s: string): number {
  let h = FNV_OFFSET;
  for (let i = s.length - 1; i >= 0; i--) h = Math.imul(h ^ fold(s.charCodeAt(i)), FNV_PRIME);
  return h;
}

function regionEquals(host: string, pos: number, keyLower: string): boolean {
  for (let i = 0; i < keyLower.length; i++) {
    if (fold(host.charCodeAt(pos + i)) !== keyLower.charCodeAt(i)) return false;
  }
  return true;
}

function add<T>(b: Buckets<T>, h: number, e: Entry<T>): boolean {
  const list = b.get(h);
  if (list === undefined) {
    b.set(h, [e]);
    return true;
  }
  for (const x of list) if (x.key === e.key) return false;
  list.push(e);
  return true;
}

function lookup<T>(b: Buckets<T> | undefined, h: number, host: string, pos: number, len: number): T | null {
  if (b === undefined) return null;
  const list = b.get(h);
  if (list === undefined) return null;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (e.key.length === len && regionEquals(host, pos, e.key)) return e.value;
  }
  return null;
}

/** Envoy's HeaderUtility::getPortStart: index of the port's ':' or -1 (IPv6 literals aware). */
export function portStart(host: string): number {
  const colon = host.lastIndexOf(':');
  if (colon < 0) return -1;
  const v6End = host.lastIndexOf(']');
  return v6End < 0 || v6End < colon ? colon : -1;
}

function lowerDomain(d: string): string {
  return d.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export class DomainIndex<T> {
  private readonly exact: Buckets<T> = new Map();
  /** Indexed by the wildcard's literal length (domain length - 1). */
  private readonly suffixes: Buckets<T>[] = [];
  private readonly prefixes: Buckets<T>[] = [];
  private maxSuffix = 0;
  private maxPrefix = 0;
  private wildcard: T | null = null;
  private onlyWildcard = true;
  /** Domains refused as duplicates (Envoy refuses the whole config; checkRouteConfig says so). */
  readonly duplicates: string[] = [];

  constructor(
    entries: Iterable<{ readonly domain: string; readonly value: T }>,
    private readonly ignorePort: boolean,
  ) {
    for (const { domain, value } of entries) this.insert(lowerDomain(domain), value);
  }

  private insert(d: string, value: T): void {
    if (d === '*') {
      if (this.wildcard !== null) this.duplicates.push(d);
      else this.wildcard = value;
      return;
    }
    this.onlyWildcard = false;
    let ok: boolean;
    if (d.length > 0 && d.charCodeAt(0) === 0x2a) {
      const key = d.slice(1);
      const b = (this.suffixes[key.length] ??= new Map());
      ok = add(b, hashBackward(key), { key, value });
      if (key.length > this.maxSuffix) this.maxSuffix = key.length;
    } else if (d.length > 0 && d.charCodeAt(d.length - 1) === 0x2a) {
      const key = d.slice(0, -1);
      const b = (this.prefixes[key.length] ??= new Map());
      ok = add(b, hashForward(key), { key, value });
      if (key.length > this.maxPrefix) this.maxPrefix = key.length;
    } else {
      ok = add(this.exact, hashForward(d), { key: d, value });
    }
    if (!ok) this.duplicates.push(d);
  }

  /** The value for a Host/:authority; '' is taken as no Host at all. */
  find(authority: string): T | null {
    if (this.onlyWildcard) return this.wildcard;
    if (authority.length === 0) return null;
    let end = authority.length;
    if (this.ignorePort) {
      const p = portStart(authority);
      if (p >= 0) end = p;
    }
    // One forward pass: the exact hash, and the longest prefix wildcard on the way.
    let h = FNV_OFFSET;
    let prefixHit: T | null = null;
    const maxP = Math.min(this.maxPrefix, end - 1);
    for (let i = 0; i < end; i++) {
      h = Math.imul(h ^ fold(authority.charCodeAt(i)), FNV_PRIME);
      const k = i + 1;
      if (k <= maxP) {
        const hit = lookup(this.prefixes[k], h, authority, 0, k);
        if (hit !== null) prefixHit = hit;
      }
    }
    const exact = lookup(this.exact, h, authority, 0, end);
    if (exact !== null) return exact;
    // Backward pass for suffix wildcards; the longest match wins.
    const maxS = Math.min(this.maxSuffix, end - 1);
    if (maxS > 0) {
      let hs = FNV_OFFSET;
      let suffixHit: T | null = null;
      for (let k = 1; k <= maxS; k++) {
        hs = Math.imul(hs ^ fold(authority.charCodeAt(end - k)), FNV_PRIME);
        const hit = lookup(this.suffixes[k], hs, authority, end - k, k);
        if (hit !== null) suffixHit = hit;
      }
      if (suffixHit !== null) return suffixHit;
    }
    if (prefixHit !== null) return prefixHit;
    return this.wildcard;
  }
}
