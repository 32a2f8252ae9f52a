// The retry circuit breaker on the request path (Exchange + ClusterRuntime): max_retries and the retry
// budget count retries over all workers (upstream_rq_retry_active, one row per worker), a request over
// the limit is not retried (upstream_rq_retry_overflow) and its response goes to the client, and a
// request's slot is held from the retry decision until its retried attempt answers (or it ends).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../core/config/load.js';
import type { CircuitBreakerThresholds } from '../../../core/config/types.js';
import { Exchange } from '../../../core/http/exchange.js';
import { HcmRuntime, type WorkerServices } from '../../../core/http/hcm.js';
import {
  ResetReason,
  type DownstreamStream,
  type FlatHeaders,
  type TimerHandle,
  type TimerTarget,
  type UpstreamCallbacks,
  type UpstreamPool,
  type UpstreamStream,
} from '../../../core/http/contracts.js';
import { retryLimit, type ClusterRuntime } from '../../../core/cluster/runtime.js';
import { CLUSTER, CODEC_LIST, HCM_HISTOGRAMS, HCM_LIST } from '../../../core/stats/defs.js';
import { HistogramWriter, newHistogramBlock } from '../../../core/stats/histograms.js';
import { clusterConfig, makeRuntime, mkSpec, type RuntimeFixture } from '../cluster/fixtures.js';

const CONFIG = `
static_resources:
  listeners:
  - name: l
    address: { socket_address: { address: 127.0.0.1, port_value: 10000 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: l
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/twice" }
                route: { cluster: c1, retry_policy: { retry_on: 5xx, num_retries: 2 } }
              - match: { prefix: "/" }
                route: { cluster: c1, retry_policy: { retry_on: "5xx,reset", num_retries: 1 } }
          http_filters: [{ name: envoy.filters.http.router }]
  clusters:
  - name: c1
    type: STATIC
    load_assignment: { cluster_name: c1, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }
`;

/** Exchange's timer kind for the retry back-off (its route timeout is another kind, left alone here). */
const T_RETRY_BACKOFF = 2;

/** Timers that fire only when the test says so. */
class ManualTimers {
  readonly due: { target: TimerTarget; kind: number; live: boolean }[] = [];
  schedule(_ms: number, target: TimerTarget, kind: number): TimerHandle {
    const t = { target, kind, live: true };
    this.due.push(t);
    return { cancel: () => void (t.live = false) };
  }
  /** Fires the live timers of `target` of one kind (default: the retry back-off), returns how many fired. */
  fire(target: TimerTarget, kind = T_RETRY_BACKOFF): number {
    let n = 0;
    for (const t of this.due.splice(0)) {
      if (t.live && t.target === target && t.kind === kind) {
        t.live = false;
        n++;
        t.target.onTimer(t.kind);
      } else if (t.live) this.due.push(t);
    }
    return n;
  }
}

/** The client side of one request: what the Exchange sent back. */
class Client implements DownstreamStream {
  status = 0;
  ended = false;
  wasReset = false;
  respondHead(status: number, _h: FlatHeaders, _len: number, end: boolean): void {
    this.status = status;
    if (end) this.ended = true;
  }
  respondData(_c: Uint8Array, end: boolean): boolean {
    if (end) this.ended = true;
    return true;
  }
  respondEnd(): void {
    this.ended = true;
  }
  reset(): void {
    this.wasReset = true;
  }
  pauseRequest(): void {}
  resumeRequest(): void {}
  closeAfterResponse(): void {}
}

class NullStream implements UpstreamStream {
  write(): boolean {
    return true;
  }
  pauseResponse(): void {}
  resumeResponse(): void {}
  reset(): void {}
}

/** A pool that hands every request a stream at once and remembers who asked. */
class FakePool implements UpstreamPool {
  readonly attempts: UpstreamCallbacks[] = [];
  busy = 0;
  newStream(cb: UpstreamCallbacks): void {
    this.attempts.push(cb);
    cb.onUpstreamStream(new NullStream(), 0);
  }
  cancelPending(): boolean {
    return false;
  }
  drain(): void {}
  destroy(): void {}
}

interface Rig {
  readonly fx: RuntimeFixture;
  readonly rt: ClusterRuntime;
  readonly pool: FakePool;
  readonly timers: ManualTimers;
  /** Starts a GET; the first attempt is at the pool when this returns. */
  send(path?: string): { ex: Exchange; client: Client };
  /** The cluster's stats summed over both rows ("this worker" and "another worker"). */
  sum(slot: number): number;
}

function rig(thresholds: Partial<CircuitBreakerThresholds>): Rig {
  const r = loadConfig([{ name: 'retry-breaker.yaml', text: CONFIG }], { readFile: () => null, getEnv: () => undefined });
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const snap = r.snapshot;
  const listener = snap.listeners[0];
  const t: CircuitBreakerThresholds = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, retryBudget: null, ...thresholds };
  const pool = new FakePool();
  const fx = makeRuntime(clusterConfig({ name: 'c1', circuitBreakers: { default: t, high: t } }), () => pool);
  fx.rt.updateHosts([mkSpec(1)]);
  const timers = new ManualTimers();
  let mono = 1000;
  const services: WorkerServices = {
    workerIndex: 0,
    timers,
    clock: { now: () => (mono += 1), wallNow: () => 0, wallOf: () => 0, httpDate: () => 'Thu, 01 Jan 2026 00:00:00 GMT' },
    random: () => 0.5,
    codecStats: new Float64Array(CODEC_LIST.length),
    hostStats: fx.hostStats,
    cluster: (n) => (n === 'c1' ? fx.rt : undefined),
    state: { draining: false, healthCheckFailed: false },
    localIp: '192.0.2.1',
    uuid: () => '00000000-0000-4000-8000-000000000000',
    outlierHit: () => {},
  };
  const hcmHist = new HistogramWriter(newHistogramBlock('http.l', HCM_HISTOGRAMS, 1), 0);
  const hcm = new HcmRuntime(listener.filterChains[0].hcm, listener, false, new Float64Array(HCM_LIST.length), hcmHist, services, []);
  return {
    fx,
    rt: fx.rt,
    pool,
    timers,
    send(path = '/') {
      const client = new Client();
      const ex = new Exchange(hcm, client);
      ex.method = 'GET';
      ex.path = path;
      ex.authority = 'example.com';
      ex.remoteAddress = '127.0.0.1';
      ex.requestComplete = true;
      ex.start();
      return { ex, client };
    },
    sum: (slot) => fx.block.sum(slot),
  };
}

const answer = (ex: Exchange, status: number): void => ex.onUpstreamHeaders(status, [], 0, true);

describe('max_retries', () => {
  test('a retry holds its slot through the back-off and the retried attempt; over the limit the 503 goes to the client', () => {
    const g = rig({ maxRetries: 1 });
    const a = g.send();
    answer(a.ex, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry), 1);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 1, 'held during the back-off');
    assert.equal(a.client.status, 0, 'nothing sent to the client yet');

    const b = g.send();
    answer(b.ex, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_overflow), 1);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry), 1, 'no second retry');
    assert.equal(b.client.status, 503, 'the upstream response is forwarded');
    assert.ok(b.client.ended);

    assert.equal(g.timers.fire(a.ex), 1, 'back-off ends: second attempt');
    assert.equal(g.pool.attempts.length, 3);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 1, 'held while the retried attempt runs');
    answer(a.ex, 200);
    assert.equal(a.client.status, 200);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 0, 'freed when the retried attempt answered');
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_success), 1);

    // The slot is free again: the next failure is retried.
    const c = g.send();
    answer(c.ex, 500);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry), 2);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_overflow), 1);
    c.ex.onDownstreamAbort();
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 0, 'a request that ends in its back-off frees its slot');
  });

  test('retries another worker holds count against the limit (the block sums every row)', () => {
    const g = rig({ maxRetries: 2 });
    g.fx.other[CLUSTER.upstream_rq_retry_active] = 2;
    const a = g.send();
    answer(a.ex, 503);
    assert.equal(a.client.status, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_overflow), 1);
    assert.equal(g.fx.stats[CLUSTER.upstream_rq_retry_active], 0, 'this worker took no slot');

    g.fx.other[CLUSTER.upstream_rq_retry_active] = 1;
    const b = g.send();
    answer(b.ex, 503);
    assert.equal(b.client.status, 0, 'retried');
    assert.equal(g.fx.stats[CLUSTER.upstream_rq_retry_active], 1, 'counted in this worker row');
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 2);
    const c = g.send();
    answer(c.ex, 503);
    assert.equal(c.client.status, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_overflow), 2);
  });

  test('a request retried twice holds one slot, not two', () => {
    const g = rig({ maxRetries: 1 });
    const a = g.send('/twice');
    answer(a.ex, 503);
    g.timers.fire(a.ex);
    // Envoy frees the previous retry's slot before deciding again, so the second retry fits in max_retries 1.
    answer(a.ex, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry), 2);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_overflow), 0);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 1);
    g.timers.fire(a.ex);
    answer(a.ex, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_limit_exceeded), 1, 'num_retries spent');
    assert.equal(a.client.status, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 0, 'nothing leaked');
  });

  test('a reset over the limit gives the client the failure reply', () => {
    const g = rig({ maxRetries: 0 });
    const a = g.send();
    a.ex.onUpstreamError(ResetReason.RemoteReset, '');
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_overflow), 1);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry), 0);
    assert.equal(a.client.status, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 0);
  });
});

describe('retry budget', () => {
  test('retryLimit: max(min_retry_concurrency, budget_percent of active + pending, truncated); max_retries without a budget', () => {
    const base: CircuitBreakerThresholds = { maxConnections: 1, maxPendingRequests: 1, maxRequests: 1, maxRetries: 7, retryBudget: null };
    assert.equal(retryLimit(base, 1000), 7);
    const b = { ...base, retryBudget: { budgetPercent: 20, minRetryConcurrency: 3 } };
    assert.equal(retryLimit(b, 0), 3);
    assert.equal(retryLimit(b, 19), 3, '3.8 -> 3');
    assert.equal(retryLimit(b, 24), 4, '4.8 -> 4');
    assert.equal(retryLimit(b, 25), 5);
    assert.equal(retryLimit({ ...base, retryBudget: { budgetPercent: 50, minRetryConcurrency: 1 } }, 5), 2, '2.5 -> 2');
    assert.equal(retryLimit({ ...base, retryBudget: { budgetPercent: 0, minRetryConcurrency: 0 } }, 100), 0);
    assert.equal(retryLimit({ ...base, retryBudget: { budgetPercent: 100, minRetryConcurrency: 0 } }, 9), 9);
  });

  test('with no load, min_retry_concurrency concurrent retries, whatever max_retries says', () => {
    const g = rig({ maxRetries: 1, retryBudget: { budgetPercent: 20, minRetryConcurrency: 3 } });
    const xs = [g.send(), g.send(), g.send(), g.send()];
    for (const x of xs) answer(x.ex, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry), 3);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 3);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_overflow), 1);
    assert.deepEqual(
      xs.map((x) => x.client.status),
      [0, 0, 0, 503],
    );
    assert.equal(g.rt.retryLimit(), 3);
  });

  test('budget_percent of the active and pending requests over all workers', () => {
    const g = rig({ maxRetries: 1, retryBudget: { budgetPercent: 20, minRetryConcurrency: 3 } });
    // 24 requests in flight or waiting for a connection, on two workers: 20% = 4.8 -> 4 retries.
    g.fx.stats[CLUSTER.upstream_rq_active] = 10;
    g.fx.other[CLUSTER.upstream_rq_active] = 9;
    g.fx.other[CLUSTER.upstream_rq_pending_active] = 5;
    assert.equal(g.rt.retryLimit(), 4);
    // Another worker already holds two of them.
    g.fx.other[CLUSTER.upstream_rq_retry_active] = 2;
    const xs = [g.send(), g.send(), g.send()];
    for (const x of xs) answer(x.ex, 502);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry), 2);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_overflow), 1);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 4);
    assert.equal(xs[2].client.status, 502);

    // One more pending request makes it 25: 20% = 5, room for one more.
    g.fx.stats[CLUSTER.upstream_rq_pending_active] = 1;
    const y = g.send();
    answer(y.ex, 503);
    assert.equal(y.client.status, 0, 'retried');
    assert.equal(g.sum(CLUSTER.upstream_rq_retry), 3);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_active), 5);

    // The load goes away: back to the min_retry_concurrency floor, which 5 active retries exceed.
    g.fx.stats[CLUSTER.upstream_rq_active] = 0;
    g.fx.other[CLUSTER.upstream_rq_active] = 0;
    g.fx.other[CLUSTER.upstream_rq_pending_active] = 0;
    g.fx.stats[CLUSTER.upstream_rq_pending_active] = 0;
    const z = g.send();
    answer(z.ex, 503);
    assert.equal(z.client.status, 503);
    assert.equal(g.sum(CLUSTER.upstream_rq_retry_overflow), 2);
  });
});
