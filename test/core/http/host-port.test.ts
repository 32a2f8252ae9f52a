import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeHost } from '../../../core/http/host-port.js';

test('strip_any_host_port takes off any decimal port, IPv6 literals included', () => {
  assert.equal(normalizeHost('example.com:443', true, false, 80), 'example.com');
  assert.equal(normalizeHost('[::1]:8080', true, false, 80), '[::1]');
  assert.equal(normalizeHost('[::1]', true, false, 80), '[::1]', 'the colons of an IPv6 literal are no port');
  assert.equal(normalizeHost('example.com', true, false, 80), 'example.com');
  assert.equal(normalizeHost('example.com:', true, false, 80), 'example.com:', 'an empty port is not a port');
  assert.equal(normalizeHost('example.com:http', true, false, 80), 'example.com:http');
});

test('strip_matching_host_port takes off only the listener port', () => {
  assert.equal(normalizeHost('example.com:10000', false, true, 10000), 'example.com');
  assert.equal(normalizeHost('example.com:10001', false, true, 10000), 'example.com:10001');
  assert.equal(normalizeHost('[::1]:10000', false, true, 10000), '[::1]');
});

test('neither option: Host is unchanged, port and all', () => {
  assert.equal(normalizeHost('example.com:10000', false, false, 10000), 'example.com:10000');
});
