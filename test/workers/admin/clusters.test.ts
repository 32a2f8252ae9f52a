// /clusters circuit breaker lines with a retry budget: Envoy prints retries().max(), which for a budget
// is the limit at that moment (budget_percent of the cluster's active + pending requests over all
// workers, at least min_retry_concurrency), in the text and the JSON form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../core/config/load.js';
import { KEYS, StatsRegistry } from '../../../core/stats/registry.js';
import { CLUSTER } from '../../../core/stats/defs.js';
import { renderClustersJson, renderClustersText } from '../../../workers/admin/clusters.js';

test('/clusters: max_retries under a retry budget follows the load; plain max_retries otherwise', () => {
  const ep = '{ cluster_name: X, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } } }] }] }';
  const r = loadConfig(
    [
      {
        name: 'budget.yaml',
        text: `
static_resources:
  clusters:
  - name: budget
    circuit_breakers:
      thresholds:
      - { max_retries: 1, retry_budget: { budget_percent: { value: 25 }, min_retry_concurrency: 2 } }
      - { priority: HIGH, retry_budget: {} }
    load_assignment: ${ep.replace('X', 'budget')}
  - name: plain
    circuit_breakers: { thresholds: [{ max_retries: 5 }] }
    load_assignment: ${ep.replace('X', 'plain')}
`,
      },
    ],
    { readFile: () => null, getEnv: () => undefined },
  );
  assert.ok(r.ok, r.ok ? '' : r.errors.join('\n'));
  const registry = new StatsRegistry(3);
  registry.prepare(r.snapshot);
  const src = { registry, hosts: () => [] };
  const retries = (): string[] => renderClustersText(src, r.snapshot.clusters).split('\n').filter((l) => l.includes('max_retries'));
  assert.deepEqual(retries(), [
    'budget::default_priority::max_retries::2',
    'budget::high_priority::max_retries::3',
    'plain::default_priority::max_retries::5',
    'plain::high_priority::max_retries::3',
  ]);
  // 13 requests on two workers, active or pending: 25% = 3.25 -> 3. The high priority carries none.
  const b = registry.get(KEYS.cluster('budget'))!;
  b.row(0)[CLUSTER.upstream_rq_active] = 6;
  b.row(1)[CLUSTER.upstream_rq_active] = 4;
  b.row(1)[CLUSTER.upstream_rq_pending_active] = 3;
  assert.deepEqual(retries().slice(0, 2), ['budget::default_priority::max_retries::3', 'budget::high_priority::max_retries::3']);
  b.row(0)[CLUSTER.upstream_rq_pending_active] = 7;
  assert.equal(retries()[0], 'budget::default_priority::max_retries::5', '20 * 25% = 5');
  const json = JSON.parse(renderClustersJson(src, r.snapshot.clusters));
  assert.equal(json.cluster_statuses[0].name, 'budget');
  assert.deepEqual(
    json.cluster_statuses[0].circuit_breakers.thresholds.map((t: { max_retries: number }) => t.max_retries),
    [5, 3],
  );
});
