import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusLine, statusText } from '../../../../core/http/h1/status-text.js';

test('reason phrases follow Envoy, with "Unknown" for codes without one', () => {
  assert.equal(statusText(200), 'OK');
  assert.equal(statusText(404), 'Not Found');
  assert.equal(statusText(413), 'Payload Too Large');
  assert.equal(statusText(503), 'Service Unavailable');
  assert.equal(statusText(101), 'Switching Protocols');
  assert.equal(statusText(299), 'Unknown');
  assert.equal(statusText(999), 'Unknown');
});

test('statusLine builds each line once and returns the cached string after', () => {
  assert.equal(statusLine(200), 'HTTP/1.1 200 OK\r\n');
  assert.equal(statusLine(200, 0), 'HTTP/1.0 200 OK\r\n');
  assert.equal(statusLine(504), 'HTTP/1.1 504 Gateway Timeout\r\n');
  assert.equal(statusLine(599), 'HTTP/1.1 599 Unknown\r\n');
  assert.equal(statusLine(200), statusLine(200));
});
