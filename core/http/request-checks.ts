// Request-head checks Envoy's codecs make that the engines apply themselves: headers_with_underscores_action,
// and (for uWebSockets.js, whose parser is more lenient than Envoy's in places) framing and size checks on
// the head it hands over. Pure functions over flat [name, value, ...] lists with lower-case names.
import type { HeadersWithUnderscoresAction } from '../config/types.js';

/** The request must be rejected (headers_with_underscores_action REJECT_REQUEST). */
export const UNDERSCORE_REJECT = -1;

/**
 * Applies headers_with_underscores_action to `h` (in place): returns how many fields were dropped, or
 * UNDERSCORE_REJECT. ALLOW costs nothing.
 */
export function applyUnderscorePolicy(h: string[], action: HeadersWithUnderscoresAction): number {
  if (action === 'ALLOW') return 0;
  let w = 0;
  let dropped = 0;
  for (let r = 0; r < h.length; r += 2) {
    const name = h[r];
    if (name.indexOf('_') >= 0) {
      if (action === 'REJECT_REQUEST') return UNDERSCORE_REJECT;
      dropped++;
      continue;
    }
    if (w !== r) {
      h[w] = name;
      h[w + 1] = h[r + 1];
    }
    w += 2;
  }
  h.length = w;
  return dropped;
}

/** Plain decimal Content-Length (what Envoy's codec accepts), else -1. */
export function parseContentLength(v: string): number {
  if (v.length === 0 || v.length > 16) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : -1;
}

/** What was wrong with a head uWebSockets.js accepted: 0 = nothing, else the status Envoy answers. */
export interface HeadVerdict {
  status: number;
  /** Envoy's response code details for the access log. */
  details: string;
  /** Content-Length value (-1 none), and whether the body is chunked. */
  contentLength: number;
  chunked: boolean;
}

/**
 * Checks a request head as Envoy's HTTP/1 codec would, for the parts uWebSockets.js lets through:
 * duplicate or malformed Content-Length, Transfer-Encoding other than "chunked", both framings, a second
 * Host, DEL in values, and the max_request_headers_kb / max_headers_count limits.
 * `h` includes host; `targetLength` is the request-target's length (counted like Envoy's :path).
 */
export function checkUwsHead(h: readonly string[], method: string, targetLength: number, maxBytes: number, maxCount: number, out: HeadVerdict): void {
  out.status = 0;
  out.details = '';
  out.contentLength = -1;
  out.chunked = false;
  let bytes = method.length + targetLength;
  let hosts = 0;
  let te = 0;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    const value = h[i + 1];
    bytes += name.length + value.length;
    // uWS itself refuses (by stalling) values with other control characters; DEL it lets through.
    if (value.indexOf('\x7f') >= 0) return fail(out, 400, 'http1.invalid_characters');
    switch (name.length) {
      case 4:
        if (name === 'host') hosts++;
        break;
      case 14:
        if (name === 'content-length') {
          if (out.contentLength !== -1) return fail(out, 400, 'http1.codec_error');
          out.contentLength = parseContentLength(value);
          if (out.contentLength < 0) return fail(out, 400, 'http1.codec_error');
        }
        break;
      case 17:
        if (name === 'transfer-encoding') {
          te++;
          if (value.length !== 7 || value.toLowerCase() !== 'chunked') out.status = 501;
        }
        break;
    }
  }
  if (bytes > maxBytes) return fail(out, 431, 'http1.headers_too_large');
  if (h.length / 2 > maxCount) return fail(out, 431, 'http1.too_many_headers');
  if (hosts > 1) return fail(out, 400, 'http1.codec_error');
  if (te > 0) {
    // Envoy's order: both framings is a 400, then a coding other than chunked a 501.
    if (out.contentLength !== -1) return fail(out, 400, 'http1.content_length_and_chunked_not_allowed');
    if (te > 1 || out.status === 501) return fail(out, 501, 'http1.invalid_transfer_encoding');
    out.chunked = true;
  }
}

function fail(out: HeadVerdict, status: number, details: string): void {
  out.status = status;
  out.details = details;
}
