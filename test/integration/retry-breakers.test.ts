// The retry circuit breaker over real sockets with two workers: max_retries is a cluster-wide limit
// (retries one worker holds block the other worker's), a request over it gets the upstream's 503 and
// counts upstream_rq_retry_overflow; a retry budget replaces max_retries and grows with the cluster's
// active requests; /stats shows upstream_rq_retry_active and /clusters the budget's current limit.
// The upstream holds every request until the test answers it, so everything here is counted, not timed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, until, type Reply } from '../helpers/net.js';
import { stat as statOf, statsMap } from '../helpers/admin.js';
import { hcmListener } from '../helpers/config.js';

let nuncio: Nuncio;
let upstream: http.Server;
const ports = { l: 0, admin: 0, up: 0 };

/** Requests the upstream holds, by `?id=`, oldest first; and how many attempts each id made. */
const held = new Map<string, http.ServerResponse[]>();
const attempts = new Map<string, number>();

function reply(id: string, status: number): void {
  const res = held.get(id)?.shift();
  assert.ok(res, `a held request for ${id}`);
  res.statusCode = status;
  res.end(status === 200 ? 'ok' : 'unavailable');
}

const arrived = (id: string, n: number): Promise<boolean> => until(() => (attempts.get(id) ?? 0) >= n);

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upstream = http.createServer((req, res) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
    attempts.set(id, (attempts.get(id) ?? 0) + 1);
    const q = held.get(id) ?? [];
    q.push(res);
    held.set(id, q);
  });
  upstream.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r()));
  const ep = `{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${ports.up} } } } }`;
  const retry = 'retry_policy: { retry_on: 5xx, num_retries: 1, retry_back_off: { base_interval: 0.001s } }';
  // codec HTTP1: the uWebSockets.js engine, one SO_REUSEPORT socket per worker, so the kernel spreads
  // the test's connections over both workers.
  const cfg = `
static_resources:
  listeners:
${hcmListener('l', ports.l)}
          codec_type: HTTP1
          stat_prefix: l
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/cb" }
                route: { cluster: cb, ${retry} }
              - match: { prefix: "/budget" }
                route: { cluster: budget, ${retry} }
              - match: { prefix: "/hold" }
                route: { cluster: budget }
          http_filters: [{ name: envoy.filters.http.router }]
  clusters:
  - name: cb
    type: STATIC
    circuit_breakers: { thresholds: [{ max_retries: 1 }] }
    load_assignment: { cluster_name: cb, endpoints: [{ lb_endpoints: [${ep}] }] }
  - name: budget
    type: STATIC
    circuit_breakers: { thresholds: [{ max_retries: 1, retry_budget: { budget_percent: { value: 50 }, min_retry_concurrency: 1 } }] }
    load_assignment: { cluster_name: budget, endpoints: [{ lb_endpoints: [${ep}] }] }
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], ports.admin);
});

after(async () => {
  for (const q of held.values()) for (const res of q) res.destroy();
  await nuncio?.stop();
  upstream?.closeAllConnections();
  upstream?.close();
});

const stat = (name: string): Promise<number> => statOf(ports.admin, name);
const url = (p: string) => `http://127.0.0.1:${ports.l}${p}`;

/** A client request that settles with its reply (or the error), so many can be awaited together. */
function send(path: string): { done: Promise<Reply | Error>; settled: () => boolean } {
  let settled = false;
  const done = get(url(path)).then(
    (r) => ((settled = true), r),
    (e: Error) => ((settled = true), e),
  );
  return { done, settled: () => settled };
}

test('max_retries holds across workers: one retry at a time, every other 503 is forwarded and counted as overflow', async () => {
  // Requests (one connection each) wait at the upstream until both workers have some in flight.
  const reqs: ReturnType<typeof send>[] = [];
  let split: [number, number] = [0, 0];
  for (let i = 0; i < 32 && (reqs.length < 6 || split[0] === 0 || split[1] === 0); i++) {
    reqs.push(send(`/cb?id=cb${i}`));
    await arrived(`cb${i}`, 1);
    const s = await statsMap(ports.admin, '^http\\.l\\.worker_\\d\\.downstream_rq_active$');
    split = [s.get('http.l.worker_0.downstream_rq_active') ?? 0, s.get('http.l.worker_1.downstream_rq_active') ?? 0];
  }
  const n = reqs.length;
  assert.ok(split[0] > 0 && split[1] > 0, `both workers hold requests (${split[0]}/${split[1]} of ${n})`);

  // The first one fails and is retried: its retry takes the cluster's only retry slot and is held.
  reply('cb0', 503);
  await arrived('cb0', 2);
  assert.equal(await stat('cluster.cb.upstream_rq_retry'), 1);
  assert.equal(await stat('cluster.cb.upstream_rq_retry_active'), 1);
  assert.equal(await stat('cluster.cb.circuit_breakers.default.rq_retry_open'), 1);

  // All the others fail now, on both workers: none may retry while that slot is taken.
  for (let i = 1; i < n; i++) reply(`cb${i}`, 503);
  const rest = reqs.slice(1);
  const extraRetries = (): number => [...attempts].filter(([id, a]) => id.startsWith('cb') && id !== 'cb0' && a > 1).length;
  await until(() => rest.every((r) => r.settled()) || extraRetries() > 0);
  assert.equal(extraRetries(), 0, 'no second retry while max_retries (1) is in use');
  for (const r of await Promise.all(rest.map((x) => x.done))) {
    assert.ok(!(r instanceof Error), String(r));
    assert.equal(r.status, 503, 'the upstream response goes to the client');
  }
  assert.equal(await stat('cluster.cb.upstream_rq_retry_overflow'), n - 1);
  assert.equal(await stat('cluster.cb.upstream_rq_retry'), 1);
  assert.equal(await stat('cluster.cb.upstream_rq_retry_active'), 1);

  reply('cb0', 200);
  const first = await reqs[0].done;
  assert.ok(!(first instanceof Error), String(first));
  assert.equal(first.status, 200);
  assert.equal(await stat('cluster.cb.upstream_rq_retry_success'), 1);
  assert.equal(await stat('cluster.cb.upstream_rq_retry_active'), 0);
  assert.equal(await stat('cluster.cb.circuit_breakers.default.rq_retry_open'), 0);
});

test('a retry budget replaces max_retries: 50% of the active requests (held ones and retried attempts count)', async () => {
  // Three requests in flight without a retry policy make the budget's base.
  const holds = [0, 1, 2].map((i) => send(`/hold?id=h${i}`));
  for (let i = 0; i < 3; i++) await arrived(`h${i}`, 1);
  assert.equal(await stat('cluster.budget.upstream_rq_active'), 3);

  // One retrying request at a time. At request i's decision the cluster has 3 held + its own attempt
  // (its response is still being read) + i held retried attempts active, and i retries in progress:
  // floor(50% of 4, 5, 6) = 2, 2, 3 > 0, 1, 2 retries: three retried (max_retries 1 does not apply);
  // the fourth sees floor(50% of 7) = 3 retries already in progress and overflows.
  const retried: ReturnType<typeof send>[] = [];
  for (let i = 0; i < 3; i++) {
    const r = send(`/budget?id=b${i}`);
    await arrived(`b${i}`, 1);
    reply(`b${i}`, 503);
    await arrived(`b${i}`, 2);
    retried.push(r);
  }
  assert.equal(await stat('cluster.budget.upstream_rq_retry'), 3);
  assert.equal(await stat('cluster.budget.upstream_rq_retry_active'), 3);
  const last = send('/budget?id=b3');
  await arrived('b3', 1);
  reply('b3', 503);
  const r3 = await last.done;
  assert.ok(!(r3 instanceof Error), String(r3));
  assert.equal(r3.status, 503);
  assert.equal(attempts.get('b3'), 1, 'not retried');
  assert.equal(await stat('cluster.budget.upstream_rq_retry_overflow'), 1);
  // 3 held + 3 retried attempts active: /clusters prints the budget's limit now, floor(50% of 6).
  const clusters = await get(`http://127.0.0.1:${ports.admin}/clusters`);
  assert.ok(clusters.body.includes('budget::default_priority::max_retries::3\n'), clusters.body);
  assert.ok(clusters.body.includes('cb::default_priority::max_retries::1\n'));

  for (let i = 0; i < 3; i++) reply(`b${i}`, 200);
  for (let i = 0; i < 3; i++) reply(`h${i}`, 200);
  for (const r of await Promise.all([...retried, ...holds].map((x) => x.done))) {
    assert.ok(!(r instanceof Error), String(r));
    assert.equal(r.status, 200);
  }
  assert.equal(await stat('cluster.budget.upstream_rq_retry_active'), 0);
  assert.equal(await stat('cluster.budget.upstream_rq_retry_overflow'), 1);
});
