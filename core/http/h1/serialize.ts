// HTTP/1.1 head serialization (request and response heads, chunk framing) and the field validators
// callers use on values that did not come through H1Parser (config, HTTP/2 peers).
//
// Heads are built as JS strings: concatenation makes a rope that the socket write flattens once, which
// measured faster than filling a Buffer piece by piece (see bench/micro/h1-parse.bench.ts). Write them with
// socket.write(head, 'latin1'); header values are latin1 (obs-text bytes survive a parse/serialize trip).
// The serializers trust their input: names must be tokens and values field-values (see the validators).

import { TCHAR } from './chars.js';
import { statusLine } from './status-text.js';

/** "METHOD target HTTP/1.1\r\n" + "name: value\r\n"... + "\r\n"; `headers` is flat [name, value, ...]. */
export function serializeRequestHead(method: string, target: string, headers: readonly string[]): string {
  let s = method + ' ' + target + ' HTTP/1.1\r\n';
  for (let i = 0; i < headers.length; i += 2) s += headers[i] + ': ' + headers[i + 1] + '\r\n';
  return s + '\r\n';
}

/** "HTTP/1.1 NNN Reason\r\n" + fields + "\r\n"; the reason phrase is the standard one for the code. */
export function serializeResponseHead(status: number, headers: readonly string[], versionMinor = 1): string {
  let s = statusLine(status, versionMinor);
  for (let i = 0; i < headers.length; i += 2) s += headers[i] + ': ' + headers[i + 1] + '\r\n';
  return s + '\r\n';
}

/** "<hex size>\r\n" preceding a chunk of `size` > 0 bytes; the chunk is followed by CRLF. */
export function chunkHeader(size: number): string {
  return size.toString(16) + '\r\n';
}

/** Ends the data of every chunk. */
export const CRLF = '\r\n';
/** Last chunk and an empty trailer section. */
export const LAST_CHUNK = '0\r\n\r\n';

/** True if `name` is a non-empty token (RFC 9110 §5.6.2). */
export function isToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 255 || TCHAR[c] === 0) return false;
  }
  return true;
}

/**
 * True if `value` may be written as a field value: latin1 VCHAR / obs-text / SP / HTAB, with no
 * leading or trailing whitespace (RFC 9110 §5.5). Rejects CR, LF and NUL (header injection).
 */
export function isFieldValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 32 ? c !== 9 : c === 127 || c > 255) return false;
  }
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  return first !== 32 && first !== 9 && last !== 32 && last !== 9;
}
