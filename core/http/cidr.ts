// CIDR ranges for "is this address internal" (HCM internal_address_config). IPv4 and IPv6; an IPv4-mapped
// IPv6 address (::ffff:a.b.c.d) is matched as IPv4, as Envoy does.

function v4(ip: string): number | null {
  const p = ip.split('.');
  if (p.length !== 4) return null;
  let n = 0;
  for (const x of p) {
    if (!/^\d{1,3}$/.test(x) || Number(x) > 255) return null;
    n = n * 256 + Number(x);
  }
  return n;
}

function v6(ip: string): bigint | null {
  let s = ip;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (s.includes('.')) {
    const last = s.lastIndexOf(':');
    const n = v4(s.slice(last + 1));
    if (n === null) return null;
    s = `${s.slice(0, last + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - tail.length;
  // '::' stands for at least one zero group (inet_pton refuses '1::2:3:4:5:6:7:8').
  if (halves.length === 1 ? head.length !== 8 : fill < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

export function parseIp(ip: string): { v4: number } | { v6: bigint } | null {
  const a = v4(ip);
  if (a !== null) return { v4: a };
  const b = v6(ip);
  if (b === null) return null;
  if (b >> 32n === 0xffffn) return { v4: Number(b & 0xffffffffn) };
  return { v6: b };
}

export class CidrSet {
  private readonly v4s: [number, number][] = [];
  private readonly v6s: [bigint, bigint][] = [];

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr, lenText] = c.split('/');
      const ip = parseIp(addr);
      if (!ip) continue;
      if ('v4' in ip) {
        // An IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) is the IPv4 range /8.
        const mapped = addr.includes(':');
        const len = Math.max(0, Math.min(Number(lenText ?? (mapped ? 128 : 32)) - (mapped ? 96 : 0), 32));
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        this.v4s.push([(ip.v4 & mask) >>> 0, mask]);
      } else {
        const len = BigInt(Math.min(Number(lenText ?? 128), 128));
        const mask = len === 0n ? 0n : ((1n << 128n) - 1n) ^ ((1n << (128n - len)) - 1n);
        this.v6s.push([ip.v6 & mask, mask]);
      }
    }
  }

  get empty(): boolean {
    return this.v4s.length === 0 && this.v6s.length === 0;
  }

  contains(ip: string): boolean {
    if (this.empty) return false;
    const p = parseIp(ip);
    if (!p) return false;
    if ('v4' in p) return this.v4s.some(([net, mask]) => ((p.v4 & mask) >>> 0) === net);
    return this.v6s.some(([net, mask]) => (p.v6 & mask) === net);
  }
}

/** True for a syntactically valid IPv4 or IPv6 address. */
export function isValidIp(ip: string): boolean {
  return parseIp(ip) !== null;
}
