import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dnsNameMatch, parseSubjectAltName, SanMatchers } from '../../../workers/tls/san.js';
import { checkCaBundle, type TlsIssue } from '../../../workers/tls/material.js';

test('parseSubjectAltName reads node subjectaltname text, quoted values and IPv6 included', () => {
  assert.deepEqual(parseSubjectAltName('DNS:a.test, IP Address:127.0.0.1, URI:spiffe://td/ns/x, email:a@b.test, IP Address:0:0:0:0:0:0:0:1'), [
    { type: 'DNS', value: 'a.test' },
    { type: 'IP', value: '127.0.0.1' },
    { type: 'URI', value: 'spiffe://td/ns/x' },
    { type: 'email', value: 'a@b.test' },
    { type: 'IP', value: '::1' },
  ]);
  assert.deepEqual(parseSubjectAltName('DNS:"a, b.test", DNS:c.test'), [
    { type: 'DNS', value: 'a, b.test' },
    { type: 'DNS', value: 'c.test' },
  ]);
  assert.deepEqual(parseSubjectAltName(undefined), []);
});

test('dnsNameMatch: a "*." SAN covers exactly one label, case-insensitively', () => {
  assert.ok(dnsNameMatch('api.example.com', '*.example.com'));
  assert.ok(dnsNameMatch('API.Example.com', '*.example.COM'));
  assert.ok(!dnsNameMatch('a.b.example.com', '*.example.com'));
  assert.ok(!dnsNameMatch('example.com', '*.example.com'));
  assert.ok(dnsNameMatch('example.com', 'example.com'));
});

test('SanMatchers: any matcher against any DNS/URI/email/IP SAN; exact on DNS follows wildcards; no SAN, no match', () => {
  const m = new SanMatchers([
    { kind: 'exact', value: 'api.example.com', ignoreCase: false },
    { kind: 'prefix', value: 'spiffe://td/', ignoreCase: false },
  ]);
  assert.ok(m.matches('DNS:*.example.com'));
  assert.ok(m.matches('DNS:other.test, URI:spiffe://td/ns/web'));
  assert.ok(!m.matches('DNS:other.test'));
  assert.ok(!m.matches(undefined));
  const ip = new SanMatchers([{ kind: 'exact', value: '127.0.0.1', ignoreCase: false }]);
  assert.ok(ip.matches('IP Address:127.0.0.1'));
  assert.throws(() => new SanMatchers([{ kind: 'regex', value: '(', ignoreCase: false }]));
});

test('checkCaBundle: a bundle without a PEM certificate, or with one that does not parse, is reported', () => {
  const issues: TlsIssue[] = [];
  assert.equal(checkCaBundle('not a certificate', 'ca', issues), false);
  assert.match(issues[0].message, /no PEM certificate/);
  assert.equal(checkCaBundle('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'ca', issues), false);
  assert.match(issues[1].message, /cannot parse the CA certificate/);
});
