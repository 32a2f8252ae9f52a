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
  // A native call costs more than a JS loop for short strings (measured crossover ~32 chars).
  if (n > 32 && out.latin1Write !== undefined) return pos + out.latin1Write(s, pos);
  for (let i = 0; i < n; i++) out[pos++] = s.charCodeAt(i);
  return pos;
}

const F_HOP = 1;
const F_TE = 2;

/** How a name is written: its bytes up to the value (representation, index or literal name). */
interface NameEncoding {
  readonly prefix: Uint8Array;
  /** Static indexes of full (name, value) matches, or null. */
  readonly values: ReadonlyMap<string, number> | null;
  readonly flags: number;
}

/** Names seen so far, per Huffman mode; bounded so random names cannot grow it forever. */
const NAME_CACHE_MAX = 1024;
const nameCaches: [Map<string, NameEncoding>, Map<string, NameEncoding>] = [new Map(), new Map()];

function nameEncoding(name: string, huffman: boolean): NameEncoding {
  const cache = nameCaches[huffman ? 1 : 0];
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const info = nameInfo(name);
  const buf = new Uint8Array(name.length + 8);
  let n: number;
  let flags = 0;
  if (info !== undefined && info.index > 0) n = writeInt(buf, 0, 4, info.sensitive ? 0x10 : 0, info.index);
  else {
    buf[0] = 0;
    n = writeString(buf, 1, name, huffman);
  }
  if (info?.hopByHop) flags |= F_HOP;
  if (name === 'te') flags |= F_TE;
  const e: NameEncoding = { prefix: buf.slice(0, n), values: info?.values ?? null, flags };
  if (cache.size < NAME_CACHE_MAX) cache.set(name, e);
  return e;
}

function writeString(out: Uint8Array, pos: number, s: string, huffman: boolean): number {
  if (huffman && s.length > 2) {
    const h = huffmanLength(s);
    if (h < s.length) {
      pos = writeInt(out, pos, 7, 0x80, h);
      return huffmanEncode(s, out, pos);
    }
  }
  pos = writeInt(out, pos, 7, 0, s.length);
  return writeRaw(out as Out, pos, s);
}

export class HpackEncoder {
  constructor(
    /** Huffman-code string literals when that makes them shorter (measured: costs ~3x the CPU). */
    readonly huffman = false,
  ) {}

  /** A string literal (length prefix and bytes). */
  writeString(out: Uint8Array, pos: number, s: string): number {
    return writeString(out, pos, s, this.huffman);
  }

  /**
   * Encodes one field at pos (room for fieldBound(name, value) bytes is the caller's to ensure);
   * returns the new position. Fields HTTP/2 forbids (connection-specific, te other than trailers)
   * are skipped.
   */
  encodeField(out: Uint8Array, pos: number, name: string, value: string): number {
    const e = nameEncoding(name, this.huffman);
    if (e.flags !== 0 && (e.flags & F_HOP || value !== 'trailers')) return pos;
    if (e.values !== null) {
      const full = e.values.get(value);
      if (full !== undefined) {
        out[pos++] = 0x80 | full;
        return pos;
      }
    }
    const pre = e.prefix;
    for (let i = 0; i < pre.length; i++) out[pos + i] = pre[i];
    return writeString(out, pos + pre.length, value, this.huffman);
  }
}
