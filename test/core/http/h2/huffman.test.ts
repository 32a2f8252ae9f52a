// HPACK's Huffman code: the codes rebuilt from the stored lengths against RFC 7541's examples,
// decoding errors (EOS, bad padding), and encode/decode round trips over random byte strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CODE, CODE_LEN, EOS, huffmanDecode, huffmanEncode, huffmanLength, HUFFMAN_BAD_BYTE } from '../../../../core/http/h2/huffman.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decode(b: Uint8Array): string | null {
  const dst = Buffer.alloc(Math.ceil((b.length * 8) / 5) + 1);
  const r = huffmanDecode(b, 0, b.length, dst);
  if (r < 0) return null;
  return dst.toString('latin1', 0, r & ~HUFFMAN_BAD_BYTE);
}

function encode(s: string): Buffer {
  const out = Buffer.alloc(huffmanLength(s));
  const end = huffmanEncode(s, out, 0);
  assert.equal(end, out.length);
  return out;
}

// RFC 7541 Appendix C.4 and C.6 string literals.
const EXAMPLES: [string, string][] = [
  ['f1e3 c2e5 f23a 6ba0 ab90 f4ff', 'www.example.com'],
  ['a8eb 1064 9cbf', 'no-cache'],
  ['25a8 49e9 5ba9 7d7f', 'custom-key'],
  ['25a8 49e9 5bb8 e8b4 bf', 'custom-value'],
  ['6402', '302'],
  ['aec3 771a 4b', 'private'],
  ['d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
  ['9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3', 'https://www.example.com'],
  ['9bd9 ab', 'gzip'],
  [
    '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1',
  ],
];

test('codes rebuilt from the lengths match RFC 7541 Appendix B at its landmarks', () => {
  // A few rows of the table: '0' is 00000 (5 bits), 'a' 00011, ' ' 010100, '\0' 1111111111000, EOS 30 ones.
  assert.deepEqual([CODE[48], CODE_LEN[48]], [0x0, 5]);
  assert.deepEqual([CODE[97], CODE_LEN[97]], [0x3, 5]);
  assert.deepEqual([CODE[32], CODE_LEN[32]], [0x14, 6]);
  assert.deepEqual([CODE[0], CODE_LEN[0]], [0x1ff8, 13]);
  assert.deepEqual([CODE[255], CODE_LEN[255]], [0x3ffffee, 26]);
  assert.deepEqual([CODE[EOS], CODE_LEN[EOS]], [0x3fffffff, 30]);
  // A complete prefix code: Kraft sum exactly 1.
  let kraft = 0;
  for (let s = 0; s <= EOS; s++) kraft += 2 ** -CODE_LEN[s];
  assert.equal(kraft, 1);
});

test('RFC 7541 examples decode and encode', () => {
  for (const [h, s] of EXAMPLES) {
    assert.equal(decode(hex(h)), s, h);
    assert.equal(encode(s).toString('hex'), h.replace(/\s+/g, ''), s);
  }
});

test('invalid encodings are refused', () => {
  // EOS inside the string (30 one-bits, then padding).
  assert.equal(decode(hex('ffff ffff')), null);
  // Padding longer than 7 bits: 'a' (00011) then a whole byte of ones.
  assert.equal(decode(hex('1fff')), null);
  // Padding that is not all ones: 'a' (00011) followed by 000.
  assert.equal(decode(hex('18')), null);
  // Empty input is the empty string.
  assert.equal(decode(Buffer.alloc(0)), '');
});

test('NUL, CR and LF in decoded bytes are flagged', () => {
  for (const bad of ['a\rb', 'x\n', '\0']) {
    const e = encode(bad);
    const dst = Buffer.alloc(64);
    const r = huffmanDecode(e, 0, e.length, dst);
    assert.ok(r >= 0 && (r & HUFFMAN_BAD_BYTE) !== 0, JSON.stringify(bad));
  }
  const ok = encode('fine value\t');
  assert.equal(huffmanDecode(ok, 0, ok.length, Buffer.alloc(64)) & HUFFMAN_BAD_BYTE, 0);
});

test('property: every latin1 string round-trips', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const s = Buffer.from(bytes).toString('latin1');
      const e = encode(s);
      assert.equal(e.length, huffmanLength(s));
      assert.equal(decode(e), s);
    }),
    { numRuns: 500 },
  );
});
