// Host identity, health flags and their /clusters text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthFlag, Host, UNHEALTHY_MASK, healthFlagsText } from '../../../core/cluster/host.js';
import { mkSpec } from './fixtures.js';

test('key: address:port, IPv6 in brackets', () => {
  assert.equal(new Host('10.1.2.3', 80, '', 1, 0).key, '10.1.2.3:80');
  assert.equal(new Host('::1', 8080, '', 1, 0).key, '[::1]:8080');
  assert.equal(new Host('fe80::1:2', 443, '', 1, 0).key, '[fe80::1:2]:443');
});

test('Host.from copies a spec', () => {
  const h = Host.from(mkSpec(4, { weight: 3, healthFlags: HealthFlag.FAILED_OUTLIER_CHECK }));
  assert.deepEqual(
    [h.address, h.port, h.hostname, h.weight, h.statIndex, h.healthFlags, h.pool, h.active],
    ['10.0.0.4', 8004, 'h4', 3, 4, HealthFlag.FAILED_OUTLIER_CHECK, null, 0],
  );
});

test('healthy: only failed active HC, outlier ejection, EDS health and HC timeout take a host out', () => {
  const h = new Host('10.0.0.1', 80, '', 1, 0);
  assert.equal(h.healthy, true);
  for (const f of Object.values(HealthFlag)) {
    h.healthFlags = f;
    assert.equal(h.healthy, (f & UNHEALTHY_MASK) === 0, `flag ${f}`);
  }
  h.healthFlags = HealthFlag.DEGRADED_ACTIVE_HC | HealthFlag.PENDING_ACTIVE_HC;
  assert.equal(h.healthy, true);
  h.healthFlags = HealthFlag.FAILED_ACTIVE_HC | HealthFlag.PENDING_ACTIVE_HC;
  assert.equal(h.healthy, false);
});

test('healthFlagsText: "healthy" or the flags in Envoy order', () => {
  assert.equal(healthFlagsText(0), 'healthy');
  assert.equal(healthFlagsText(HealthFlag.FAILED_ACTIVE_HC), '/failed_active_hc');
  assert.equal(
    healthFlagsText(HealthFlag.FAILED_OUTLIER_CHECK | HealthFlag.FAILED_ACTIVE_HC | HealthFlag.PENDING_DYNAMIC_REMOVAL),
    '/failed_active_hc/failed_outlier_check/pending_dynamic_removal',
  );
  assert.equal(healthFlagsText(HealthFlag.ACTIVE_HC_TIMEOUT | HealthFlag.PENDING_ACTIVE_HC), '/pending_active_hc/active_hc_timeout');
});
