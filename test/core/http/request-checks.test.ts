// headers_with_underscores_action and the Envoy-codec checks applied to heads uWebSockets.js accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UNDERSCORE_REJECT, applyUnderscorePolicy, checkUwsHead, parseContentLength, type HeadVerdict } from '../../../core/http/request-checks.js';

test('underscore policy: ALLOW keeps, DROP_HEADER removes and counts, REJECT_REQUEST rejects', () => {
  const h = () => ['a', '1', 'x_y', '2', 'b', '3', '_z', '4'];
  const allow = h();
  assert.equal(applyUnderscorePolicy(allow, 'ALLOW'), 0);
  assert.deepEqual(allow, h());
  const drop = h();
  assert.equal(applyUnderscorePolicy(drop, 'DROP_HEADER'), 2);
  assert.deepEqual(drop, ['a', '1', 'b', '3']);
  assert.equal(applyUnderscorePolicy(h(), 'REJECT_REQUEST'), UNDERSCORE_REJECT);
  assert.equal(applyUnderscorePolicy(['a', '1'], 'REJECT_REQUEST'), 0);
});

test('Content-Length as Envoy accepts it', () => {
  assert.equal(parseContentLength('0'), 0);
  assert.equal(parseContentLength('123'), 123);
  for (const v of ['', '-1', '3x', '1,1', ' 1', '+1', '99999999999999999']) assert.equal(parseContentLength(v), -1, v);
});

function verdict(h: string[], maxBytes = 60 * 1024, maxCount = 100): HeadVerdict {
  const v: HeadVerdict = { status: 0, details: '', contentLength: -1, chunked: false };
  checkUwsHead(h, 'POST', 1, maxBytes, maxCount, v);
  return v;
}

test('uWS head checks: framing, Host, characters, limits', () => {
  assert.deepEqual(verdict(['host', 'x', 'content-length', '5']), { status: 0, details: '', contentLength: 5, chunked: false });
  assert.equal(verdict(['host', 'x', 'transfer-encoding', 'Chunked']).chunked, true);
  assert.equal(verdict(['content-length', '5', 'content-length', '5']).status, 400);
  assert.equal(verdict(['content-length', '5x']).status, 400);
  assert.equal(verdict(['content-length', '5', 'transfer-encoding', 'chunked']).status, 400);
  assert.equal(verdict(['transfer-encoding', 'gzip, chunked']).status, 501);
  assert.equal(verdict(['transfer-encoding', 'chunked', 'transfer-encoding', 'chunked']).status, 501);
  assert.equal(verdict(['host', 'a', 'host', 'b']).status, 400);
  assert.equal(verdict(['x', 'a\x7fb']).status, 400);
  assert.equal(verdict(['x', 'a'.repeat(100)], 50).status, 431);
  assert.equal(verdict(['a', '1', 'b', '2', 'c', '3'], 1000, 2).status, 431);
  assert.equal(verdict(['a', '1', 'b', '2'], 1000, 2).status, 0);
});
