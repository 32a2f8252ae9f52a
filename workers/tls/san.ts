// match_subject_alt_names against a peer certificate, as Envoy's default validator does: each matcher
// is tried against the DNS, URI, email and IP SANs; an `exact` matcher on a DNS SAN follows DNS wildcard
// rules (a "*.example.com" SAN covers one label). No SAN extension means no match.
import type { StringMatch } from '../../core/config/types.js';
import { StringMatcher } from '../../core/router/string-match.js';

export interface San {
  readonly type: 'DNS' | 'URI' | 'email' | 'IP';
  readonly value: string;
}

/** Envoy's Utility::dnsNameMatch: `pattern` (a certificate's DNS SAN) may start with "*." for one label. */
export function dnsNameMatch(dnsName: string, pattern: string): boolean {
  const name = dnsName.toLowerCase();
  const pat = pattern.toLowerCase();
  if (name === pat) return true;
  if (pat.length > 1 && pat.startsWith('*.') && name.length > pat.length - 1) {
    const off = name.length - pat.length + 1;
    return !name.slice(0, off).includes('.') && name.slice(off) === pat.slice(1);
  }
  return false;
}

function canonicalIp(v: string): string {
  if (!v.includes(':')) return v;
  try {
    return new URL(`http://[${v}]/`).hostname.slice(1, -1);
  } catch {
    return v.toLowerCase();
  }
}

/**
 * Parses node's `subjectaltname` text ("DNS:a.test, IP Address:127.0.0.1, URI:spiffe://x, email:a@b").
 * Values holding separators come JSON-quoted (node >= 17.3.1).
 */
export function parseSubjectAltName(text: string | undefined): San[] {
  const out: San[] = [];
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const kind = text.slice(i, colon).trim();
    let value: string;
    let next: number;
    if (text.charCodeAt(colon + 1) === 0x22) {
      let j = colon + 2;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1)) as string;
      } catch {
        value = text.slice(colon + 2, j);
      }
      next = text.indexOf(',', j + 1);
    } else {
      next = text.indexOf(', ', colon + 1);
      value = text.slice(colon + 1, next < 0 ? text.length : next);
    }
    if (kind === 'DNS') out.push({ type: 'DNS', value });
    else if (kind === 'URI') out.push({ type: 'URI', value });
    else if (kind === 'email') out.push({ type: 'email', value });
    else if (kind === 'IP Address') out.push({ type: 'IP', value: canonicalIp(value) });
    if (next < 0) break;
    i = next + 1;
    while (text.charCodeAt(i) === 0x20) i++;
  }
  return out;
}

export class SanMatchers {
  private readonly matchers: readonly { readonly sm: StringMatch; readonly m: StringMatcher }[];

  /** Throws on an invalid regex (resolveTls reports it first). */
  constructor(list: readonly StringMatch[]) {
    this.matchers = list.map((sm) => ({ sm, m: new StringMatcher(sm) }));
  }

  get empty(): boolean {
    return this.matchers.length === 0;
  }

  /** True when some matcher matches some SAN of the certificate. */
  matches(subjectAltName: string | undefined): boolean {
    const sans = parseSubjectAltName(subjectAltName);
    for (const { sm, m } of this.matchers) {
      for (const san of sans) {
        if (san.type === 'DNS' && sm.kind === 'exact' ? dnsNameMatch(sm.value, san.value) : m.match(san.value)) return true;
      }
    }
    return false;
  }
}
