// The seed walkthrough's four checks as node:test tests, for a front proxy started with a given command
// (node by default; Bun in seed-topology-bun.test.ts): front nuncio (config/front-envoy.yaml) -> sidecar
// nuncios over HTTP/2 cleartext (config/service-envoy.yaml) -> service apps, with our DNS server
// answering service1/service2, on loopback addresses and ports chosen for this run.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { Topology } from '../../workers/topology/topology.js';
import { ROOT } from './nuncio.js';
import { freePort, get, until } from './net.js';
import { statsMap } from './admin.js';

export interface SeedOptions {
  /** Command that runs the front proxy's entry (default: this node binary). */
  readonly frontCommand?: readonly string[];
  /** A last test, given the front's admin port and its output so far (e.g. what it ran on). */
  readonly extra?: (front: { admin: number; output: string }) => Promise<void> | void;
}

/** Registers the walkthrough (before/after hooks and the checks) in the calling test file. */
export function seedWalkthrough(o: SeedOptions = {}): void {
  let topo: Topology;
  let front: { http: number; https: number; admin: number };
  let sidecarAdmin = 0;

  before(async () => {
    front = { http: await freePort(), https: await freePort(), admin: await freePort() };
    const base = 20000 + Math.floor(Math.random() * 20000);
    sidecarAdmin = base + 1;
    topo = new Topology({
      root: ROOT,
      runDir: fs.mkdtempSync(path.join(os.tmpdir(), 'nuncio-topo-')),
      frontHttp: front.http,
      frontHttps: front.https,
      frontAdmin: front.admin,
      dnsPort: await freePort(),
      sidecarPort: base,
      sidecarAdmin: base + 1,
      appPort: base + 2,
      frontConcurrency: 2,
      service1: 1,
      service2: 1,
      dnsRefreshMs: 300,
      ...(o.frontCommand ? { frontCommand: o.frontCommand } : {}),
    });
    await topo.start();
  });

  after(async () => {
    await topo?.stop();
  });

  function expectSeedHeaders(r: { headers: Record<string, unknown> }): void {
    assert.equal(r.headers.server, 'envoy');
    assert.match(String(r.headers.date), /GMT$/);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.ok(Number(r.headers['content-length']) > 0);
    assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
  }

  test('check 1: both services answer through the front proxy with the seed headers', async () => {
    const r1 = await get(`http://127.0.0.1:${front.http}/service/1`);
    assert.equal(r1.status, 200);
    assert.match(r1.body, /^Hello from behind Envoy \(service 1\)! hostname: service1-1 resolvedhostname: 127\.0\.0\.11\n$/);
    expectSeedHeaders(r1);
    const r2 = await get(`http://127.0.0.1:${front.http}/service/2`);
    assert.equal(r2.status, 200);
    assert.match(r2.body, /^Hello from behind Envoy \(service 2\)! hostname: service2-1 resolvedhostname: 127\.0\.0\.21\n$/);
    expectSeedHeaders(r2);
  });

  const stats = (): Promise<Map<string, number>> => statsMap(front.admin);

  test('check 2: HTTPS on the TLS listener with the seed certificate (CN=front-envoy)', async () => {
    const r = await new Promise<{ status: number; body: string; cn: string }>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port: front.https, path: '/service/1', rejectUnauthorized: false, agent: false }, (res) => {
        const cn = String((res.socket as tls.TLSSocket).getPeerCertificate().subject?.CN);
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cn }));
      });
      req.on('error', reject);
    });
    assert.equal(r.status, 200);
    assert.equal(r.cn, 'front-envoy');
    assert.match(r.body, /^Hello from behind Envoy \(service 1\)!/);
  });

  test('check 3: after scaling service1 to three, three requests on one connection hit three instances', async () => {
    const before = await stats();
    assert.equal(before.get('cluster.service1.membership_total'), 1);
    assert.equal(before.get('cluster.service1.membership_change'), 1);
    await topo.scale('service1', 3);
    await until(async () => (await stats()).get('cluster.service1.membership_total') === 3, 15_000, 100);
    const grown = await stats();
    assert.equal(grown.get('cluster.service1.membership_change'), 2, 'one membership change for the scale-up');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // DNS refreshes every 300 ms in this run; wait until the front proxy sees all three.
      await until(async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) seen.add((await get(`http://127.0.0.1:${front.http}/service/1`, { agent })).body);
        return seen.size === 3;
      }, 15_000, 200);
      const bodies = [];
      for (let i = 0; i < 3; i++) bodies.push((await get(`http://127.0.0.1:${front.http}/service/1`, { agent })).body);
      const hosts = bodies.map((b) => /hostname: (service1-\d)/.exec(b)?.[1]);
      assert.equal(new Set(hosts).size, 3, `expected three different instances, got ${hosts.join(', ')}`);
    } finally {
      agent.destroy();
    }
  });

  test('check 4: the front proxy\'s stats show what the traffic implies', async () => {
    const s = await stats();
    const sent1 = s.get('cluster.service1.upstream_rq_total')!;
    assert.ok(sent1 >= 3);
    assert.equal(s.get('cluster.service1.external.upstream_rq_200'), sent1);
    assert.equal(s.get('cluster.service1.upstream_rq_200'), sent1);
    assert.equal(s.get('cluster.service1.membership_total'), 3);
    assert.equal(s.get('cluster.service1.membership_healthy'), 3);
    assert.equal(s.get('cluster.service1.membership_change'), 2);
    assert.ok(s.get('cluster.service1.upstream_cx_http2_total')! >= 1);
    assert.equal(s.get('cluster.service1.upstream_cx_http1_total'), 0);
    assert.ok(s.get('cluster.service2.upstream_rq_total')! >= 1);
    assert.equal(s.get('cluster.service2.external.upstream_rq_200'), s.get('cluster.service2.upstream_rq_total'));
    assert.equal(s.get('cluster.service2.membership_total'), 1);
    assert.equal(s.get('cluster.service2.membership_change'), 1);
    assert.ok(s.get('cluster.service2.upstream_cx_http2_total')! >= 1);
    // Every sidecar answered over HTTP/2 from the front proxy (its listener is codec AUTO).
    const side = await get(`http://127.0.0.11:${sidecarAdmin}/stats?filter=downstream_rq_http2_total`);
    assert.match(side.body, /http\.ingress_http\.downstream_rq_http2_total: [1-9]/);
  });

  if (o.extra) test('the front proxy\'s runtime', () => o.extra!({ admin: front.admin, output: topo.frontOutput }));
}
