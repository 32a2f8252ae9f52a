// HPACK encoder for request header blocks: static-table matches are indexed, everything else is a
// literal without indexing (credentials: never indexed), so the peer's dynamic table stays unused and
// there is no encoder state. Huffman coding is optional. Connection-specific fields are dropped.
import { huffmanEncode, huffmanLength } from './huffman.js';
import { nameInfo } from './hpack-static.js';

type Out = Uint8Array & { latin1Write?: (s: string, offset: number) => number };

/** Most bytes encodeField() can write for this name and value. */
export function fieldBound(name: string, value: string): number {
  // Two 7-bit-prefix lengths of up to 5 bytes each, one representation byte.
  return name.length + value.length + 11;
}

export function writeInt(out: Uint8Array, pos: number, prefixBits: number, first: number, v: number): number {
  const max = (1 << prefixBits) - 1;
  if (v < max) {
    out[pos++] = first | v;
    return pos;
  }
  out[pos++] = first | max;
  v -= max;
  while (v >= 128) {
    out[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

function writeRaw(out: Out, pos: number, s: string): number {
  const n = s.length;
  if (n > 24 && out.latin1Write !== undefined) return pos + out.latin1Write(s, pos);
  for (let i = 0; i < n; i++) out[pos++] = s.charCodeAt(i);
  return pos;
}

export class HpackEncoder {
  constructor(
    /** Huffman-code string literals when that makes them shorter. */
    readonly huffman = false,
  ) {}

  /** A string literal (length prefix and bytes). */
  writeString(out: Uint8Array, pos: number, s: string): number {
    if (this.huffman && s.length > 2) {
      const h = huffmanLength(s);
      if (h < s.length) {
        pos = writeInt(out, pos, 7, 0x80, h);
        return huffmanEncode(s, out, pos);
      }
    }
    pos = writeInt(out, pos, 7, 0, s.length);
    return writeRaw(out as Out, pos, s);
  }

  /**
   * Encodes one field at pos (room for fieldBound(name, value) bytes is the caller's to ensure);
   * returns the new position. Fields HTTP/2 forbids (connection-specific, te other than trailers)
   * are skipped.
   */
  encodeField(out: Uint8Array, pos: number, name: string, value: string): number {
    const info = nameInfo(name);
    if (info === undefined) {
      if (name === 'te' && value !== 'trailers') return pos;
      out[pos++] = 0;
      pos = this.writeString(out, pos, name);
      return this.writeString(out, pos, value);
    }
    if (info.hopByHop) return pos;
    if (info.values !== null) {
      const full = info.values.get(value);
      if (full !== undefined) {
        out[pos++] = 0x80 | full;
        return pos;
      }
    }
    pos = writeInt(out, pos, 4, info.sensitive ? 0x10 : 0, info.index);
    return this.writeString(out, pos, value);
  }
}
