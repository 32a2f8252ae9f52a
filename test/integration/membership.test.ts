// Membership changes reach every worker without dropping in-flight requests: a slow request to a host
// that DNS stops returning still completes, while new requests already go to the new host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, until } from '../helpers/net.js';
import { DnsServer } from '../../workers/topology/dns-server.js';

let nuncio: Nuncio;
let dns: DnsServer;
const servers: http.Server[] = [];
let upPort = 0;
let listen = 0;

function upstream(ip: string, name: string): Promise<void> {
  const s = http.createServer((req, res) => {
    const ms = req.url?.startsWith('/slow') ? 1500 : 0;
    setTimeout(() => res.end(name), ms);
  });
  servers.push(s);
  return new Promise((r) => s.listen(upPort, ip, () => r()));
}

before(async () => {
  upPort = await freePort();
  listen = await freePort();
  const admin = await freePort();
  await upstream('127.0.0.61', 'A');
  await upstream('127.0.0.62', 'B');
  dns = new DnsServer({ address: '127.0.0.1', port: 0 });
  const dnsPort = (await dns.start()).port;
  dns.setRecords('svc.test', ['127.0.0.61']);
  const cfg = `
static_resources:
  listeners:
  - address: { socket_address: { address: 127.0.0.1, port_value: ${listen} } }
    filter_chains:
    - filters:
      - name: envoy.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: svc } }] }]
          http_filters: [{ name: envoy.router }]
  clusters:
  - name: svc
    type: STRICT_DNS
    dns_refresh_rate: 0.2s
    load_assignment:
      cluster_name: svc
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: svc.test, port_value: ${upPort} } } } }] }]
    dns_resolvers: [{ socket_address: { address: 127.0.0.1, port_value: ${dnsPort} } }]
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], admin);
});

after(async () => {
  await nuncio?.stop();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await dns?.stop();
});

test('an in-flight request survives its host leaving DNS; new requests use the new host', async () => {
  assert.equal((await get(`http://127.0.0.1:${listen}/`)).body, 'A');
  const slow = get(`http://127.0.0.1:${listen}/slow`);
  await new Promise((r) => setTimeout(r, 100));
  dns.setRecords('svc.test', ['127.0.0.62']);
  // Both workers must switch: several requests in a row, over new connections, all go to B.
  await until(async () => {
    for (let i = 0; i < 6; i++) if ((await get(`http://127.0.0.1:${listen}/`)).body !== 'B') return false;
    return true;
  }, 10_000, 100);
  const r = await slow;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'A');
});
