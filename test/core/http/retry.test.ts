// RetryState: Envoy's retry policy evaluation (RetryStateImpl): retry_on, retried statuses and resets,
// x-envoy-* request headers (only from internal callers), and the jittered back-off.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RETRY_ON_NAMES, RetryState, parseRetryOn } from '../../../core/http/retry.js';
import { ResetReason } from '../../../core/http/contracts.js';
import type { RetryPolicy } from '../../../core/config/types.js';

function policy(over: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    retryOn: ['5xx'],
    numRetries: 1,
    perTryTimeoutMs: 0,
    perTryIdleTimeoutMs: 0,
    retriableStatusCodes: [],
    backOffBaseMs: 25,
    backOffMaxMs: 250,
    hostSelectionRetryMaxAttempts: 1,
    ...over,
  };
}

function state(retryOn: string[], over: Partial<RetryPolicy> = {}, headers: string[] = [], internal = false): RetryState {
  const s = RetryState.create(policy({ retryOn, ...over }), headers, internal, 0);
  assert.ok(s, `a retry state for ${retryOn}`);
  return s;
}

const ALL_RESETS = [
  ResetReason.ConnectionFailure,
  ResetReason.ConnectionTimeout,
  ResetReason.ConnectionTermination,
  ResetReason.LocalReset,
  ResetReason.RemoteReset,
  ResetReason.ProtocolError,
  ResetReason.RemoteRefusedStream,
];

describe('retry_on parsing', () => {
  test('known names set bits; unknown or unsupported names contribute nothing', () => {
    assert.equal(parseRetryOn([]), 0);
    assert.equal(parseRetryOn(['bogus', 'retriable-headers']), 0);
    const names = ['5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes', 'envoy-ratelimited'];
    const bits = names.map((n) => parseRetryOn([n]));
    for (const b of bits) assert.ok(b > 0 && (b & (b - 1)) === 0, 'one bit each');
    assert.equal(new Set(bits).size, names.length);
    assert.equal(parseRetryOn(names), bits.reduce((a, b) => a | b, 0));
  });

  test('RETRY_ON_NAMES holds every name the config accepts', () => {
    for (const n of ['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes', 'envoy-ratelimited', 'reset-before-request']) {
      assert.ok(RETRY_ON_NAMES.includes(n), n);
    }
  });

  test('no policy and no header: no retry state', () => {
    assert.equal(RetryState.create(null, [], false, 0), null);
    assert.equal(RetryState.create(policy({ retryOn: [] }), [], true, 0), null);
    assert.equal(RetryState.create(policy({ retryOn: ['bogus'] }), [], false, 0), null);
  });

  test('num_retries and per-try timeout come from the policy', () => {
    const s = RetryState.create(policy({ numRetries: 4 }), [], false, 750)!;
    assert.equal(s.remaining, 4);
    assert.equal(s.perTryTimeoutMs, 750);
  });
});

describe('which responses are retried', () => {
  test('5xx: any 5xx status', () => {
    const s = state(['5xx']);
    for (const st of [500, 501, 502, 503, 504, 599]) assert.equal(s.shouldRetryStatus(st, []), true, `${st}`);
    for (const st of [200, 404, 409, 429, 499]) assert.equal(s.shouldRetryStatus(st, []), false, `${st}`);
  });

  test('gateway-error: 502, 503, 504 only', () => {
    const s = state(['gateway-error']);
    assert.deepEqual(
      [500, 501, 502, 503, 504, 505].map((st) => s.shouldRetryStatus(st, [])),
      [false, false, true, true, true, false],
    );
  });

  test('retriable-4xx: 409 only', () => {
    const s = state(['retriable-4xx']);
    assert.deepEqual(
      [400, 404, 409, 429, 500].map((st) => s.shouldRetryStatus(st, [])),
      [false, false, true, false, false],
    );
  });

  test('retriable-status-codes: the listed codes, only with that retry_on', () => {
    const s = state(['retriable-status-codes'], { retriableStatusCodes: [429, 418] });
    assert.deepEqual(
      [418, 429, 500, 503].map((st) => s.shouldRetryStatus(st, [])),
      [true, true, false, false],
    );
    const without = state(['5xx'], { retriableStatusCodes: [429] });
    assert.equal(without.shouldRetryStatus(429, []), false);
  });

  test('reset-only policies retry no status', () => {
    const s = state(['reset', 'connect-failure', 'refused-stream']);
    for (const st of [500, 502, 503, 504]) assert.equal(s.shouldRetryStatus(st, []), false);
  });

  test('x-envoy-ratelimited: retried only under envoy-ratelimited, whatever the status', () => {
    const limited = ['x-envoy-ratelimited', 'true'];
    assert.equal(state(['5xx']).shouldRetryStatus(503, limited), false);
    assert.equal(state(['retriable-status-codes'], { retriableStatusCodes: [429] }).shouldRetryStatus(429, limited), false);
    const rl = state(['envoy-ratelimited']);
    assert.equal(rl.shouldRetryStatus(429, limited), true);
    assert.equal(rl.shouldRetryStatus(200, limited), true);
    assert.equal(rl.shouldRetryStatus(429, []), false);
  });
});

describe('which resets are retried', () => {
  test('5xx, gateway-error and reset: every reset but overflow', () => {
    for (const on of ['5xx', 'gateway-error', 'reset']) {
      const s = state([on]);
      for (const r of ALL_RESETS) assert.equal(s.shouldRetryReset(r), true, `${on} ${r}`);
      assert.equal(s.shouldRetryReset(ResetReason.Overflow), false, `${on} overflow`);
    }
  });

  test('connect-failure: connection failure and connect timeout only', () => {
    const s = state(['connect-failure']);
    assert.deepEqual(
      ALL_RESETS.map((r) => s.shouldRetryReset(r)),
      [true, true, false, false, false, false, false],
    );
  });

  test('refused-stream: a refused stream only', () => {
    const s = state(['refused-stream']);
    assert.deepEqual(
      ALL_RESETS.map((r) => s.shouldRetryReset(r)),
      [false, false, false, false, false, false, true],
    );
  });

  test('reset-before-request: failures before the request reached the upstream', () => {
    const s = state(['reset-before-request']);
    assert.equal(s.shouldRetryReset(ResetReason.ConnectionFailure), true);
    assert.equal(s.shouldRetryReset(ResetReason.ConnectionTimeout), true);
    assert.equal(s.shouldRetryReset(ResetReason.RemoteReset), false);
  });

  test('overflow is never retried (Envoy: circuit breakers are not worked around)', () => {
    const s = state(['5xx', 'gateway-error', 'reset', 'connect-failure', 'refused-stream', 'reset-before-request']);
    assert.equal(s.shouldRetryReset(ResetReason.Overflow), false);
  });

  test('per-try / upstream timeouts: retried under 5xx, gateway-error and reset', () => {
    for (const on of ['5xx', 'gateway-error', 'reset']) assert.equal(state([on]).shouldRetryTimeout(), true, on);
    for (const on of ['connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes']) assert.equal(state([on]).shouldRetryTimeout(), false, on);
  });
});

describe('x-envoy-* request headers', () => {
  const h = ['x-envoy-retry-on', 'connect-failure, retriable-4xx', 'x-envoy-max-retries', '3', 'x-envoy-retriable-status-codes', '418, 429,abc,999'];

  test('internal requests: x-envoy-retry-on adds to the policy', () => {
    const s = state(['gateway-error'], {}, h, true);
    assert.equal(s.shouldRetryStatus(409, []), true);
    assert.equal(s.shouldRetryStatus(503, []), true);
    assert.equal(s.shouldRetryReset(ResetReason.ConnectionFailure), true);
  });

  test('internal requests: a retry policy from the header alone', () => {
    const s = RetryState.create(null, ['x-envoy-retry-on', '5xx'], true, 0)!;
    assert.ok(s);
    assert.equal(s.remaining, 1, 'one retry by default');
    assert.equal(s.shouldRetryStatus(500, []), true);
  });

  test('internal requests: x-envoy-max-retries overrides num_retries', () => {
    assert.equal(state(['5xx'], { numRetries: 1 }, h, true).remaining, 3);
    assert.equal(state(['5xx'], { numRetries: 2 }, ['x-envoy-max-retries', '0'], true).remaining, 0);
    assert.equal(state(['5xx'], { numRetries: 2 }, ['x-envoy-max-retries', 'lots'], true).remaining, 2, 'not a number: ignored');
    assert.equal(state(['5xx'], { numRetries: 2 }, ['x-envoy-max-retries', '-1'], true).remaining, 2);
  });

  test('internal requests: x-envoy-retriable-status-codes adds valid codes', () => {
    const s = state(['retriable-status-codes'], { retriableStatusCodes: [500] }, h, true);
    assert.deepEqual(
      [418, 429, 500, 999, 404].map((st) => s.shouldRetryStatus(st, [])),
      [true, true, true, false, false],
    );
  });

  test('external requests: the headers are ignored', () => {
    const s = state(['gateway-error'], { numRetries: 1, retriableStatusCodes: [] }, h, false);
    assert.equal(s.remaining, 1);
    assert.equal(s.shouldRetryStatus(409, []), false);
    assert.equal(s.shouldRetryReset(ResetReason.ConnectionFailure), true, 'gateway-error itself retries resets');
    assert.equal(RetryState.create(null, ['x-envoy-retry-on', '5xx'], false, 0), null);
    assert.equal(RetryState.create(policy({ retryOn: ['retriable-status-codes'] }), h, false, 0)!.shouldRetryStatus(429, []), false);
  });

  test('x-envoy-max-retries alone (no retry_on anywhere) creates nothing', () => {
    assert.equal(RetryState.create(null, ['x-envoy-max-retries', '5'], true, 0), null);
  });
});

describe('back-off', () => {
  test('fully jittered: uniform in [0, (2^n - 1) x base), capped at max_interval', () => {
    const ceilings = [25, 75, 175, 250, 250, 250];
    const low = state(['5xx'], { backOffBaseMs: 25, backOffMaxMs: 250 });
    const high = state(['5xx'], { backOffBaseMs: 25, backOffMaxMs: 250 });
    const mid = state(['5xx'], { backOffBaseMs: 25, backOffMaxMs: 250 });
    for (let n = 1; n <= ceilings.length; n++) {
      assert.equal(low.nextBackOff(0), 0, `attempt ${n} lower bound`);
      assert.equal(high.nextBackOff(0.999999), Math.floor(0.999999 * ceilings[n - 1]), `attempt ${n} upper bound`);
      assert.equal(mid.nextBackOff(0.5), Math.floor(0.5 * ceilings[n - 1]), `attempt ${n} middle`);
    }
  });

  test('every value lies within the bounds for its attempt', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let k = 0; k < 50; k++) {
      const s = state(['5xx'], { backOffBaseMs: 10, backOffMaxMs: 1000 });
      for (let n = 1; n <= 12; n++) {
        const v = s.nextBackOff(rnd());
        assert.ok(Number.isInteger(v) && v >= 0 && v <= Math.min((2 ** n - 1) * 10, 1000), `attempt ${n}: ${v}`);
      }
    }
  });

  test('defaults: base 25 ms, max 10 x base', () => {
    const s = RetryState.create(null, ['x-envoy-retry-on', '5xx'], true, 0)!;
    const got = Array.from({ length: 8 }, () => s.nextBackOff(0.999999));
    assert.deepEqual(got, [24, 74, 174, 249, 249, 249, 249, 249]);
  });
});
