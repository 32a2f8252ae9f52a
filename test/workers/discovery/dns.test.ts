// Discovery against our own DNS server: every address becomes a host, changes bump membership_change,
// failures keep the last hosts and count update_failure, NXDOMAIN empties the set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Discovery, ServerResolver } from '../../../workers/discovery/dns.js';
import { DnsServer } from '../../../workers/topology/dns-server.js';
import { StatsRegistry, KEYS } from '../../../core/stats/registry.js';
import { loadConfig } from '../../../core/config/load.js';
import { CLUSTER } from '../../../core/stats/defs.js';
import type { HostSpec } from '../../../core/cluster/host.js';
import type { Snapshot } from '../../../core/config/types.js';

let dns: DnsServer;
let port = 0;

before(async () => {
  dns = new DnsServer({ address: '127.0.0.1', port: 0 });
  port = (await dns.start()).port;
});
after(() => dns.stop());

function snapshot(type: string, name = 'svc.test', extra = ''): Snapshot {
  const r = loadConfig(
    [
      {
        name: 'x.yaml',
        text: `
static_resources:
  clusters:
  - name: c
    type: ${type}
    dns_refresh_rate: 3600s
    ${extra}
    load_assignment:
      cluster_name: c
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: ${name}, port_value: 80 } } } }] }]
    typed_dns_resolver_config:
      name: envoy.network.dns_resolver.cares
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig
        resolvers: [{ socket_address: { address: 127.0.0.1, port_value: ${port} } }]
`,
      },
    ],
    { readFile: () => null, getEnv: () => undefined },
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  return r.snapshot;
}

function setup(s: Snapshot) {
  const reg = new StatsRegistry(2);
  reg.prepare(s);
  const updates: HostSpec[][] = [];
  const d = new Discovery(reg, (_c, hosts) => updates.push(hosts));
  const stat = (n: keyof typeof CLUSTER) => reg.get(KEYS.cluster('c'))!.sum(CLUSTER[n]);
  return { reg, d, updates, stat };
}

test('STRICT_DNS: every address is a host; growth and shrink are membership changes', async () => {
  dns.setRecords('svc.test', ['127.0.0.11']);
  const s = snapshot('STRICT_DNS');
  const { d, updates, stat } = setup(s);
  await d.apply(s);
  assert.deepEqual(d.hosts('c').map((h) => `${h.address}:${h.port}`), ['127.0.0.11:80']);
  assert.equal(d.hosts('c')[0].hostname, 'svc.test');
  assert.equal(stat('membership_total'), 1);
  assert.equal(stat('membership_change'), 1);
  dns.setRecords('svc.test', ['127.0.0.11', '127.0.0.12', '127.0.0.13']);
  // Force a refresh by re-resolving through a fresh apply of the same cluster under another config.
  const internals = d as unknown as { clusters: Map<string, unknown>; refresh(st: unknown): Promise<void> };
  await internals.refresh(internals.clusters.get('c'));
  assert.equal(d.hosts('c').length, 3);
  assert.equal(stat('membership_total'), 3);
  assert.equal(stat('membership_change'), 2);
  await internals.refresh(internals.clusters.get('c'));
  assert.equal(stat('update_no_rebuild'), 1);
  assert.equal(stat('update_attempt'), 3);
  assert.equal(stat('update_success'), 3);
  // The host that stays keeps its stats slot.
  const idx = d.hosts('c').find((h) => h.address === '127.0.0.11')!.statIndex;
  dns.setRecords('svc.test', ['127.0.0.11']);
  await internals.refresh(internals.clusters.get('c'));
  assert.equal(d.hosts('c')[0].statIndex, idx);
  assert.equal(stat('membership_total'), 1);
  assert.equal(updates.length, 3);
  d.stop();
});

test('resolver failure keeps the last hosts; NXDOMAIN removes them', async () => {
  dns.setRecords('keep.test', ['127.0.0.21', '127.0.0.22']);
  const s = snapshot('STRICT_DNS', 'keep.test');
  const { d, stat } = setup(s);
  await d.apply(s);
  assert.equal(d.hosts('c').length, 2);
  dns.setFailure('keep.test', 'servfail');
  const internals = d as unknown as { clusters: Map<string, unknown>; refresh(st: unknown): Promise<void> };
  await internals.refresh(internals.clusters.get('c'));
  assert.equal(stat('update_failure'), 1);
  assert.equal(d.hosts('c').length, 2, 'hosts kept on failure');
  dns.setFailure('keep.test', null);
  dns.remove('keep.test');
  await internals.refresh(internals.clusters.get('c'));
  assert.equal(d.hosts('c').length, 0, 'NXDOMAIN empties the target');
  assert.equal(stat('membership_total'), 0);
  d.stop();
});

test('LOGICAL_DNS uses only the first address; STATIC needs no DNS', async () => {
  dns.setRecords('logical.test', ['127.0.0.31', '127.0.0.32']);
  const s = snapshot('LOGICAL_DNS', 'logical.test');
  const { d } = setup(s);
  await d.apply(s);
  assert.deepEqual(d.hosts('c').map((h) => h.address), ['127.0.0.31']);
  d.stop();
  const s2 = snapshot('STATIC', '127.0.0.41');
  const q = dns.queries;
  const x = setup(s2);
  await x.d.apply(s2);
  assert.deepEqual(x.d.hosts('c').map((h) => h.address), ['127.0.0.41']);
  assert.equal(dns.queries, q);
  x.d.stop();
});

test('ServerResolver honours dns_lookup_family', async () => {
  dns.setRecords('fam.test', ['127.0.0.51']);
  const r = new ServerResolver([{ address: '127.0.0.1', port }]);
  assert.deepEqual(await r.resolve('fam.test', 'V4_ONLY'), { ok: true, addresses: ['127.0.0.51'] });
  assert.deepEqual(await r.resolve('fam.test', 'AUTO'), { ok: true, addresses: ['127.0.0.51'] });
  assert.deepEqual(await r.resolve('fam.test', 'V6_ONLY'), { ok: true, addresses: [] });
  assert.deepEqual(await r.resolve('nope.test', 'V4_ONLY'), { ok: true, addresses: [] });
});
