// HPACK decoder (RFC 7541): static and dynamic tables, table size updates, Huffman strings, and the
// field checks of RFC 9113 §8.2 done while decoding (so each byte is looked at once). Header fields
// come out as a flat [name, value, ...] list of latin1 strings; pseudo-header fields separately.
import { huffmanDecode, HUFFMAN_BAD_BYTE } from './huffman.js';
import { STATIC_COUNT, STATIC_NAMES, STATIC_VALUES } from './hpack-static.js';

/** decode() results. */
export const HPACK_OK = 0;
/** The block cannot be decoded (COMPRESSION_ERROR): the connection must close. */
export const HPACK_ERROR = -1;

// Flags per name: what the field checks must look at.
const F_PSEUDO = 1;
const F_HOP = 2;
const F_TE = 4;
const F_CL = 8;

/** Name bytes allowed in a field name: RFC 9110 tchar without upper case. */
const NAME_OK = new Uint8Array(256);
{
  const t = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz";
  for (let i = 0; i < t.length; i++) NAME_OK[t.charCodeAt(i)] = 1;
}

function flagsOf(name: string): number {
  if (name.charCodeAt(0) === 58) return F_PSEUDO;
  switch (name) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'transfer-encoding':
    case 'upgrade':
      return F_HOP;
    case 'te':
      return F_TE;
    case 'content-length':
      return F_CL;
  }
  return 0;
}

const STATIC_FLAGS = Uint8Array.from(STATIC_NAMES, (n) => (n === '' ? 0 : flagsOf(n)));
/** Literal values with a static name are remembered per name up to this many encoded bytes. */
const CACHE_MAX = 48;

export interface HpackDecoderOptions {
  /** SETTINGS_HEADER_TABLE_SIZE we advertise (the most a size update may ask for). */
  tableSizeLimit?: number;
  /** Decoded header list size limit (name + value + 32 per field, RFC 9113 §6.5.2). */
  maxHeaderListSize?: number;
  /** Reuse the string of a literal value whose bytes equal the last one seen for the same name. */
  valueCache?: boolean;
}

type Buf = Buffer & { latin1Slice(start: number, end: number): string };

export class HpackDecoder {
  // Dynamic table: a ring, newest entry at (head - 1) & mask.
  private readonly names: string[];
  private readonly values: string[];
  private readonly flags: Uint8Array;
  private readonly mask: number;
  private head = 0;
  private count = 0;
  /** Current table size in octets. */
  size = 0;
  /** Current maximum (last size update). */
  maxSize: number;
  readonly tableSizeLimit: number;
  readonly maxHeaderListSize: number;

  // Results of the last decode().
  /** Pseudo-header fields, [name, value, ...]: the first pseudoLength entries (the array is reused). */
  readonly pseudo: string[] = [];
  pseudoLength = 0;
  /** A field broke RFC 9113 §8.2 (bad name or value, hop-by-hop field, pseudo after regular). */
  malformed = false;
  /** The header list exceeded maxHeaderListSize; the fields after the limit were dropped. */
  tooLarge = false;
  /** The content-length value, if the block had one (conflicting values set malformed). */
  contentLength: string | null = null;

  private buf: Buf = Buffer.alloc(0) as Buf;
  private p = 0;
  private end = 0;
  private listSize = 0;
  private regularSeen = false;
  private scratch: Buf = Buffer.allocUnsafe(256) as Buf;
  /** The last string() was a value with NUL/CR/LF, or with leading/trailing blanks. */
  private valueBad = false;
  private readonly useCache: boolean;
  private readonly cacheLen = new Int32Array(STATIC_COUNT + 1).fill(-1);
  private readonly cacheBytes = new Uint8Array((STATIC_COUNT + 1) * CACHE_MAX);
  private readonly cacheStr: string[] = new Array<string>(STATIC_COUNT + 1).fill('');

  constructor(o: HpackDecoderOptions = {}) {
    this.tableSizeLimit = o.tableSizeLimit ?? 4096;
    this.maxSize = this.tableSizeLimit;
    this.maxHeaderListSize = o.maxHeaderListSize ?? 65536;
    this.useCache = o.valueCache ?? true;
    let cap = 16;
    while (cap < (this.tableSizeLimit >> 5) + 1) cap <<= 1;
    this.mask = cap - 1;
    this.names = new Array<string>(cap).fill('');
    this.values = new Array<string>(cap).fill('');
    this.flags = new Uint8Array(cap);
  }

  /** Entries in the dynamic table. */
  get tableLength(): number {
    return this.count;
  }

  /** Dynamic table entry i (1 = newest), for tests. */
  tableEntry(i: number): [string, string] | null {
    if (i < 1 || i > this.count) return null;
    const k = (this.head - i) & this.mask;
    return [this.names[k], this.values[k]];
  }

  /**
   * Decodes one complete header block, appending regular fields to `out`. Returns HPACK_OK or
   * HPACK_ERROR; check malformed / tooLarge / pseudo / contentLength afterwards.
   */
  decode(buf: Buffer, start: number, end: number, out: string[]): number {
    this.buf = buf as Buf;
    this.p = start;
    this.end = end;
    this.listSize = 0;
    this.regularSeen = false;
    this.malformed = false;
    this.tooLarge = false;
    this.contentLength = null;
    this.pseudoLength = 0;
    let sizeUpdateOk = true;
    while (this.p < end) {
      const b = buf[this.p];
      if (b & 0x80) {
        // Indexed field.
        const idx = this.int(7);
        if (idx <= 0) return HPACK_ERROR;
        if (idx <= STATIC_COUNT) this.field(STATIC_NAMES[idx], STATIC_VALUES[idx], STATIC_FLAGS[idx], out);
        else {
          const d = idx - STATIC_COUNT;
          if (d > this.count) return HPACK_ERROR;
          const k = (this.head - d) & this.mask;
          this.field(this.names[k], this.values[k], this.flags[k], out);
        }
        sizeUpdateOk = false;
      } else if (b & 0x40) {
        // Literal with incremental indexing.
        if (this.literal(6, true, out) < 0) return HPACK_ERROR;
        sizeUpdateOk = false;
      } else if (b & 0x20) {
        // Dynamic table size update: only before the first field of a block.
        if (!sizeUpdateOk) return HPACK_ERROR;
        const n = this.int(5);
        if (n < 0 || n > this.tableSizeLimit) return HPACK_ERROR;
        this.maxSize = n;
        this.evict(0);
      } else {
        // Literal without indexing (0000) or never indexed (0001).
        if (this.literal(4, false, out) < 0) return HPACK_ERROR;
        sizeUpdateOk = false;
      }
    }
    return HPACK_OK;
  }

  private field(name: string, value: string, flags: number, out: string[]): void {
    const ls = (this.listSize += name.length + value.length + 32);
    if (ls > this.maxHeaderListSize) {
      this.tooLarge = true;
      return;
    }
    if (flags === 0) {
      this.regularSeen = true;
      out.push(name, value);
      return;
    }
    if (flags & F_PSEUDO) {
      if (this.regularSeen) this.malformed = true;
      const n = this.pseudoLength;
      this.pseudo[n] = name;
      this.pseudo[n + 1] = value;
      this.pseudoLength = n + 2;
      return;
    }
    this.regularSeen = true;
    if (flags & F_HOP) this.malformed = true;
    else if (flags & F_TE) {
      if (value !== 'trailers') this.malformed = true;
    } else if (flags & F_CL) {
      if (this.contentLength !== null && this.contentLength !== value) this.malformed = true;
      this.contentLength = value;
    }
    out.push(name, value);
  }

  /** A literal field; returns -1 on a decoding error. */
  private literal(prefix: number, index: boolean, out: string[]): number {
    const idx = this.int(prefix);
    if (idx < 0) return -1;
    let name: string;
    let flags: number;
    if (idx === 0) {
      const n = this.nameString();
      if (n === null) return -1;
      name = n;
      flags = flagsOf(name);
    } else if (idx <= STATIC_COUNT) {
      name = STATIC_NAMES[idx];
      flags = STATIC_FLAGS[idx];
      if (this.useCache) {
        const v = this.cachedValue(idx);
        if (v === null) return -1;
        if (index) this.insert(name, v, flags);
        this.field(name, v, flags, out);
        return 0;
      }
    } else {
      const d = idx - STATIC_COUNT;
      if (d > this.count) return -1;
      const k = (this.head - d) & this.mask;
      name = this.names[k];
      flags = this.flags[k];
    }
    const value = this.string();
    if (value === null) return -1;
    if (this.valueBad) this.malformed = true;
    if (index) this.insert(name, value, flags);
    this.field(name, value, flags, out);
    return 0;
  }

  /** A value string after a static name: reuses the last string seen for that name if the bytes match. */
  private cachedValue(idx: number): string | null {
    const buf = this.buf;
    const p0 = this.p;
    if (p0 >= this.end) return null;
    const first = buf[p0];
    // Length fits the 7-bit prefix and the cache: compare the raw bytes (H bit included).
    const len = first & 0x7f;
    if (len < CACHE_MAX && len <= this.end - p0 - 1) {
      const total = len + 1;
      if (this.cacheLen[idx] === total) {
        const base = idx * CACHE_MAX;
        const cb = this.cacheBytes;
        let i = 0;
        while (i < total && cb[base + i] === buf[p0 + i]) i++;
        if (i === total) {
          this.p = p0 + total;
          return this.cacheStr[idx];
        }
      }
      const v = this.string();
      if (v === null) return null;
      if (this.valueBad) {
        this.malformed = true;
        return v;
      }
      const base = idx * CACHE_MAX;
      for (let i = 0; i < total; i++) this.cacheBytes[base + i] = buf[p0 + i];
      this.cacheLen[idx] = total;
      this.cacheStr[idx] = v;
      return v;
    }
    const v = this.string();
    if (v !== null && this.valueBad) this.malformed = true;
    return v;
  }

  private insert(name: string, value: string, flags: number): void {
    const size = name.length + value.length + 32;
    if (size > this.maxSize) {
      // Too large: the table ends up empty (RFC 7541 §4.4).
      this.evict(this.maxSize + 1);
      return;
    }
    this.evict(size);
    const k = this.head;
    this.names[k] = name;
    this.values[k] = value;
    this.flags[k] = flags;
    this.head = (k + 1) & this.mask;
    this.count++;
    this.size += size;
  }

  /** Evicts oldest entries until `room` more octets fit under maxSize. */
  private evict(room: number): void {
    while (this.count > 0 && this.size + room > this.maxSize) {
      const k = (this.head - this.count) & this.mask;
      this.size -= this.names[k].length + this.values[k].length + 32;
      this.names[k] = '';
      this.values[k] = '';
      this.count--;
    }
  }

  /** An HPACK integer with an n-bit prefix at p; -1 if truncated or absurdly large. */
  private int(n: number): number {
    const buf = this.buf;
    let p = this.p;
    const max = (1 << n) - 1;
    let v = buf[p++] & max;
    if (v === max) {
      let m = 0;
      for (;;) {
        if (p >= this.end || m > 28) return -1;
        const b = buf[p++];
        v += (b & 0x7f) * 2 ** m;
        m += 7;
        if ((b & 0x80) === 0) break;
      }
    }
    this.p = p;
    return v;
  }

  /** A string literal as a value (sets valueBad); null on a decoding error. */
  private string(): string | null {
    const buf = this.buf;
    if (this.p >= this.end) return null;
    const huff = buf[this.p] & 0x80;
    const len = this.int(7);
    if (len < 0) return null;
    const p = this.p;
    if (len > this.end - p) return null;
    this.p = p + len;
    if (len === 0) {
      this.valueBad = false;
      return '';
    }
    let src: Buf = buf;
    let s = p;
    let e = p + len;
    let bad = false;
    if (huff !== 0) {
      const dst = this.scratchFor(len);
      const r = huffmanDecode(buf, p, e, dst);
      if (r < 0) return null;
      bad = (r & HUFFMAN_BAD_BYTE) !== 0;
      src = dst;
      s = 0;
      e = r & ~HUFFMAN_BAD_BYTE;
      if (e === 0) {
        this.valueBad = false;
        return '';
      }
    } else {
      for (let i = s; i < e; i++) {
        const c = buf[i];
        if (c === 0 || c === 10 || c === 13) {
          bad = true;
          break;
        }
      }
    }
    const c0 = src[s];
    const c1 = src[e - 1];
    this.valueBad = bad || c0 === 32 || c0 === 9 || c1 === 32 || c1 === 9;
    return src.latin1Slice(s, e);
  }

  /** A literal name; malformed if it has bytes a field name may not have. */
  private nameString(): string | null {
    const buf = this.buf;
    if (this.p >= this.end) return null;
    const huff = buf[this.p] & 0x80;
    const len = this.int(7);
    if (len < 0) return null;
    const p = this.p;
    if (len > this.end - p) return null;
    this.p = p + len;
    let src: Buf = buf;
    let s = p;
    let e = p + len;
    if (huff !== 0) {
      const dst = this.scratchFor(len);
      const r = huffmanDecode(buf, p, e, dst);
      if (r < 0) return null;
      src = dst;
      s = 0;
      e = r & ~HUFFMAN_BAD_BYTE;
    }
    if (e === s) {
      this.malformed = true;
      return '';
    }
    let i = s;
    if (src[i] === 58) i++; // pseudo-header
    if (i === e) this.malformed = true;
    for (; i < e; i++) {
      if (NAME_OK[src[i]] === 0) {
        this.malformed = true;
        break;
      }
    }
    return src.latin1Slice(s, e);
  }

  private scratchFor(len: number): Buf {
    const need = Math.ceil((len * 8) / 5) + 1;
    if (this.scratch.length < need) this.scratch = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2)) as Buf;
    return this.scratch;
  }
}
