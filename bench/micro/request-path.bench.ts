// Micro-benchmark: one whole proxied request through nuncio's request path in JS, with no sockets:
// a fake engine (DownstreamStream) and a fake pool that answers at once. What this costs is the
// JavaScript part of a proxied request (route, headers, host pick, pool, stats, histograms, timers),
// i.e. what issue 7 must shrink on top of the kernel floor. Stages are timed separately too.
// Run: npx tsc -p tsconfig.json && node dist/bench/micro/request-path.bench.js
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { loadConfig } from '../../core/config/load.js';
import { HcmRuntime, type WorkerServices } from '../../core/http/hcm.js';
import { Exchange } from '../../core/http/exchange.js';
import { ClusterRuntime, HostStats } from '../../core/cluster/runtime.js';
import { StatsRegistry, KEYS } from '../../core/stats/registry.js';
import { HistogramWriter } from '../../core/stats/histograms.js';
import type { DownstreamStream, FlatHeaders, UpstreamCallbacks, UpstreamPool, UpstreamStream } from '../../core/http/contracts.js';
import { TimerWheel } from '../../workers/runtime/timers.js';
import { SystemClock } from '../../workers/runtime/clock.js';
import { randomUUID } from 'node:crypto';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const text = fs.readFileSync(path.join(root, 'config/front-envoy.yaml'), 'utf8').replace(/type: strict_dns/g, 'type: STATIC').replace(/address: service[12]\n/g, 'address: 127.0.0.1\n');
const r = loadConfig([{ name: 'front.yaml', text }], { readFile: () => null, getEnv: () => undefined });
if (!r.ok) throw new Error(r.errors.join('\n'));
const snap = r.snapshot;

const registry = new StatsRegistry(2);
registry.prepare(snap);
const hostStats = new HostStats(0);
const slot = registry.hostSlot('service1|127.0.0.1:8000');
if (slot.newPage) hostStats.addPage(registry.hostPages[0]);

const UPSTREAM_HEADERS = ['content-type', 'text/html; charset=utf-8', 'content-length', '80', 'server', 'Werkzeug/3.1.8', 'date', 'Thu, 26 Nov 2026 16:00:00 GMT'];
const BODY = Buffer.from('Hello from behind Envoy (service 1)! hostname: service1-1 resolvedhostname: 127.0.0.11\n');

class FakeStream implements UpstreamStream {
  write(): boolean {
    return true;
  }
  pauseResponse(): void {}
  resumeResponse(): void {}
  reset(): void {}
}
const fakeStream = new FakeStream();

/** Answers every request at once, as a pooled keep-alive connection would on a fast upstream. */
class InstantPool implements UpstreamPool {
  busy = 0;
  newStream(cb: UpstreamCallbacks): void {
    cb.onUpstreamStream(fakeStream, 0);
    cb.onUpstreamHeaders(200, UPSTREAM_HEADERS.slice(), 80, false);
    cb.onUpstreamData(BODY, true);
  }
  cancelPending(): boolean {
    return false;
  }
  drain(): void {}
  destroy(): void {}
}
const pool = new InstantPool();

const clock = new SystemClock();
const timers = new TimerWheel(() => clock.now());
const clusters = new Map<string, ClusterRuntime>();
for (const c of snap.clusters) {
  const key = KEYS.cluster(c.name);
  const block = registry.get(key)!;
  const rt = new ClusterRuntime(c, block.row(0), block, new HistogramWriter(registry.histograms.get(key)!, 0), hostStats, () => pool);
  rt.updateHosts([{ address: '127.0.0.1', port: 8000, hostname: c.name, weight: 1, statIndex: slot.index, healthFlags: 0 }]);
  clusters.set(c.name, rt);
}
const services: WorkerServices = {
  workerIndex: 0,
  timers,
  clock,
  random: Math.random,
  codecStats: registry.get('codec')!.row(0),
  hostStats,
  cluster: (n) => clusters.get(n),
  state: { draining: false, healthCheckFailed: false },
  localIp: '192.0.2.1',
  uuid: randomUUID,
  outlierHit: () => {},
};
const l = snap.listeners[0];
const fc = l.filterChains[0];
const hk = KEYS.hcm(fc.hcm.statPrefix);
const hcm = new HcmRuntime(fc.hcm, l, false, registry.get(hk)!.row(0), new HistogramWriter(registry.histograms.get(hk)!, 0), services, []);

class FakeDownstream extends Exchange implements DownstreamStream {
  respondHead(_s: number, _h: FlatHeaders): void {}
  respondData(): boolean {
    return true;
  }
  respondEnd(): void {}
  reset(): void {}
  pauseRequest(): void {}
  resumeRequest(): void {}
  closeAfterResponse(): void {}
}

function request(): void {
  const ex = new FakeDownstream(hcm);
  ex.method = 'GET';
  ex.path = '/service/1';
  ex.authority = 'localhost:8080';
  ex.headers = ['user-agent', 'curl/7.88.1', 'accept', '*/*'];
  ex.requestComplete = true;
  ex.start();
}

const bench = new Bench({ time: 1500 });
bench
  .add('whole request path (route, headers, pool, stats, timers)', request)
  .add('  new Exchange only', () => {
    new FakeDownstream(hcm);
  })
  .add('  route match', () => {
    hcm.routes.route({ authority: 'localhost:8080', path: '/service/1', headers: ['user-agent', 'curl/7.88.1'], isTls: false });
  })
  .add('  randomUUID', () => {
    randomUUID();
  })
  .add('  timer schedule + cancel', () => {
    timers.schedule(15000, { onTimer() {} }, 0).cancel();
  });
await bench.run();
console.table(bench.table());
process.exit(0);
