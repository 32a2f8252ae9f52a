// CIDR sets for internal_address_config: IPv4, IPv6 and IPv4-mapped IPv6 addresses.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrSet, isValidIp, parseIp } from '../../../core/http/cidr.js';

describe('parseIp / isValidIp', () => {
  test('IPv4', () => {
    assert.deepEqual(parseIp('10.1.2.3'), { v4: 0x0a010203 });
    assert.deepEqual(parseIp('255.255.255.255'), { v4: 0xffffffff });
    assert.deepEqual(parseIp('0.0.0.0'), { v4: 0 });
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '1.2.3.x', '', ' 1.2.3.4', '1..2.3', '1.2.3.-4', '1234.1.1.1']) {
      assert.equal(isValidIp(bad), false, bad);
    }
  });

  test('IPv6, with :: compression in any position', () => {
    assert.deepEqual(parseIp('::'), { v6: 0n });
    assert.deepEqual(parseIp('::1'), { v6: 1n });
    assert.deepEqual(parseIp('1::'), { v6: 1n << 112n });
    assert.deepEqual(parseIp('2001:db8::8:800:200c:417a'), { v6: 0x20010db8000000000008_0800200c417an });
    assert.deepEqual(parseIp('2001:DB8:0:0:8:800:200C:417A'), parseIp('2001:db8::8:800:200c:417a'));
    assert.deepEqual(parseIp('fe80::1%eth0'), parseIp('fe80::1'), 'a zone id is ignored');
    assert.deepEqual(parseIp('1:2:3:4:5:6:7::'), { v6: 0x0001000200030004000500060007_0000n });
  });

  test('IPv6 syntax errors', () => {
    for (const bad of [':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::1', '1::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8::', '::ffff:1.2.3']) {
      assert.equal(isValidIp(bad), false, bad);
    }
  });

  test('an IPv4-mapped IPv6 address is IPv4 (as Envoy sees dual-stack peers)', () => {
    assert.deepEqual(parseIp('::ffff:10.1.2.3'), { v4: 0x0a010203 });
    assert.deepEqual(parseIp('::FFFF:0a01:0203'), { v4: 0x0a010203 });
    assert.deepEqual(parseIp('0:0:0:0:0:ffff:192.168.0.1'), parseIp('192.168.0.1'));
    // IPv4-compatible (::a.b.c.d) and other prefixes stay IPv6.
    assert.ok('v6' in parseIp('::10.1.2.3')!);
    assert.ok('v6' in parseIp('64:ff9b::10.1.2.3')!);
  });
});

describe('CidrSet', () => {
  test('an empty set contains nothing', () => {
    const s = new CidrSet([]);
    assert.equal(s.empty, true);
    assert.equal(s.contains('10.0.0.1'), false);
    assert.equal(s.contains('::1'), false);
  });

  test('IPv4 prefixes, including /0, /32 and unaligned network bits', () => {
    const s = new CidrSet(['10.0.0.0/8', '192.168.1.77/24', '172.16.5.4/32']);
    assert.equal(s.empty, false);
    assert.equal(s.contains('10.255.1.2'), true);
    assert.equal(s.contains('11.0.0.1'), false);
    assert.equal(s.contains('192.168.1.1'), true, 'host bits of the range are ignored');
    assert.equal(s.contains('192.168.2.1'), false);
    assert.equal(s.contains('172.16.5.4'), true);
    assert.equal(s.contains('172.16.5.5'), false);
    const all = new CidrSet(['0.0.0.0/0']);
    assert.equal(all.contains('203.0.113.9'), true);
    assert.equal(all.contains('::1'), false, 'an IPv4 range never holds IPv6');
    assert.equal(new CidrSet(['128.0.0.0/1']).contains('200.1.1.1'), true);
    assert.equal(new CidrSet(['128.0.0.0/1']).contains('127.1.1.1'), false);
  });

  test('a bare address is a single-host range', () => {
    const s = new CidrSet(['127.0.0.1', '::1']);
    assert.equal(s.contains('127.0.0.1'), true);
    assert.equal(s.contains('127.0.0.2'), false);
    assert.equal(s.contains('::1'), true);
    assert.equal(s.contains('::2'), false);
  });

  test('IPv6 prefixes', () => {
    const s = new CidrSet(['fd00::/8', '2001:db8:abcd::/48', 'fe80::/10']);
    assert.equal(s.contains('fd12:3456::1'), true);
    assert.equal(s.contains('fc00::1'), false);
    assert.equal(s.contains('2001:db8:abcd:ffff::1'), true);
    assert.equal(s.contains('2001:db8:abce::1'), false);
    assert.equal(s.contains('febf::1'), true);
    assert.equal(s.contains('fec0::1'), false);
    assert.equal(s.contains('10.0.0.1'), false, 'an IPv6 range never holds IPv4');
    assert.equal(new CidrSet(['::/0']).contains('2a00::1'), true);
  });

  test('an IPv4-mapped peer address matches IPv4 ranges', () => {
    const s = new CidrSet(['10.0.0.0/8', '127.0.0.1/32']);
    assert.equal(s.contains('::ffff:10.9.8.7'), true);
    assert.equal(s.contains('::ffff:127.0.0.1'), true);
    assert.equal(s.contains('::ffff:11.0.0.1'), false);
  });

  test('an IPv4-mapped range keeps its prefix: ::ffff:10.0.0.0/104 is 10.0.0.0/8', () => {
    const s = new CidrSet(['::ffff:10.0.0.0/104']);
    assert.equal(s.contains('10.200.1.1'), true);
    assert.equal(s.contains('::ffff:10.3.3.3'), true);
    assert.equal(s.contains('11.0.0.1'), false);
    assert.equal(new CidrSet(['::ffff:10.1.2.3']).contains('10.1.2.3'), true);
    assert.equal(new CidrSet(['::ffff:10.1.2.3']).contains('10.1.2.4'), false);
  });

  test('malformed ranges are skipped, the rest still apply', () => {
    const s = new CidrSet(['not-an-ip/8', '300.1.1.1/8', '10.0.0.0/8']);
    assert.equal(s.contains('10.1.1.1'), true);
    assert.equal(new CidrSet(['bogus']).empty, true);
  });

  test('malformed addresses are never contained', () => {
    const s = new CidrSet(['0.0.0.0/0', '::/0']);
    for (const bad of ['', 'localhost', '1.2.3.256', ':::']) assert.equal(s.contains(bad), false, bad);
  });
});
