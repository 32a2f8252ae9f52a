// HPACK's static Huffman code (RFC 7541 Appendix B): encoder and a table-driven decoder that walks
// four bits at a time. The code is canonical, so only the code lengths are stored and the codes are
// rebuilt from them at load time (tests check them against the RFC's examples).

/**
 * Code length of symbols 0..256 (256 = EOS), one letter each: 'A' = 5 bits, 'B' = 6, ... 'Z' = 30.
 * Canonical order: codes are assigned by increasing length, then by symbol.
 */
const LENGTHS =
  'ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKABABABBBACC' +
  'BBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTUOQVWWVWTQQ' +
  'VVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ';

export const EOS = 256;
/** Code length in bits per symbol (0..256). */
export const CODE_LEN = new Uint8Array(257);
/** Code per symbol, right-aligned. */
export const CODE = new Uint32Array(257);

{
  for (let s = 0; s < 257; s++) CODE_LEN[s] = LENGTHS.charCodeAt(s) - 65 + 5;
  const order = Array.from({ length: 257 }, (_, s) => s).sort((a, b) => CODE_LEN[a] - CODE_LEN[b] || a - b);
  let code = 0;
  let prev = CODE_LEN[order[0]];
  for (let i = 0; i < order.length; i++) {
    const s = order[i];
    if (i > 0) code = (code + 1) * 2 ** (CODE_LEN[s] - prev);
    prev = CODE_LEN[s];
    CODE[s] = code;
  }
}

// ---------------------------------------------------------------------------------------- decoder

// Decoder states are the 256 internal nodes of the code tree (0 = root). For each state and each
// nibble, DECODE holds: next state (bits 0-7), emitted symbol (bits 8-15), and flags. A nibble emits
// at most one symbol because the shortest code is 5 bits long.
const EMIT = 1 << 16;
const FAIL = 1 << 17;
/** Emitted byte is NUL, CR or LF: never valid in a field (RFC 9113 §8.2.1). */
const BAD = 1 << 18;
const DECODE = new Int32Array(256 * 16);
/** States that may end a string: the root, or up to 7 one-bits of EOS's prefix (padding). */
const ACCEPT = new Uint8Array(256);

{
  // Build the tree: child[node*2 + bit] = next internal node, or ~symbol for a leaf.
  const child = new Int32Array(512).fill(0x7fffffff);
  let nodes = 1;
  for (let s = 0; s < 257; s++) {
    const len = CODE_LEN[s];
    const c = CODE[s];
    let n = 0;
    for (let b = len - 1; b >= 0; b--) {
      const bit = Math.floor(c / 2 ** b) & 1;
      const k = n * 2 + bit;
      if (b === 0) child[k] = ~s;
      else {
        if (child[k] === 0x7fffffff) child[k] = nodes++;
        n = child[k];
      }
    }
  }
  // The all-ones path from the root: depths 0..7 may end a string.
  let n = 0;
  ACCEPT[0] = 1;
  for (let d = 1; d <= 7; d++) {
    n = child[n * 2 + 1];
    ACCEPT[n] = 1;
  }
  for (let state = 0; state < 256; state++) {
    for (let nib = 0; nib < 16; nib++) {
      let cur = state;
      let entry = 0;
      for (let b = 3; b >= 0; b--) {
        const next = child[cur * 2 + ((nib >> b) & 1)];
        if (next < 0) {
          const sym = ~next;
          if (sym === EOS) {
            entry |= FAIL;
            break;
          }
          entry |= EMIT | (sym << 8);
          if (sym === 0 || sym === 10 || sym === 13) entry |= BAD;
          cur = 0;
        } else cur = next;
      }
      DECODE[(state << 4) | nib] = entry | (entry & FAIL ? 0 : cur);
    }
  }
}

/** Result flag of huffmanDecode: the decoded bytes hold NUL, CR or LF. */
export const HUFFMAN_BAD_BYTE = 0x40000000;

/**
 * Decodes src[start, end) into dst at 0. Returns the decoded length, possibly OR-ed with
 * HUFFMAN_BAD_BYTE, or -1 for an invalid encoding (EOS inside, padding too long or not all ones).
 * dst must hold (end - start) * 8 / 5 bytes.
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number, dst: Uint8Array): number {
  const T = DECODE;
  let state = 0;
  let o = 0;
  let bad = 0;
  for (let i = start; i < end; i++) {
    const b = src[i];
    let e = T[(state << 4) | (b >> 4)];
    if (e & (EMIT | FAIL)) {
      if (e & FAIL) return -1;
      dst[o++] = e >> 8;
      bad |= e;
    }
    state = e & 0xff;
    e = T[(state << 4) | (b & 15)];
    if (e & (EMIT | FAIL)) {
      if (e & FAIL) return -1;
      dst[o++] = e >> 8;
      bad |= e;
    }
    state = e & 0xff;
  }
  if (ACCEPT[state] === 0) return -1;
  return bad & BAD ? o | HUFFMAN_BAD_BYTE : o;
}

// ---------------------------------------------------------------------------------------- encoder

/** Length in bytes of `s` (latin1) once Huffman-encoded. */
export function huffmanLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += CODE_LEN[s.charCodeAt(i) & 0xff];
  return (bits + 7) >> 3;
}

/** Huffman-encodes `s` (latin1) into out at pos; returns the new position. */
export function huffmanEncode(s: string, out: Uint8Array, pos: number): number {
  let acc = 0;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    let len = CODE_LEN[sym];
    const code = CODE[sym];
    if (len > 24) {
      // Split so the accumulator (n < 8 pending bits) never exceeds 31 bits.
      const hi = len - 16;
      acc = (acc << hi) | (code >>> 16);
      n += hi;
      while (n >= 8) {
        n -= 8;
        out[pos++] = acc >>> n;
      }
      acc &= (1 << n) - 1;
      len = 16;
      acc = (acc << 16) | (code & 0xffff);
    } else acc = (acc << len) | code;
    n += len;
    while (n >= 8) {
      n -= 8;
      out[pos++] = acc >>> n;
    }
    acc &= (1 << n) - 1;
  }
  // Pad with the most significant bits of EOS (all ones).
  if (n > 0) out[pos++] = (acc << (8 - n)) | (0xff >> n);
  return pos;
}
