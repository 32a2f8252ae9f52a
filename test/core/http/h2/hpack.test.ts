// HPACK: RFC 7541 Appendix C examples through the decoder (dynamic table contents and sizes, eviction
// with a 256-byte table), size updates, decoding errors, the RFC 9113 field checks, the encoder's
// representations, and encode/decode round trips over random header lists.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HpackDecoder, HPACK_ERROR, HPACK_OK } from '../../../../core/http/h2/hpack-decoder.js';
import { HpackEncoder, fieldBound, writeInt } from '../../../../core/http/h2/hpack-encoder.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Decodes and returns all fields in order (pseudo-header fields first, as they must come). */
function dec(d: HpackDecoder, h: string): [string, string][] {
  const b = hex(h);
  const out: string[] = [];
  assert.equal(d.decode(b, 0, b.length, out), HPACK_OK, h);
  const all = [...d.pseudo.slice(0, d.pseudoLength), ...out];
  const pairs: [string, string][] = [];
  for (let i = 0; i < all.length; i += 2) pairs.push([all[i], all[i + 1]]);
  return pairs;
}

function table(d: HpackDecoder): [string, string][] {
  const t: [string, string][] = [];
  for (let i = 1; i <= d.tableLength; i++) t.push(d.tableEntry(i)!);
  return t;
}

describe('RFC 7541 Appendix C', () => {
  test('C.2 literal representations', () => {
    let d = new HpackDecoder();
    assert.deepEqual(dec(d, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'), [['custom-key', 'custom-header']]);
    assert.deepEqual(table(d), [['custom-key', 'custom-header']]);
    assert.equal(d.size, 55);
    d = new HpackDecoder();
    assert.deepEqual(dec(d, '040c 2f73 616d 706c 652f 7061 7468'), [[':path', '/sample/path']]);
    assert.equal(d.tableLength, 0);
    d = new HpackDecoder();
    assert.deepEqual(dec(d, '1008 7061 7373 776f 7264 0673 6563 7265 74'), [['password', 'secret']]);
    assert.equal(d.tableLength, 0);
    d = new HpackDecoder();
    assert.deepEqual(dec(d, '82'), [[':method', 'GET']]);
    assert.equal(d.tableLength, 0);
  });

  const REQ = [
    [':method', 'GET'],
    [':scheme', 'http'],
    [':path', '/'],
    [':authority', 'www.example.com'],
  ];
  for (const [name, blocks] of [
    ['C.3 requests without Huffman', ['8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', '8286 84be 5808 6e6f 2d63 6163 6865', '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65']],
    ['C.4 requests with Huffman', ['8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', '8286 84be 5886 a8eb 1064 9cbf', '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf']],
  ] as const) {
    test(name, () => {
      const d = new HpackDecoder();
      assert.deepEqual(dec(d, blocks[0]), REQ);
      assert.deepEqual(table(d), [[':authority', 'www.example.com']]);
      assert.equal(d.size, 57);
      assert.deepEqual(dec(d, blocks[1]), [...REQ, ['cache-control', 'no-cache']]);
      assert.deepEqual(table(d), [['cache-control', 'no-cache'], [':authority', 'www.example.com']]);
      assert.equal(d.size, 110);
      assert.deepEqual(dec(d, blocks[2]), [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']]);
      assert.deepEqual(table(d), [['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']]);
      assert.equal(d.size, 164);
    });
  }

  const R1 = [[':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', 'https://www.example.com']];
  const R2 = [[':status', '307'], ...R1.slice(1)];
  const R3 = [
    [':status', '200'],
    ['cache-control', 'private'],
    ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
    ['location', 'https://www.example.com'],
    ['content-encoding', 'gzip'],
    ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
  ];
  for (const [name, blocks] of [
    [
      'C.5 responses without Huffman (256-byte table, evictions)',
      [
        '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
        '4803 3330 37c1 c0bf',
        '88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31',
      ],
    ],
    [
      'C.6 responses with Huffman (256-byte table, evictions)',
      [
        '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
        '4883 640e ffc1 c0bf',
        '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
      ],
    ],
  ] as const) {
    test(name, () => {
      const d = new HpackDecoder({ tableSizeLimit: 256 });
      assert.deepEqual(dec(d, blocks[0]), R1);
      assert.deepEqual(table(d), [R1[3], R1[2], R1[1], R1[0]]);
      assert.equal(d.size, 222);
      assert.deepEqual(dec(d, blocks[1]), R2);
      assert.deepEqual(table(d), [[':status', '307'], R1[3], R1[2], R1[1]]);
      assert.equal(d.size, 222);
      assert.deepEqual(dec(d, blocks[2]), R3);
      assert.deepEqual(table(d), [R3[5], R3[4], R3[2]]);
      assert.equal(d.size, 215);
    });
  }
});

describe('decoder', () => {
  test('table size updates: at the start of a block only, within the advertised limit', () => {
    const d = new HpackDecoder({ tableSizeLimit: 4096 });
    dec(d, '400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572');
    assert.equal(d.tableLength, 1);
    // Size update to 0 evicts everything, then back to 4096; then an indexed field.
    assert.deepEqual(dec(d, '20 3fe1 1f 82'), [[':method', 'GET']]);
    assert.equal(d.tableLength, 0);
    assert.equal(d.maxSize, 4096);
    const out: string[] = [];
    // After a field: an error.
    assert.equal(d.decode(hex('82 20'), 0, 2, out), HPACK_ERROR);
    // Above the limit: an error.
    const big = hex('3fe2 1f');
    assert.equal(d.decode(big, 0, big.length, []), HPACK_ERROR);
  });

  test('decoding errors', () => {
    const bad = [
      '80', // index 0
      'be', // dynamic index 62 with an empty table
      'ff ff ff ff ff ff 7f', // integer too large
      '41 0f 77', // string longer than the block
      '41', // literal with nothing after it
      '41 81 ff', // Huffman string that is all padding (8 one-bits)
      '40 85 ff ff ff ff ff 00', // Huffman name containing EOS
    ];
    for (const h of bad) {
      const b = hex(h);
      assert.equal(new HpackDecoder().decode(b, 0, b.length, []), HPACK_ERROR, h);
    }
  });

  test('field checks of RFC 9113 §8.2 make the block malformed, not undecodable', () => {
    const enc = (fields: [string, string][], raw = false): Buffer => {
      const out = Buffer.alloc(4096);
      let p = 0;
      for (const [n, v] of fields) {
        out[p++] = 0; // literal without indexing, literal name
        p = writeInt(out, p, 7, 0, n.length);
        p += out.write(n, p, 'latin1');
        p = writeInt(out, p, 7, 0, v.length);
        p += out.write(v, p, 'latin1');
      }
      void raw;
      return out.subarray(0, p);
    };
    const check = (fields: [string, string][], malformed: boolean) => {
      const d = new HpackDecoder();
      const b = enc(fields);
      assert.equal(d.decode(b, 0, b.length, []), HPACK_OK);
      assert.equal(d.malformed, malformed, JSON.stringify(fields));
    };
    check([[':status', '200'], ['x-ok', 'fine']], false);
    check([['X-Upper', 'v']], true);
    check([['bad name', 'v']], true);
    check([['x', 'a\r\nb']], true);
    check([['x', 'nul\0']], true);
    check([['x', ' leading']], true);
    check([['x', 'trailing\t']], true);
    check([['connection', 'close']], true);
    check([['keep-alive', '5']], true);
    check([['transfer-encoding', 'chunked']], true);
    check([['upgrade', 'h2c']], true);
    check([['te', 'gzip']], true);
    check([['te', 'trailers']], false);
    check([['x-a', 'b'], [':status', '200']], true); // pseudo after regular
    check([['content-length', '5'], ['content-length', '6']], true);
    check([['content-length', '5'], ['content-length', '5']], false);
    // A hop-by-hop field inserted into the dynamic table stays malformed when referenced by index.
    const d = new HpackDecoder();
    const b = hex('40 02 7878 02 6869'); // literal with indexing: xx: hi
    assert.equal(d.decode(b, 0, b.length, []), HPACK_OK);
    assert.equal(d.malformed, false);
    const conn = hex('40 0a 636f6e6e656374696f6e 05 636c6f7365'); // connection: close, indexed
    assert.equal(d.decode(conn, 0, conn.length, []), HPACK_OK);
    assert.equal(d.malformed, true);
    assert.equal(d.decode(hex('be'), 0, 1, []), HPACK_OK); // the indexed entry again
    assert.equal(d.malformed, true);
  });

  test('header list over the limit: decoded to keep the table in sync, flagged, fields dropped', () => {
    const d = new HpackDecoder({ maxHeaderListSize: 100 });
    const out: string[] = [];
    const v = 'v'.repeat(60);
    const block = Buffer.concat([hex('40 01 61'), Buffer.from([60]), Buffer.from(v), hex('40 01 62'), Buffer.from([60]), Buffer.from(v)]);
    assert.equal(d.decode(block, 0, block.length, out), HPACK_OK);
    assert.equal(d.tooLarge, true);
    assert.deepEqual(out, ['a', v]);
    assert.equal(d.tableLength, 2);
  });

  test('value cache: same bytes give the same string; different bytes are decoded afresh', () => {
    const d = new HpackDecoder();
    const o1: string[] = [];
    const o2: string[] = [];
    const o3: string[] = [];
    const blk = (v: string) => Buffer.concat([hex('0f 12'), Buffer.from([v.length]), Buffer.from(v)]); // date (static 33), no indexing
    d.decode(blk('Mon, 21 Oct 2013'), 0, 19, o1);
    d.decode(blk('Mon, 21 Oct 2013'), 0, 19, o2);
    d.decode(blk('Tue, 22 Oct 2013'), 0, 19, o3);
    assert.deepEqual(o1, ['date', 'Mon, 21 Oct 2013']);
    assert.deepEqual(o2, o1);
    assert.deepEqual(o3, ['date', 'Tue, 22 Oct 2013']);
    // Bad values are never cached.
    const bad = blk('a\nb');
    d.decode(bad, 0, bad.length, []);
    assert.equal(d.malformed, true);
    d.decode(bad, 0, bad.length, []);
    assert.equal(d.malformed, true);
  });
});

describe('encoder', () => {
  const encodeAll = (e: HpackEncoder, fields: [string, string][]): Buffer => {
    let bound = 0;
    for (const [n, v] of fields) bound += fieldBound(n, v);
    const out = Buffer.alloc(bound);
    let p = 0;
    for (const [n, v] of fields) p = e.encodeField(out, p, n, v);
    return out.subarray(0, p);
  };

  test('static matches are indexed, the rest literal without indexing, credentials never indexed', () => {
    const e = new HpackEncoder(false);
    assert.equal(encodeAll(e, [[':method', 'GET'], [':scheme', 'http'], [':path', '/']]).toString('hex'), '828684');
    assert.equal(encodeAll(e, [[':authority', 'www.example.com']]).toString('hex'), '010f7777772e6578616d706c652e636f6d');
    assert.equal(encodeAll(e, [['x-a', 'b']]).toString('hex'), '000378' + '2d61' + '0162');
    // authorization is static index 23: never indexed with a 4-bit prefix (15 + 8).
    assert.equal(encodeAll(e, [['authorization', 'k']]).toString('hex'), '1f08016b');
    // accept-encoding: gzip, deflate is a full static match (16).
    assert.equal(encodeAll(e, [['accept-encoding', 'gzip, deflate']]).toString('hex'), '90');
  });

  test('connection-specific fields are not sent; te only as trailers', () => {
    const e = new HpackEncoder(false);
    const b = encodeAll(e, [['connection', 'close'], ['keep-alive', '1'], ['transfer-encoding', 'chunked'], ['upgrade', 'x'], ['proxy-connection', 'y'], ['te', 'gzip'], ['te', 'trailers']]);
    const d = new HpackDecoder();
    const out: string[] = [];
    assert.equal(d.decode(b, 0, b.length, out), HPACK_OK);
    assert.deepEqual(out, ['te', 'trailers']);
  });

  test('Huffman: used only where shorter', () => {
    const e = new HpackEncoder(true);
    assert.equal(encodeAll(e, [[':authority', 'www.example.com']]).toString('hex'), '018cf1e3c2e5f23a6ba0ab90f4ff');
    // Bytes with long codes stay raw.
    const raw = encodeAll(e, [['x-bin', '\u00fe\u00ff\u00fd']]);
    assert.equal(raw[raw.length - 4], 3);
  });

  for (const huffman of [false, true]) {
    test(`property: random header lists round-trip (huffman ${huffman})`, () => {
      const name = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,30}$/);
      const value = fc.oneof(
        fc.constantFrom('GET', '/', 'http', 'gzip, deflate', '200', ''),
        fc
          .uint8Array({ maxLength: 80 })
          .map((b) => Buffer.from(b.filter((c) => c !== 0 && c !== 10 && c !== 13)).toString('latin1').replace(/^[ \t]+|[ \t]+$/g, '')),
      );
      const hop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'content-length']);
      const fields = fc.array(fc.tuple(fc.oneof(name, fc.constantFrom('accept-encoding', 'cookie', 'user-agent', 'authorization')), value), { maxLength: 20 });
      fc.assert(
        fc.property(fields, (list) => {
          const f = list.filter(([n]) => !hop.has(n));
          const e = new HpackEncoder(huffman);
          const b = encodeAll(e, f);
          const d = new HpackDecoder({ maxHeaderListSize: 1 << 20 });
          const out: string[] = [];
          assert.equal(d.decode(b, 0, b.length, out), HPACK_OK);
          assert.equal(d.malformed, false);
          assert.deepEqual(out, f.flat());
          assert.equal(d.tableLength, 0);
        }),
        { numRuns: 300 },
      );
    });
  }

  test('property: decoding arbitrary bytes never throws and leaves the table within its size', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (blocks) => {
        const d = new HpackDecoder({ tableSizeLimit: 256 });
        for (const blk of blocks) {
          const b = Buffer.from(blk);
          const r = d.decode(b, 0, b.length, []);
          assert.ok(r === HPACK_OK || r === HPACK_ERROR);
          assert.ok(d.size <= d.maxSize);
        }
      }),
      { numRuns: 500 },
    );
  });
});
