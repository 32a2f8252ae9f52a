// Request path normalisation as Envoy's ConnectionManagerUtility::maybeNormalizePath does it: fragment
// rejection, path_with_escaped_slashes_action, normalize_path (RFC 3986 dot segments and percent-decoding
// of unreserved characters, following the URL canonicaliser Envoy uses) and merge_slashes. Pure.
import type { EscapedSlashesAction } from '../config/types.js';

/** What the connection manager does with the request after normalisation. */
export const PATH_CONTINUE = 0;
/** 400, downstream_rq_failed_path_normalization. */
export const PATH_REJECT = 1;
/** 307 to the normalised path, downstream_rq_redirected_with_normalized_path. */
export const PATH_REDIRECT = 2;
export type PathAction = typeof PATH_CONTINUE | typeof PATH_REJECT | typeof PATH_REDIRECT;

export interface PathOptions {
  readonly normalizePath: boolean;
  readonly mergeSlashes: boolean;
  readonly pathWithEscapedSlashesAction: EscapedSlashesAction;
}

/**
 * Normalises `target.path` (an origin-form :path with its query) in place as the HCM options say and
 * returns what to do with the request. With no option set and no fragment it does no work.
 */
export function normalizeRequestPath(target: { path: string }, o: PathOptions): PathAction {
  let path = target.path;
  // RFC 3986 3.5 / RFC 9112 3.2: a fragment is not part of a request target (Envoy rejects it by default).
  if (path.indexOf('#') >= 0) return PATH_REJECT;
  let action: PathAction = PATH_CONTINUE;
  const esc = o.pathWithEscapedSlashesAction;
  // IMPLEMENTATION_SPECIFIC_DEFAULT is KEEP_UNCHANGED in Envoy.
  if (esc === 'REJECT_REQUEST' || esc === 'UNESCAPE_AND_REDIRECT' || esc === 'UNESCAPE_AND_FORWARD') {
    const unescaped = unescapeSlashes(path);
    if (unescaped !== path) {
      if (esc === 'REJECT_REQUEST') return PATH_REJECT;
      if (esc === 'UNESCAPE_AND_REDIRECT') action = PATH_REDIRECT;
      path = unescaped;
    }
  }
  if (o.normalizePath) {
    const n = canonicalizeRequestPath(path);
    if (n === null) return PATH_REJECT;
    path = n;
  }
  if (o.mergeSlashes) path = mergeSlashes(path);
  target.path = path;
  return action;
}

/** Where the query starts (the first '?'), or the length when there is none. */
function splitQuery(p: string): number {
  const q = p.indexOf('?');
  return q < 0 ? p.length : q;
}

/** %2F / %5C (any case) in the path part become '/' and '\'; the query is left alone. */
export function unescapeSlashes(p: string): string {
  const end = splitQuery(p);
  let pct = p.indexOf('%');
  if (pct < 0 || pct >= end) return p;
  let out = '';
  let from = 0;
  while (pct >= 0 && pct + 3 <= end) {
    const c1 = p.charCodeAt(pct + 1);
    const c2 = p.charCodeAt(pct + 2) | 0x20;
    const rep = c1 === 50 /* 2 */ && c2 === 102 /* f */ ? '/' : c1 === 53 /* 5 */ && c2 === 99 /* c */ ? '\\' : '';
    if (rep !== '') {
      out += p.slice(from, pct) + rep;
      from = pct + 3;
      pct = p.indexOf('%', from);
    } else {
      pct = p.indexOf('%', pct + 1);
    }
  }
  return from === 0 ? p : out + p.slice(from);
}

/**
 * Envoy's merge_slashes: the non-empty segments of the path part joined by single slashes, with a
 * leading and a trailing slash kept when the path had them (so "//" stays "//"); the query is untouched.
 */
export function mergeSlashes(p: string): string {
  const end = splitQuery(p);
  const dbl = p.indexOf('//');
  if (dbl < 0 || dbl >= end) return p;
  const path = p.slice(0, end);
  const segs = path.split('/').filter((s) => s !== '');
  return (path.charCodeAt(0) === 47 ? '/' : '') + segs.join('/') + (path.charCodeAt(end - 1) === 47 ? '/' : '') + p.slice(end);
}

// ---------------------------------------------------------------------------------------------------
// normalize_path: the URL canonicaliser's path rules (the one Envoy links), applied to the part before
// '?'. Character classes of a path character, and of a character that arrives percent-encoded:
const PASS = 0; // copied as is, and left encoded when it arrives encoded
const SPECIAL = 1; // needs a look (dot, backslash, percent, or must be escaped)
const ESCAPE = 3; // SPECIAL | 2: percent-encoded in the output
const UNESCAPE = 4; // decoded when it arrives percent-encoded (unreserved characters)
const INVALID = 9; // SPECIAL | 8: makes the path invalid (NUL)

const CLASS = new Uint8Array(256);
(() => {
  CLASS.fill(ESCAPE);
  CLASS[0] = INVALID;
  for (const c of "!$&'()*+,/:;=@[]|") CLASS[c.charCodeAt(0)] = PASS;
  for (let c = 48; c <= 57; c++) CLASS[c] = UNESCAPE;
  for (let c = 65; c <= 90; c++) CLASS[c] = UNESCAPE;
  for (let c = 97; c <= 122; c++) CLASS[c] = UNESCAPE;
  CLASS[45] = UNESCAPE; // -
  CLASS[95] = UNESCAPE; // _
  CLASS[126] = UNESCAPE; // ~
  CLASS[46] = SPECIAL; // .
  // '%', '\', and the rest (space, " # < > ? ^ ` { } DEL, controls, non-ASCII) stay ESCAPE.
})();

const HEX_DIGITS = '0123456789ABCDEF';

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

function escaped(c: number): string {
  return '%' + HEX_DIGITS[c >> 4] + HEX_DIGITS[c & 15];
}

/** Length of a dot at p[i]: 1 for '.', 3 for '%2e' / '%2E', else 0. */
function dotAt(p: string, i: number, end: number): number {
  const c = p.charCodeAt(i);
  if (c === 46) return 1;
  if (c === 37 && i + 3 <= end && p.charCodeAt(i + 1) === 50 && (p.charCodeAt(i + 2) | 0x20) === 101) return 3;
  return 0;
}

function isSlash(c: number): boolean {
  return c === 47 || c === 92;
}

const NOT_A_DIRECTORY = 0;
const DIRECTORY_CUR = 1;
const DIRECTORY_UP = 2;
let consumed = 0;

/** After a dot that follows a slash: is it "." or ".." as a whole segment? Sets `consumed`. */
function classifyAfterDot(p: string, after: number, end: number): number {
  if (after === end) {
    consumed = 0;
    return DIRECTORY_CUR;
  }
  if (isSlash(p.charCodeAt(after))) {
    consumed = 1;
    return DIRECTORY_CUR;
  }
  const second = dotAt(p, after, end);
  if (second > 0) {
    const next = after + second;
    if (next === end) {
      consumed = second;
      return DIRECTORY_UP;
    }
    if (isSlash(p.charCodeAt(next))) {
      consumed = second + 1;
      return DIRECTORY_UP;
    }
  }
  consumed = 0;
  return NOT_A_DIRECTORY;
}

/** Output ends with '/': drop the last segment (never above the root). */
function backUp(out: string): string {
  let i = out.length - 1;
  if (i <= 0) return out;
  i--;
  while (i > 0 && out.charCodeAt(i) !== 47) i--;
  return out.slice(0, i + 1);
}

/** Segments "..;params" and ".;params" become ".." and "." so the dot rules see them (Envoy >= 1.36). */
function stripDotSegmentParameters(p: string): string {
  if (p.indexOf('.;') < 0) return p;
  const segs = p.split('/');
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (s.startsWith('..;')) segs[i] = '..';
    else if (s.startsWith('.;')) segs[i] = '.';
  }
  return segs.join('/');
}

/**
 * normalize_path for a whole :path: the part before '?' is canonicalised, the query is kept verbatim.
 * Returns null when the path is invalid (an encoded or raw NUL).
 */
export function canonicalizeRequestPath(full: string): string | null {
  const q = splitQuery(full);
  let p = q === full.length ? full : full.slice(0, q);
  p = stripDotSegmentParameters(p);
  const c = canonicalizePath(p);
  if (c === null) return null;
  return q === full.length ? c : c + full.slice(q);
}

/** The canonical form of a path (no query), or null when invalid. */
export function canonicalizePath(p: string): string | null {
  const end = p.length;
  if (end === 0) return '/';
  let out = isSlash(p.charCodeAt(0)) ? '' : '/';
  let ok = true;
  let lastInvalidPercent = -10;
  for (let i = 0; i < end; i++) {
    const c = p.charCodeAt(i);
    if (c > 0xff) {
      // Not a byte: escape its UTF-8 form.
      const cp = p.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out += escaped(b);
      continue;
    }
    const cls = CLASS[c];
    if ((cls & SPECIAL) === 0) {
      out += p[i];
      continue;
    }
    const dot = dotAt(p, i, end);
    if (dot > 0) {
      if (out.charCodeAt(out.length - 1) === 47) {
        switch (classifyAfterDot(p, i + dot, end)) {
          case NOT_A_DIRECTORY:
            out += '.';
            i += dot - 1;
            break;
          case DIRECTORY_CUR:
            i += dot + consumed - 1;
            break;
          default:
            out = backUp(out);
            i += dot + consumed - 1;
        }
      } else {
        out += '.';
        i += dot - 1;
      }
    } else if (c === 92) {
      out += '/';
    } else if (c === 37) {
      const h1 = i + 2 < end ? hexVal(p.charCodeAt(i + 1)) : -1;
      const h2 = h1 >= 0 ? hexVal(p.charCodeAt(i + 2)) : -1;
      if (h2 >= 0) {
        const v = (h1 << 4) | h2;
        const vc = CLASS[v];
        if (vc & UNESCAPE) {
          out += String.fromCharCode(v);
          if (lastInvalidPercent >= out.length - 3) out = escapeNestedPercent(p, i + 3, end, lastInvalidPercent, out);
        } else {
          out += p.slice(i, i + 3);
          if (vc === INVALID) ok = false;
        }
        i += 2;
      } else {
        // A '%' that starts no escape is kept (the permissive choice).
        lastInvalidPercent = out.length;
        out += '%';
      }
    } else {
      out += escaped(c);
      if (cls === INVALID) ok = false;
    }
  }
  return ok ? out : null;
}

/**
 * A decoded character may turn an earlier lone '%' into the start of an escape ("%%32%35" -> "%25"):
 * such a '%' is itself encoded so the output means what the input meant.
 */
function escapeNestedPercent(p: string, next: number, end: number, pct: number, out: string): string {
  const len = out.length;
  let d1: number;
  let d2: number;
  if (pct === len - 2) {
    // "%x" so far: the next input character completes it.
    if (next >= end || p.charCodeAt(next) >= 0x80) return out;
    d1 = out.charCodeAt(pct + 1);
    d2 = p.charCodeAt(next);
  } else {
    d1 = out.charCodeAt(pct + 1);
    d2 = out.charCodeAt(pct + 2);
  }
  if (hexVal(d1) < 0 || hexVal(d2) < 0) return out;
  return out.slice(0, pct) + '%25' + out.slice(pct + 1);
}
