import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DomainIndex, portStart } from '../../../core/router/vhosts.js';

function index(domains: Record<string, string[]>, ignorePort = false): DomainIndex<string> {
  const entries: { domain: string; value: string }[] = [];
  for (const [name, ds] of Object.entries(domains)) for (const d of ds) entries.push({ domain: d, value: name });
  return new DomainIndex(entries, ignorePort);
}

const idx = index({
  exact: ['foo.bar.com'],
  suffixShort: ['*.bar.com'],
  suffixLong: ['*-baz.bar.com'],
  suffixLonger: ['*.api.bar.com'],
  prefixShort: ['foo.*'],
  prefixLong: ['foo.bar.*'],
  star: ['*'],
});

test('exact beats suffix beats prefix beats *', () => {
  assert.equal(idx.find('foo.bar.com'), 'exact');
  assert.equal(idx.find('x.bar.com'), 'suffixShort');
  assert.equal(idx.find('foo.bar.org'), 'prefixLong');
  assert.equal(idx.find('foo.net'), 'prefixShort');
  assert.equal(idx.find('other.org'), 'star');
});

test('suffix wildcards: longest first, and * covers at least one character', () => {
  assert.equal(idx.find('a-baz.bar.com'), 'suffixLong');
  assert.equal(idx.find('v1.api.bar.com'), 'suffixLonger');
  assert.equal(idx.find('-baz.bar.com'), 'suffixShort'); // *-baz.bar.com needs one more char
  assert.equal(idx.find('.bar.com'), 'star'); // *.bar.com does not match .bar.com
  assert.equal(idx.find('.api.bar.com'), 'suffixShort');
});

test('prefix wildcards: longest first, * covers at least one character', () => {
  assert.equal(idx.find('foo.bar.x'), 'prefixLong');
  assert.equal(idx.find('foo.bar.'), 'prefixShort');
  assert.equal(idx.find('foo.'), 'star');
});

test('host matching is case-insensitive', () => {
  assert.equal(idx.find('FOO.Bar.COM'), 'exact');
  assert.equal(idx.find('X.BAR.COM'), 'suffixShort');
  assert.equal(idx.find('FOO.ORG'), 'prefixShort');
  assert.equal(index({ a: ['Example.COM'] }).find('example.com'), 'a');
});

test('the port stays part of the host: no retry without it', () => {
  assert.equal(idx.find('foo.bar.com:8080'), 'prefixLong');
  assert.equal(idx.find('a.bar.com:8080'), 'star');
  const withPort = index({ p: ['foo.com:8080'], n: ['foo.com'] });
  assert.equal(withPort.find('foo.com:8080'), 'p');
  assert.equal(withPort.find('foo.com:9090'), null);
});

test('ignore_port_in_host_matching strips the port (IPv6 aware)', () => {
  const i = index({ a: ['foo.com'], b: ['*.bar.com'], v6: ['[::1]'] }, true);
  assert.equal(i.find('foo.com:8080'), 'a');
  assert.equal(i.find('x.bar.com:443'), 'b');
  assert.equal(i.find('[::1]:80'), 'v6');
  assert.equal(i.find('[::1]'), 'v6');
  assert.equal(portStart('[::1]'), -1);
  assert.equal(portStart('[::1]:8'), 5);
  assert.equal(portStart('h:'), 1);
});

test('no match and no * gives null; an index with only * answers for any host', () => {
  const i = index({ a: ['a.com'] });
  assert.equal(i.find('b.com'), null);
  assert.equal(i.find(''), null);
  const onlyStar = index({ s: ['*'] });
  assert.equal(onlyStar.find('anything:1'), 's');
  assert.equal(onlyStar.find(''), 's');
});

test('duplicate domains are recorded, the first keeps the domain', () => {
  const i = index({ a: ['x.com', '*'], b: ['X.com', '*'] });
  assert.equal(i.find('x.com'), 'a');
  assert.equal(i.find('y.com'), 'a');
  assert.deepEqual(i.duplicates, ['x.com', '*']);
});

test('many wildcard domains of one length stay distinct', () => {
  const domains: Record<string, string[]> = {};
  for (let n = 0; n < 500; n++) domains[`t${n}`] = [`*.t${String(n).padStart(3, '0')}.example.com`, `h${String(n).padStart(3, '0')}.*`];
  const i = index(domains);
  for (let n = 0; n < 500; n += 37) {
    const id = String(n).padStart(3, '0');
    assert.equal(i.find(`x.t${id}.example.com`), `t${n}`);
    assert.equal(i.find(`h${id}.local`), `t${n}`);
  }
  assert.equal(i.find('x.t999.example.com'), null);
});

// Envoy's algorithm written plainly (substrings and maps), to compare the hashed index against.
function reference(domains: string[], host: string, ignorePort: boolean): number | null {
  if (domains.every((d) => d === '*')) return domains.indexOf('*') < 0 ? null : domains.indexOf('*');
  if (host === '') return null;
  if (ignorePort) {
    const p = portStart(host);
    if (p >= 0) host = host.slice(0, p);
  }
  host = host.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const firstOf = (pred: (d: string) => boolean): number | null => {
    const i = domains.findIndex(pred);
    return i < 0 ? null : i;
  };
  const exact = firstOf((d) => d !== '*' && !d.startsWith('*') && !d.endsWith('*') && d === host);
  if (exact !== null) return exact;
  for (let len = host.length - 1; len > 0; len--) {
    const hit = firstOf((d) => d !== '*' && d.startsWith('*') && d.length - 1 === len && host.endsWith(d.slice(1)));
    if (hit !== null) return hit;
  }
  for (let len = host.length - 1; len > 0; len--) {
    const hit = firstOf((d) => d !== '*' && !d.startsWith('*') && d.endsWith('*') && d.length - 1 === len && host.startsWith(d.slice(0, -1)));
    if (hit !== null) return hit;
  }
  return firstOf((d) => d === '*');
}

test('the hashed index agrees with a plain implementation of Envoy’s algorithm', () => {
  const part = fc.constantFrom('a', 'b', 'A', '.', '-', 'x.', '.com', ':80', 'foo');
  const label = fc.array(part, { minLength: 0, maxLength: 4 }).map((p) => p.join(''));
  const domain = fc.oneof(
    label.filter((s) => s !== '' && !s.startsWith('*') && !s.endsWith('*')),
    label.map((s) => '*' + s),
    label.filter((s) => s !== '').map((s) => s + '*'),
    fc.constant('*'),
  );
  fc.assert(
    fc.property(fc.uniqueArray(domain, { maxLength: 8, selector: (d) => d.toLowerCase() }), fc.array(label, { maxLength: 8 }), fc.boolean(), (domains, hosts, ignorePort) => {
      const i = new DomainIndex(domains.map((d, n) => ({ domain: d, value: n })), ignorePort);
      for (const h of hosts) assert.equal(i.find(h), reference(domains.map((d) => d.toLowerCase()), h, ignorePort), `host ${JSON.stringify(h)} in ${JSON.stringify(domains)}`);
    }),
    { numRuns: 300, seed: 1234 },
  );
});
