// Compiled StringMatch / HeaderMatch / QueryParameterMatch, with Envoy's semantics
// (Matchers::StringMatcherImpl, HeaderUtility::matchHeaders, ConfigUtility::QueryParameterMatcher).
// Matching never allocates except to join a repeated header's values, as Envoy does.

import type { HeaderMatch, QueryParameterMatch, StringMatch } from '../config/types.js';
import { compileRegex } from './regex.js';

// ---------------------------------------------------------------------------------------------
// ASCII case-insensitive helpers (absl::EqualsIgnoreCase and friends fold ASCII only).

function foldAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** True when s[pos, pos+needle.length) equals needle ignoring ASCII case; needle is lower-case. */
export function regionEqualsLower(s: string, pos: number, needleLower: string): boolean {
  const n = needleLower.length;
  if (pos < 0 || pos + n > s.length) return false;
  for (let i = 0; i < n; i++) {
    if (foldAscii(s.charCodeAt(pos + i)) !== needleLower.charCodeAt(i)) return false;
  }
  return true;
}

export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return s;
}

function containsLower(s: string, needleLower: string): boolean {
  const last = s.length - needleLower.length;
  for (let p = 0; p <= last; p++) if (regionEqualsLower(s, p, needleLower)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------

const K_EXACT = 0;
const K_PREFIX = 1;
const K_SUFFIX = 2;
const K_CONTAINS = 3;
const K_REGEX = 4;

export class StringMatcher {
  private readonly kind: number;
  private readonly value: string;
  private readonly ignoreCase: boolean;
  private readonly re: RegExp | null;

  /** Throws on an invalid regex; run checkRouteConfig first to get the error as config text. */
  constructor(sm: StringMatch) {
    this.kind =
      sm.kind === 'exact' ? K_EXACT
      : sm.kind === 'prefix' ? K_PREFIX
      : sm.kind === 'suffix' ? K_SUFFIX
      : sm.kind === 'contains' ? K_CONTAINS
      : K_REGEX;
    this.ignoreCase = sm.ignoreCase && this.kind !== K_REGEX;
    this.value = this.ignoreCase ? asciiLower(sm.value) : sm.value;
    if (this.kind === K_REGEX) {
      const re = compileRegex(sm.value, true);
      if (!(re instanceof RegExp)) throw new Error(re.error);
      this.re = re;
    } else {
      this.re = null;
    }
  }

  match(v: string): boolean {
    const want = this.value;
    switch (this.kind) {
      case K_EXACT:
        return this.ignoreCase ? v.length === want.length && regionEqualsLower(v, 0, want) : v === want;
      case K_PREFIX:
        return this.ignoreCase ? regionEqualsLower(v, 0, want) : v.startsWith(want);
      case K_SUFFIX:
        return this.ignoreCase ? regionEqualsLower(v, v.length - want.length, want) : v.endsWith(want);
      case K_CONTAINS:
        return this.ignoreCase ? containsLower(v, want) : v.includes(want);
      default:
        return this.re!.test(v);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Header lookup over the request's flat [name, value, ...] list.

/** What header matching needs from a request. */
export interface HeaderSource {
  readonly authority: string;
  readonly path: string;
  readonly headers: readonly string[];
}

/**
 * The header's value as Envoy's getAllOfHeaderAsString gives it: the single value, the values
 * joined with ',' when repeated, or null when absent. `:authority` and `:path` come from the
 * request fields; other pseudo-headers (`:method`, `:scheme`) from the list when the caller put
 * them there.
 */
export function headerValue(req: HeaderSource, name: string): string | null {
  if (name.charCodeAt(0) === 0x3a) {
    if (name === ':authority') return req.authority;
    if (name === ':path') return req.path;
  }
  const h = req.headers;
  let found: string | null = null;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] !== name) continue;
    found = found === null ? h[i + 1] : found + ',' + h[i + 1];
  }
  return found;
}

// absl::SimpleAtoi for int64: ASCII whitespace around, optional sign, decimal digits.
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Parses like absl::SimpleAtoi<int64_t>; NaN when it would fail. */
export function simpleAtoi64(s: string): number | bigint {
  let a = 0;
  let b = s.length;
  while (a < b && isAsciiSpace(s.charCodeAt(a))) a++;
  while (b > a && isAsciiSpace(s.charCodeAt(b - 1))) b--;
  let neg = false;
  if (a < b && (s.charCodeAt(a) === 0x2b || s.charCodeAt(a) === 0x2d)) {
    neg = s.charCodeAt(a) === 0x2d;
    a++;
  }
  if (a >= b) return NaN;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return NaN;
    n = n * 10 + (c - 0x30);
  }
  if (b - a <= 15) return neg ? -n : n;
  const big = BigInt((neg ? '-' : '') + s.slice(a, b));
  if (big > INT64_MAX || big < INT64_MIN) return NaN;
  return big;
}

const H_PRESENT = 0;
const H_STRING = 1;
const H_RANGE = 2;

export class HeaderMatcher {
  readonly name: string;
  private readonly kind: number;
  private readonly present: boolean;
  private readonly sm: StringMatcher | null;
  private readonly start: number;
  private readonly end: number;
  private readonly invert: boolean;
  private readonly treatMissingAsEmpty: boolean;

  constructor(h: HeaderMatch) {
    this.name = h.name;
    this.kind = h.kind === 'present' ? H_PRESENT : h.kind === 'string' ? H_STRING : H_RANGE;
    this.present = h.presentValue;
    this.sm = h.kind === 'string' && h.string !== null ? new StringMatcher(h.string) : null;
    this.start = h.rangeStart;
    this.end = h.rangeEnd;
    this.invert = h.invert;
    this.treatMissingAsEmpty = h.treatMissingAsEmpty;
  }

  matches(req: HeaderSource): boolean {
    let value = headerValue(req, this.name);
    if (value === null) {
      if (!this.treatMissingAsEmpty) {
        // Only a presence matcher can match an absent header (present_match: false, or inverted true).
        return this.kind === H_PRESENT && (this.invert ? this.present : !this.present);
      }
      value = '';
    }
    let m: boolean;
    switch (this.kind) {
      case H_PRESENT:
        m = this.present;
        break;
      case H_STRING:
        m = this.sm === null || this.sm.match(value);
        break;
      default: {
        const v = simpleAtoi64(value);
        m = typeof v === 'bigint' ? v >= BigInt(this.start) && v < BigInt(this.end) : v >= this.start && v < this.end;
        break;
      }
    }
    return m !== this.invert;
  }
}

// ---------------------------------------------------------------------------------------------
// Query parameters: Envoy's QueryParamsMulti::parseQueryString without building the map.
// The query is everything after the first '?' (a '#fragment' stays part of the last value),
// split on '&'; a key runs to the first '='; no percent-decoding; the first value wins.

/** Start and end of the first value for `name` in `path`'s query, packed; -1 when absent. */
function findParam(path: string, qStart: number, name: string): number {
  const n = path.length;
  let p = qStart;
  while (p < n) {
    let end = path.indexOf('&', p);
    if (end < 0) end = n;
    let eq = -1;
    for (let i = p; i < end; i++) {
      if (path.charCodeAt(i) === 0x3d) {
        eq = i;
        break;
      }
    }
    const keyEnd = eq < 0 ? end : eq;
    if (keyEnd - p === name.length && path.startsWith(name, p)) {
      return eq < 0 ? end : eq + 1;
    }
    p = end + 1;
  }
  return -1;
}

export class QueryParamMatcher {
  readonly name: string;
  private readonly sm: StringMatcher | null;

  constructor(q: QueryParameterMatch) {
    this.name = q.name;
    this.sm = q.kind === 'string' && q.string !== null ? new StringMatcher(q.string) : null;
  }

  /** `qStart` is the index after the first '?' of `path`, or -1 when there is no query. */
  matches(path: string, qStart: number): boolean {
    if (qStart < 0) return false;
    const vStart = findParam(path, qStart, this.name);
    if (vStart < 0) return false;
    if (this.sm === null) return true;
    let vEnd = path.indexOf('&', vStart);
    if (vEnd < 0) vEnd = path.length;
    return this.sm.match(path.slice(vStart, vEnd));
  }
}
