// Byte-class tables for the HTTP/1.1 codec: tchar (RFC 9110 §5.6.2), hex digits, host characters.
// Tables instead of comparisons keep the per-byte loops branch-light.

/** TCHAR[c]: 0 = not a token char, 1 = token char, 3 = upper-case ASCII letter (a token char too). */
export const TCHAR = new Uint8Array(256);
/** HEX[c]: value of a hex digit, or -1. */
export const HEX = new Int8Array(256).fill(-1);
/** HOST[c]: 1 for characters allowed in the authority of an absolute-form or authority-form target. */
export const HOST = new Uint8Array(256);

const TOKEN_PUNCT = "!#$%&'*+-.^_`|~";
const HOST_PUNCT = "!$%&'()*+,-.:;=@[]_~";

for (let c = 0x30; c <= 0x39; c++) {
  TCHAR[c] = 1;
  HEX[c] = c - 0x30;
  HOST[c] = 1;
}
for (let c = 0x41; c <= 0x5a; c++) {
  TCHAR[c] = 3;
  TCHAR[c + 0x20] = 1;
  HOST[c] = 1;
  HOST[c + 0x20] = 1;
}
for (let c = 0; c < 6; c++) {
  HEX[0x41 + c] = 10 + c;
  HEX[0x61 + c] = 10 + c;
}
for (let k = 0; k < TOKEN_PUNCT.length; k++) TCHAR[TOKEN_PUNCT.charCodeAt(k)] = 1;
for (let k = 0; k < HOST_PUNCT.length; k++) HOST[HOST_PUNCT.charCodeAt(k)] = 1;

/** True when bytes [start, end) equal the lower-case ASCII string `lower`, ignoring ASCII case. */
export function bytesEqualIgnoreCase(buf: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) {
    let c = buf[start + k];
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(k)) return false;
  }
  return true;
}
