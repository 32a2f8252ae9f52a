// PoolBase, the protocol-independent half of a connection pool, driven through a fake subclass whose
// connections the test completes, fails and closes by hand. Stats are read from real stat blocks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PoolBase, type PoolConnection } from '../../../core/upstream/pool-base.js';
import type { ClusterRuntime } from '../../../core/cluster/runtime.js';
import type { Host } from '../../../core/cluster/host.js';
import type { ClusterConfig, CircuitBreakerThresholds } from '../../../core/config/types.js';
import {
  ResetReason,
  type Clock,
  type FlatHeaders,
  type UpstreamCallbacks,
  type UpstreamStream,
} from '../../../core/http/contracts.js';
import { CLUSTER, CLUSTER_HISTOGRAMS, CLUSTER_H, HOST } from '../../../core/stats/defs.js';
import { HIST_SLOTS, mergeRows, summarize } from '../../../core/stats/histograms.js';
import { clusterConfig, makeRuntime, mkSpec, type RuntimeFixture } from '../cluster/fixtures.js';

class FakeClock implements Clock {
  t = 1000;
  now(): number {
    return this.t;
  }
  wallNow(): number {
    return 1_700_000_000_000 + this.t;
  }
  wallOf(mono: number): number {
    return 1_700_000_000_000 + mono;
  }
  httpDate(): string {
    return 'Thu, 01 Jan 2026 00:00:00 GMT';
  }
}

class FakeConn implements PoolConnection {
  active = 0;
  ready = false;
  draining = false;
  served = 0;
  connectStart = 0;
  connectedAt = 0;
  /** closeConnection() was called on it. */
  closing = false;
  /** Requests started on it, in order. */
  readonly started: Req[] = [];
  constructor(
    readonly id: number,
    public capacity: number,
  ) {}
}

const NOOP_STREAM: UpstreamStream = {
  write: () => true,
  pauseResponse: () => {},
  resumeResponse: () => {},
  reset: () => {},
};

/** A request as the pool sees it; records what the pool did with it. */
class Req implements UpstreamCallbacks {
  readonly upstreamMethod = 'GET';
  readonly upstreamPath = '/';
  readonly upstreamAuthority = 'example';
  readonly upstreamScheme = 'http';
  readonly upstreamHeaders: FlatHeaders = [];
  readonly requestContentLength = 0;
  readonly requestComplete = true;
  stream: UpstreamStream | null = null;
  conn: FakeConn | null = null;
  error: { reason: ResetReason; transport: string } | null = null;
  /** Called from onUpstreamError (e.g. a retry submitting again). */
  onError: ((r: Req) => void) | null = null;

  constructor(
    readonly name: string,
    private readonly log: string[],
  ) {}

  onUpstreamStream(stream: UpstreamStream): void {
    this.stream = stream;
    this.log.push(`stream ${this.name}`);
  }
  onUpstreamHeaders(): void {}
  onUpstreamData(): void {}
  onUpstreamTrailers(): void {}
  onUpstreamError(reason: ResetReason, transport: string): void {
    this.error = { reason, transport };
    this.log.push(`error ${this.name}`);
    this.onError?.(this);
  }
  onUpstreamWritable(): void {}
}

class FakePool extends PoolBase<FakeConn> {
  readonly opened: FakeConn[] = [];
  /** Whether closeConnection() reports closed() at once (a socket would do it a little later). */
  syncClose = true;

  constructor(
    cluster: ClusterRuntime,
    host: Host,
    clock: Clock,
    private readonly capacity: number,
  ) {
    super(cluster, host, clock);
  }

  protected openConnection(): FakeConn {
    const c = new FakeConn(this.opened.length, this.capacity);
    this.opened.push(c);
    return c;
  }

  protected startStream(c: FakeConn, cb: UpstreamCallbacks): void {
    const r = cb as Req;
    r.conn = c;
    c.started.push(r);
    cb.onUpstreamStream(NOOP_STREAM, this.clock.now() - c.connectStart);
  }

  protected closeConnection(c: FakeConn): void {
    c.closing = true;
    if (this.syncClose) this.closed(c, false);
  }

  // Test hooks: what a real subclass's sockets would report.
  complete(c: FakeConn): void {
    this.connected(c);
  }
  fail(c: FakeConn, timeout = false): void {
    this.connectFailed(c, timeout, 'delayed connect error: 111');
  }
  finish(r: Req): void {
    this.streamDone(r.conn!);
  }
  finishedClose(c: FakeConn): void {
    this.closed(c, false);
  }
  remoteClose(c: FakeConn): void {
    this.closed(c, true);
  }
  goaway(c: FakeConn): void {
    this.connectionDraining(c);
  }
  get open(): readonly FakeConn[] {
    return this.conns;
  }
}

interface Setup {
  readonly f: RuntimeFixture;
  readonly pool: FakePool;
  readonly clock: FakeClock;
  readonly log: string[];
  readonly host: Host;
  req(name: string): Req;
  /** Creates a request and hands it to the pool. */
  send(name: string): Req;
  /** Cluster stat of this worker. */
  st(name: keyof typeof CLUSTER): number;
  /** Host stat of this worker. */
  hst(name: keyof typeof HOST): number;
}

function setup(opts: { capacity?: number; thresholds?: Partial<CircuitBreakerThresholds>; cfg?: Partial<ClusterConfig> } = {}): Setup {
  const base = clusterConfig();
  const thresholds = { ...base.circuitBreakers.default, ...opts.thresholds };
  const cfg = clusterConfig({ ...opts.cfg, circuitBreakers: { default: thresholds, high: base.circuitBreakers.high } });
  const clock = new FakeClock();
  let pool: FakePool | null = null;
  const f = makeRuntime(cfg, (cl, h) => (pool = new FakePool(cl, h, clock, opts.capacity ?? 1)));
  f.rt.updateHosts([mkSpec(7)]);
  const host = f.rt.hostSet.hosts[0];
  f.rt.pool(host);
  const log: string[] = [];
  const s: Setup = {
    f,
    pool: pool!,
    clock,
    log,
    host,
    req: (name) => new Req(name, log),
    send: (name) => {
      const r = new Req(name, log);
      s.pool.newStream(r);
      return r;
    },
    st: (name) => f.stats[CLUSTER[name]],
    hst: (name) => f.hostStats.sum(host.statIndex, HOST[name]),
  };
  return s;
}

/** Every gauge back to 0 and totals consistent with what the fake opened. */
function assertQuiescent(s: Setup): void {
  assert.equal(s.pool.open.length, 0, 'connections left');
  assert.equal(s.pool.busy, 0, 'busy');
  assert.equal(s.st('upstream_cx_active'), 0, 'upstream_cx_active');
  assert.equal(s.st('upstream_rq_active'), 0, 'upstream_rq_active');
  assert.equal(s.st('upstream_rq_pending_active'), 0, 'upstream_rq_pending_active');
  assert.equal(s.hst('cx_active'), 0, 'host cx_active');
  assert.equal(s.hst('rq_active'), 0, 'host rq_active');
  assert.equal(s.st('upstream_cx_total'), s.pool.opened.length, 'upstream_cx_total');
  assert.equal(s.hst('cx_total'), s.pool.opened.length, 'host cx_total');
  assert.equal(s.st('upstream_cx_destroy'), s.pool.opened.length, 'every connection destroyed once');
  assert.equal(s.st('upstream_cx_destroy_local') + s.st('upstream_cx_destroy_remote'), s.st('upstream_cx_destroy'));
  assert.equal(s.hst('rq_total'), s.st('upstream_rq_total'));
}

/** Count and sum of one of the cluster's histograms. */
function histCount(s: Setup, name: (typeof CLUSTER_HISTOGRAMS)[number]): { count: number; sum: number } {
  const counts = new Float64Array(HIST_SLOTS);
  mergeRows(s.f.hist, CLUSTER_H[name], counts);
  const h = summarize(counts);
  return { count: h.count, sum: h.sum };
}

describe('PoolBase: serving requests', () => {
  test('first request queues and opens a connection; it is attached when the connection is up', () => {
    const s = setup();
    const r = s.send('a');
    assert.equal(s.pool.opened.length, 1);
    assert.equal(r.stream, null);
    assert.deepEqual(
      [s.st('upstream_cx_total'), s.st('upstream_cx_active'), s.st('upstream_cx_http1_total'), s.st('upstream_rq_pending_total'), s.st('upstream_rq_pending_active')],
      [1, 1, 1, 1, 1],
    );
    assert.equal(s.pool.busy, 1);
    s.clock.t += 12;
    s.pool.complete(s.pool.opened[0]);
    assert.notEqual(r.stream, null);
    assert.deepEqual([s.st('upstream_rq_total'), s.st('upstream_rq_active'), s.st('upstream_rq_pending_active')], [1, 1, 0]);
    assert.deepEqual([s.hst('rq_total'), s.hst('rq_active'), s.hst('cx_total'), s.hst('cx_active')], [1, 1, 1, 1]);
    assert.deepEqual(histCount(s, 'upstream_cx_connect_ms'), { count: 1, sum: 12 });
    s.pool.finish(r);
    assert.equal(s.st('upstream_rq_active'), 0);
    assert.equal(s.pool.busy, 0);
  });

  test('a request with an idle connection is attached at once, without queueing or connecting', () => {
    const s = setup();
    const a = s.send('a');
    s.pool.complete(s.pool.opened[0]);
    s.pool.finish(a);
    const b = s.send('b');
    assert.equal(b.conn, s.pool.opened[0]);
    assert.equal(s.pool.opened.length, 1);
    assert.equal(s.st('upstream_rq_pending_total'), 1);
    assert.equal(s.st('upstream_rq_total'), 2);
    assert.equal(s.pool.opened[0].served, 2);
  });

  test('pending requests are served FIFO as connections become ready', () => {
    const s = setup();
    const reqs = ['a', 'b', 'c', 'd'].map((n) => s.send(n));
    assert.equal(s.pool.opened.length, 4, 'one connection per queued HTTP/1.1 request');
    assert.equal(s.st('upstream_rq_pending_active'), 4);
    const [c0, c1, c2, c3] = s.pool.opened;
    s.pool.complete(c2);
    s.pool.complete(c0);
    assert.deepEqual(s.log, ['stream a', 'stream b']);
    assert.equal(reqs[0].conn, c2);
    s.pool.finish(reqs[0]); // c2 is free again: takes the next in line
    assert.deepEqual(s.log, ['stream a', 'stream b', 'stream c']);
    assert.equal(reqs[2].conn, c2);
    s.pool.complete(c1);
    s.pool.complete(c3);
    assert.deepEqual(s.log, ['stream a', 'stream b', 'stream c', 'stream d']);
    assert.equal(s.st('upstream_rq_pending_active'), 0);
    assert.equal(s.st('upstream_rq_active'), 4 - 1);
  });

  test('each queued HTTP/1.1 request beyond the connecting capacity opens one more connection', () => {
    const s = setup();
    s.send('a');
    s.send('b');
    assert.equal(s.pool.opened.length, 2);
    s.pool.complete(s.pool.opened[0]); // takes a; b waits for the other connect
    s.send('c');
    assert.equal(s.pool.opened.length, 3);
    // Cancelling a request the pool never saw changes nothing.
    assert.equal(s.pool.cancelPending(s.req('stranger')), false);
    assert.equal(s.st('upstream_rq_pending_active'), 2);
    assert.equal(s.st('upstream_rq_cancelled'), 0);
  });

  test('cancelPending withdraws a queued request (and only a queued one)', () => {
    const s = setup();
    const a = s.send('a');
    const b = s.send('b');
    const c = s.send('c');
    assert.equal(s.pool.cancelPending(b), true);
    assert.equal(s.pool.cancelPending(b), false);
    assert.equal(s.st('upstream_rq_pending_active'), 2);
    assert.equal(s.st('upstream_rq_cancelled'), 1);
    assert.equal(s.pool.busy, 2);
    s.pool.complete(s.pool.opened[0]);
    s.pool.complete(s.pool.opened[1]);
    s.pool.complete(s.pool.opened[2]);
    assert.deepEqual(s.log, ['stream a', 'stream c']);
    assert.equal(b.stream, null);
    assert.equal(s.pool.cancelPending(a), false, 'an attached request is not pending');
    assert.equal(s.st('upstream_rq_cancelled'), 1);
  });

  test('many queued and cancelled requests keep FIFO order across internal compaction', () => {
    const s = setup({ capacity: 1000, thresholds: { maxPendingRequests: 10_000 } });
    const reqs: Req[] = [];
    for (let i = 0; i < 300; i++) reqs.push(s.send(`r${i}`));
    for (let i = 0; i < 300; i += 3) s.pool.cancelPending(reqs[i]);
    assert.equal(s.pool.opened.length, 1);
    s.pool.complete(s.pool.opened[0]);
    const want = reqs.filter((_, i) => i % 3 !== 0).map((r) => `stream ${r.name}`);
    assert.deepEqual(s.log, want);
    assert.equal(s.st('upstream_rq_pending_active'), 0);
    assert.equal(s.st('upstream_rq_active'), 200);
    assert.equal(s.st('upstream_rq_cancelled'), 100);
  });
});

describe('PoolBase: connect failures', () => {
  test('a refused connect fails every pending request (as Envoy) and counts it', () => {
    const s = setup();
    const reqs = ['a', 'b', 'c'].map((n) => s.send(n));
    const [c0] = s.pool.opened;
    s.clock.t += 3;
    s.pool.fail(c0);
    for (const r of reqs) assert.deepEqual(r.error, { reason: ResetReason.ConnectionFailure, transport: 'delayed connect error: 111' });
    assert.equal(s.st('upstream_cx_connect_fail'), 1);
    assert.equal(s.st('upstream_cx_connect_timeout'), 0);
    assert.equal(s.st('upstream_rq_pending_failure_eject'), 3);
    assert.equal(s.st('upstream_rq_pending_active'), 0);
    assert.equal(s.hst('cx_connect_fail'), 1);
    // Envoy's reportUpstreamCxDestroy: a refused connect is a remote close.
    assert.deepEqual([s.st('upstream_cx_destroy'), s.st('upstream_cx_destroy_remote'), s.st('upstream_cx_destroy_local')], [1, 1, 0]);
    assert.deepEqual(histCount(s, 'upstream_cx_length_ms'), { count: 1, sum: 3 });
    assert.equal(s.st('upstream_cx_active'), 2, 'the other connects go on');
    // The surviving connections come up idle; nothing is re-served.
    s.pool.complete(s.pool.opened[1]);
    s.pool.complete(s.pool.opened[2]);
    assert.equal(s.st('upstream_rq_total'), 0);
    s.pool.drain();
    assertQuiescent(s);
  });

  test('a connect timeout fails pending requests with ConnectionTimeout and counts a local destroy', () => {
    const s = setup();
    const r = s.send('a');
    s.pool.fail(s.pool.opened[0], true);
    assert.equal(r.error!.reason, ResetReason.ConnectionTimeout);
    assert.deepEqual([s.st('upstream_cx_connect_fail'), s.st('upstream_cx_connect_timeout')], [1, 1]);
    assert.deepEqual([s.st('upstream_cx_destroy_remote'), s.st('upstream_cx_destroy_local')], [0, 1]);
    assertQuiescent(s);
  });

  test('a request re-submitted from the failure callback is queued afresh, not failed inline', () => {
    const s = setup();
    const a = s.send('a');
    let retry: Req | null = null;
    a.onError = () => {
      retry = s.req('a-retry');
      s.pool.newStream(retry);
    };
    s.pool.fail(s.pool.opened[0]);
    assert.notEqual(retry, null);
    assert.equal(retry!.error, null);
    assert.equal(s.st('upstream_rq_pending_active'), 1);
    assert.equal(s.pool.opened.length, 2, 'a new connection for the retry');
    s.pool.complete(s.pool.opened[1]);
    assert.notEqual(retry!.stream, null);
  });
});

describe('PoolBase: circuit breakers', () => {
  test('max_pending_requests: overflow fails the request at once', () => {
    const s = setup({ thresholds: { maxPendingRequests: 2 } });
    s.send('a');
    s.send('b');
    const c = s.send('c');
    assert.deepEqual(c.error, { reason: ResetReason.Overflow, transport: '' });
    assert.equal(s.st('upstream_rq_pending_overflow'), 1);
    assert.equal(s.st('upstream_rq_pending_total'), 2);
    assert.equal(s.st('upstream_rq_pending_active'), 2);
  });

  test('max_pending_requests counts the requests queued by other workers', () => {
    const s = setup({ thresholds: { maxPendingRequests: 2 } });
    s.f.other[CLUSTER.upstream_rq_pending_active] = 2;
    const a = s.send('a');
    assert.equal(a.error!.reason, ResetReason.Overflow);
    assert.equal(s.pool.opened.length, 0);
  });

  test('max_requests with an idle connection: Overflow at once (upstream_rq_pending_overflow, as Envoy)', () => {
    const s = setup({ thresholds: { maxRequests: 1 } });
    const a = s.send('a');
    s.pool.complete(s.pool.opened[0]);
    s.pool.finish(a);
    s.f.other[CLUSTER.upstream_rq_active] = 1; // another worker holds the only slot
    const b = s.send('b');
    assert.deepEqual(b.error, { reason: ResetReason.Overflow, transport: '' });
    assert.equal(s.st('upstream_rq_pending_overflow'), 1);
    assert.equal(s.st('upstream_rq_total'), 1);
  });

  test('max_requests without a ready connection: the request queues and meets the limit when attached', () => {
    const s = setup({ thresholds: { maxRequests: 1 } });
    const a = s.send('a');
    s.pool.complete(s.pool.opened[0]);
    const b = s.send('b');
    assert.equal(b.error, null, 'queued, as Envoy: max_requests is checked on attach');
    assert.equal(s.st('upstream_rq_pending_total'), 2);
    assert.equal(s.pool.opened.length, 2);
    s.pool.complete(s.pool.opened[1]);
    assert.equal(b.error!.reason, ResetReason.Overflow);
    assert.equal(s.st('upstream_rq_pending_overflow'), 1);
    assert.equal(s.st('upstream_rq_pending_active'), 0);
    // Once a's stream ends, there is room again.
    s.pool.finish(a);
    const c = s.send('c');
    assert.notEqual(c.stream, null);
  });

  test('max_requests: a queued request is served if a stream ended before its connection came up', () => {
    const s = setup({ thresholds: { maxRequests: 1 } });
    const a = s.send('a');
    s.pool.complete(s.pool.opened[0]);
    const b = s.send('b');
    s.pool.finish(a); // c0 is free again and takes b
    assert.equal(b.conn, s.pool.opened[0]);
    assert.equal(b.error, null);
  });

  test('max_connections: no new connection; queued requests wait for one to free up', () => {
    const s = setup({ thresholds: { maxConnections: 1 } });
    const a = s.send('a');
    const b = s.send('b');
    assert.equal(s.pool.opened.length, 1);
    assert.equal(s.st('upstream_cx_overflow'), 1);
    assert.equal(b.error, null);
    s.pool.complete(s.pool.opened[0]);
    assert.equal(a.conn, s.pool.opened[0]);
    s.pool.finish(a);
    assert.equal(b.conn, s.pool.opened[0]);
  });

  test('max_connections held by other hosts: a pool with no connection still opens one (as Envoy)', () => {
    const s = setup({ thresholds: { maxConnections: 2 } });
    s.f.other[CLUSTER.upstream_cx_active] = 2;
    const a = s.send('a');
    const b = s.send('b');
    assert.equal(s.pool.opened.length, 1, 'exactly one, despite the limit');
    assert.equal(s.st('upstream_cx_overflow'), 2);
    assert.equal(a.error, null);
    assert.equal(b.error, null);
    s.pool.complete(s.pool.opened[0]);
    s.pool.finish(a);
    s.pool.finish(b);
    assert.deepEqual(s.log, ['stream a', 'stream b']);
  });
});

describe('PoolBase: HTTP/2-style capacity', () => {
  test('one connection carries many streams', () => {
    const s = setup({ capacity: 100, cfg: { protocol: 'http2' } });
    const reqs = Array.from({ length: 5 }, (_, i) => s.send(`r${i}`));
    assert.equal(s.pool.opened.length, 1, 'connecting capacity covers all five');
    assert.equal(s.st('upstream_cx_http2_total'), 1);
    s.pool.complete(s.pool.opened[0]);
    for (const r of reqs) assert.equal(r.conn, s.pool.opened[0]);
    assert.equal(s.pool.opened[0].active, 5);
    assert.equal(s.st('upstream_rq_active'), 5);
    s.send('r5');
    assert.equal(s.pool.opened[0].active, 6);
    assert.equal(s.pool.opened.length, 1);
  });

  test('a full connection makes the next request queue and connect', () => {
    const s = setup({ capacity: 2 });
    s.send('a');
    s.send('b');
    s.send('c');
    assert.equal(s.pool.opened.length, 2);
    s.pool.complete(s.pool.opened[0]);
    assert.deepEqual(s.log, ['stream a', 'stream b']);
    s.pool.complete(s.pool.opened[1]);
    assert.deepEqual(s.log, ['stream a', 'stream b', 'stream c']);
  });

  test('max_requests_per_connection also bounds concurrent streams on one connection', () => {
    const s = setup({ capacity: 100, cfg: { maxRequestsPerConnection: 3 } });
    const reqs = Array.from({ length: 5 }, (_, i) => s.send(`r${i}`));
    const [c0] = s.pool.opened;
    s.pool.complete(c0);
    assert.equal(c0.served, 3);
    assert.equal(c0.draining, true);
    assert.equal(s.st('upstream_cx_max_requests'), 1);
    assert.deepEqual(
      reqs.map((r) => r.conn?.id ?? null),
      [0, 0, 0, null, null],
    );
    assert.equal(s.pool.opened.length, 2, 'the rest need another connection');
    s.pool.complete(s.pool.opened[1]);
    assert.deepEqual(
      reqs.map((r) => r.conn?.id ?? null),
      [0, 0, 0, 1, 1],
    );
    // The spent connection closes when its last stream ends.
    s.pool.finish(reqs[0]);
    s.pool.finish(reqs[1]);
    assert.equal(c0.closing, false);
    s.pool.finish(reqs[2]);
    assert.equal(c0.closing, true);
    assert.equal(s.st('upstream_cx_destroy_local'), 1);
  });

  test('max_requests_per_connection = 1 on HTTP/1.1: one request per connection', () => {
    const s = setup({ cfg: { maxRequestsPerConnection: 1 } });
    const a = s.send('a');
    s.pool.complete(s.pool.opened[0]);
    s.pool.finish(a);
    assert.equal(s.pool.opened[0].closing, true);
    const b = s.send('b');
    assert.equal(s.pool.opened.length, 2);
    s.pool.complete(s.pool.opened[1]);
    assert.equal(b.conn, s.pool.opened[1]);
    assert.equal(s.st('upstream_cx_max_requests'), 2);
  });

  test('GOAWAY: the connection takes no new streams, closes when idle, queued requests get another', () => {
    const s = setup({ capacity: 10 });
    const a = s.send('a');
    const [c0] = s.pool.opened;
    s.pool.complete(c0);
    s.pool.goaway(c0);
    const b = s.send('b');
    assert.equal(s.pool.opened.length, 2);
    assert.equal(b.conn, null);
    s.pool.finish(a);
    assert.equal(c0.closing, true);
    s.pool.complete(s.pool.opened[1]);
    assert.equal(b.conn, s.pool.opened[1]);
  });
});

describe('PoolBase: connections going away', () => {
  test('a remote close with streams in flight counts them, and their late streamDone is ignored', () => {
    const s = setup({ capacity: 4 });
    const a = s.send('a');
    const b = s.send('b');
    const [c0] = s.pool.opened;
    s.pool.complete(c0);
    s.clock.t += 50;
    s.pool.remoteClose(c0);
    assert.deepEqual(
      [s.st('upstream_cx_destroy'), s.st('upstream_cx_destroy_remote'), s.st('upstream_cx_destroy_with_active_rq'), s.st('upstream_cx_destroy_remote_with_active_rq')],
      [1, 1, 1, 1],
    );
    assert.equal(s.st('upstream_rq_active'), 0);
    assert.equal(s.hst('rq_active'), 0);
    assert.deepEqual(histCount(s, 'upstream_cx_length_ms'), { count: 1, sum: 50 });
    s.pool.finish(a);
    s.pool.finish(b);
    assert.equal(s.st('upstream_rq_active'), 0, 'no double decrement');
    assertQuiescent(s);
  });

  test('losing the last connection while requests queue opens another', () => {
    const s = setup({ capacity: 1 });
    const a = s.send('a');
    s.pool.complete(s.pool.opened[0]);
    s.send('b');
    s.pool.complete(s.pool.opened[1]);
    const c = s.send('c');
    assert.equal(s.pool.opened.length, 3);
    s.pool.remoteClose(s.pool.opened[2]); // closed while connecting (not a connect failure report)
    assert.equal(s.pool.opened.length, 4, 'c still needs a connection');
    assert.equal(c.error, null);
    s.pool.finish(a);
    assert.equal(c.conn, s.pool.opened[0]);
  });

  test('destroy fails queued requests with a local reset and closes everything', () => {
    const s = setup();
    const a = s.send('a');
    s.pool.complete(s.pool.opened[0]);
    const b = s.send('b');
    s.pool.destroy();
    assert.equal(b.error!.reason, ResetReason.LocalReset);
    assert.equal(a.error, null, 'an attached stream is the subclass’s to end');
    assertQuiescent(s);
    const c = s.send('c');
    assert.equal(c.error!.reason, ResetReason.ConnectionTermination);
  });
});

describe('PoolBase: drain', () => {
  test('closes idle connections at once and calls done', () => {
    const s = setup();
    const reqs = ['a', 'b'].map((n) => s.send(n));
    for (const c of s.pool.opened) s.pool.complete(c);
    for (const r of reqs) s.pool.finish(r);
    let done = 0;
    s.pool.drain(() => done++);
    assert.equal(done, 1);
    assert.ok(s.pool.opened.every((c) => c.closing));
    assertQuiescent(s);
  });

  test('busy connections close when their stream ends; done waits for the last', () => {
    const s = setup();
    const reqs = ['a', 'b', 'c'].map((n) => s.send(n));
    for (const c of s.pool.opened) s.pool.complete(c);
    s.pool.finish(reqs[1]);
    let done = 0;
    s.pool.drain(() => done++);
    assert.equal(done, 0);
    assert.equal(s.pool.open.length, 2);
    s.pool.finish(reqs[0]);
    assert.equal(done, 0);
    s.pool.finish(reqs[2]);
    assert.equal(done, 1);
    assertQuiescent(s);
  });

  test('new requests are refused while draining', () => {
    const s = setup();
    const a = s.send('a');
    s.pool.complete(s.pool.opened[0]);
    s.pool.drain();
    const b = s.send('b');
    assert.deepEqual(b.error, { reason: ResetReason.ConnectionTermination, transport: 'pool draining' });
    s.pool.finish(a);
    assertQuiescent(s);
  });

  test('requests queued before the drain are still served by the connection set up for them', () => {
    const s = setup();
    const a = s.send('a');
    let done = 0;
    s.pool.drain(() => done++);
    const [c0] = s.pool.opened;
    assert.equal(c0.closing, false, 'a waits for it');
    s.pool.complete(c0);
    assert.equal(a.conn, c0);
    assert.equal(done, 0);
    s.pool.finish(a);
    assert.equal(c0.closing, true);
    assert.equal(done, 1);
    assertQuiescent(s);
  });

  test('a busy connection serves the queue before closing', () => {
    const s = setup({ thresholds: { maxConnections: 1 } });
    const a = s.send('a');
    const b = s.send('b'); // waits: no second connection allowed
    s.pool.complete(s.pool.opened[0]);
    let done = 0;
    s.pool.drain(() => done++);
    s.pool.finish(a);
    assert.equal(b.conn, s.pool.opened[0]);
    assert.equal(done, 0);
    s.pool.finish(b);
    assert.equal(done, 1);
    assertQuiescent(s);
  });

  test('connecting connections nobody waits for are closed; a cancel can make them so', () => {
    const s = setup();
    const a = s.send('a');
    const b = s.send('b');
    let done = 0;
    s.pool.drain(() => done++);
    assert.equal(s.pool.open.length, 2);
    s.pool.cancelPending(a);
    assert.equal(s.pool.open.length, 2, 'b still waits');
    s.pool.cancelPending(b);
    assert.equal(s.pool.open.length, 0);
    assert.equal(done, 1);
    assertQuiescent(s);
  });

  test('a failed connect during the drain fails the queue and lets the drain finish', () => {
    const s = setup();
    const a = s.send('a');
    let done = 0;
    s.pool.drain(() => done++);
    s.pool.fail(s.pool.opened[0]);
    assert.equal(a.error!.reason, ResetReason.ConnectionFailure);
    assert.equal(done, 1);
    assertQuiescent(s);
  });

  test('with asynchronous closes, done waits for the closed() reports', () => {
    const s = setup();
    const reqs = ['a', 'b'].map((n) => s.send(n));
    for (const c of s.pool.opened) s.pool.complete(c);
    for (const r of reqs) s.pool.finish(r);
    s.pool.syncClose = false;
    let done = 0;
    s.pool.drain(() => done++);
    s.pool.drain(); // a second drain does not close twice
    assert.equal(done, 0);
    for (const c of s.pool.opened) s.pool.finishedClose(c);
    assert.equal(done, 1);
    assertQuiescent(s);
  });
});

describe('PoolBase: stats stay consistent', () => {
  test('a mixed workload returns every gauge to 0', () => {
    const s = setup({ capacity: 2, thresholds: { maxPendingRequests: 5 } });
    const all: Req[] = [];
    const ended = new Set<Req>();
    const finishSome = (pick: (r: Req, i: number) => boolean) => {
      all.forEach((r, i) => {
        if (r.conn === null || ended.has(r) || !pick(r, i)) return;
        ended.add(r);
        s.pool.finish(r); // ignored by the pool if its connection is gone
      });
    };
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 4; i++) all.push(s.send(`q${round}.${i}`));
      const connecting = s.pool.open.filter((c) => !c.ready);
      if (round % 5 === 3 && connecting.length > 0) s.pool.fail(connecting.shift()!);
      // Connections come up slowly: at most one per round, none every third round.
      if (round % 3 !== 2 && connecting.length > 0) s.pool.complete(connecting[0]);
      if (round % 4 === 1) {
        const victim = all.find((r) => r.stream === null && r.error === null);
        if (victim) s.pool.cancelPending(victim);
      }
      finishSome((_, i) => (i + round) % 3 === 0);
      if (round === 7 && s.pool.open.length > 0) s.pool.remoteClose(s.pool.open[0]);
    }
    let done = 0;
    s.pool.drain(() => done++);
    for (let k = 0; k < 3; k++) {
      for (const c of s.pool.open.filter((c) => !c.ready)) s.pool.complete(c);
      finishSome(() => true);
    }
    assert.equal(done, 1);
    assertQuiescent(s);
    const cancelled = s.st('upstream_rq_cancelled');
    assert.ok(cancelled > 0 && s.st('upstream_rq_pending_overflow') > 0 && s.st('upstream_rq_pending_failure_eject') > 0, 'the workload hit every path');
    assert.equal(all.filter((r) => r.stream !== null || r.error !== null).length + cancelled, all.length, 'every request was served, failed or cancelled');
    assert.equal(
      s.st('upstream_rq_total') + s.st('upstream_rq_pending_overflow') + s.st('upstream_rq_pending_failure_eject') + cancelled,
      all.length,
    );
  });
});
