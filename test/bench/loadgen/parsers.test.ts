import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrk } from '../../../bench/loadgen/wrk.js';
import { parseH2load } from '../../../bench/loadgen/h2load.js';

test('parseWrk prefers the done-hook JSON line', () => {
  const r = parseWrk('Running 3s test\nWRK_JSON {"requests":3000,"duration_us":3000000,"connect":0,"read":2,"write":0,"status":5,"timeout":1,"p50":250,"p90":400,"p99":900,"p999":1500,"max":2000,"mean":300.5}\n');
  assert.equal(r.requests, 3000);
  assert.equal(r.rps, 1000);
  assert.deepEqual(r.errors, { connect: 0, read: 2, write: 0, timeout: 1, status: 5, other: 0, total: 8 });
  assert.equal(r.latencyMs?.p99, 0.9);
});

test('parseWrk falls back to the text report', () => {
  const out = `Running 3s test @ http://127.0.0.1:1/
  63733 requests in 3.05s, 14.89MB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 7
Requests/sec:  20919.93
`;
  const r = parseWrk(out);
  assert.equal(r.requests, 63733);
  assert.equal(r.durationS, 3.05);
  assert.equal(r.errors.total, 17);
  assert.equal(r.errors.status, 7);
});

test('parseH2load counts failures, not requests in flight at the end', () => {
  const out = `finished in 3.02s, 11930.33 req/s, 1.87MB/s
requests: 35791 total, 35841 started, 35791 done, 35780 succeeded, 11 failed, 4 errored, 1 timeout
status codes: 35780 2xx, 0 3xx, 7 4xx, 0 5xx
time for request:      350us     37.87ms      2.64ms      2.56ms    87.27%
`;
  const r = parseH2load(out);
  assert.equal(r.requests, 35791);
  assert.equal(r.rps, 11930.33);
  assert.deepEqual(r.errors, { connect: 0, read: 3, write: 0, timeout: 1, status: 7, other: 0, total: 11 });
  assert.equal(r.latencyMs?.max, 37.87);
  assert.equal(r.latencyMs?.mean, 2.64);
});

test('a report without results is an error', () => {
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), /no result/);
  assert.throws(() => parseH2load('could not connect'), /no result/);
});
