import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIp, isIpv4, isIpv6 } from '../../../core/config/ip.js';

test('IPv4 literals', () => {
  for (const a of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '10.1.2.3']) assert.ok(isIpv4(a), a);
  for (const a of ['256.0.0.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '', '1.2.3.4 ', 'localhost']) assert.ok(!isIpv4(a), a);
});

test('IPv6 literals', () => {
  for (const a of ['::', '::1', '2001:db8::1', 'fe80::1%eth0', '1:2:3:4:5:6:7:8', '::ffff:10.0.0.1', '1:2:3:4:5:6:1.2.3.4', '1::8']) {
    assert.ok(isIpv6(a), a);
  }
  for (const a of [':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', '::ffff:1.2.3', 'g::1', '1:2:3:4:5:6:7', 'fe80::1%', ':1', '1:']) {
    assert.ok(!isIpv6(a), a);
  }
});

test('isIp', () => {
  assert.ok(isIp('127.0.0.1'));
  assert.ok(isIp('::1'));
  assert.ok(!isIp('service1'));
  assert.ok(!isIp(''));
});
