// Micro-benchmark: rendering access log entries (Envoy default text format, and json_format).
// Run: npx tsc -p tsconfig.json && node dist/bench/micro/access-log.bench.js

import { Bench } from 'tinybench';
import { compileFormat, createAccessLogRecord, RF_UH } from '../../core/access-log/format.js';

const record = createAccessLogRecord();
record.startTimeMs = Date.now();
record.method = 'GET';
record.path = '/api/v1/locations?limit=10';
record.authority = 'locations.example.com';
record.scheme = 'https';
record.protocol = 'HTTP/1.1';
record.responseCode = 200;
record.bytesReceived = 0;
record.bytesSent = 1234;
record.durationMs = 12;
record.upstreamServiceTimeMs = 10;
record.upstreamHost = '10.0.2.1:80';
record.upstreamCluster = 'locations';
record.downstreamRemoteAddress = '203.0.113.9:51234';
record.requestHeaders = ['host', 'locations.example.com', 'user-agent', 'curl/8.5.0', 'accept', '*/*',
  'x-forwarded-for', '203.0.113.9', 'x-forwarded-proto', 'https',
  'x-request-id', 'cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2'];
record.responseHeaders = ['content-type', 'application/json', 'content-length', '1234'];

const base = { path: '/dev/null', jsonFormat: null, typedJson: false, omitEmptyValues: false };
const text = compileFormat({ ...base, textFormat: null });
const json = compileFormat({
  ...base, textFormat: null, typedJson: true, jsonFormat: {
    start_time: '%START_TIME%', method: '%REQ(:METHOD)%', path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
    protocol: '%PROTOCOL%', response_code: '%RESPONSE_CODE%', response_flags: '%RESPONSE_FLAGS%',
    bytes_received: '%BYTES_RECEIVED%', bytes_sent: '%BYTES_SENT%', duration: '%DURATION%',
    upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%', x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
    user_agent: '%REQ(USER-AGENT)%', request_id: '%REQ(X-REQUEST-ID)%', authority: '%REQ(:AUTHORITY)%',
    upstream_host: '%UPSTREAM_HOST%',
  },
});

let sink = 0;
let tick = 0;
const bench = new Bench({ time: 1000 });
bench
  .add('default text format', () => {
    // Advance the clock so the per-second START_TIME cache is exercised realistically.
    record.startTimeMs += (tick++ & 7) === 0 ? 1 : 0;
    sink += text.format(record).length;
  })
  .add('default text format, with response flag', () => {
    record.responseFlags = RF_UH;
    sink += text.format(record).length;
    record.responseFlags = 0;
  })
  .add('typed json_format (same fields)', () => {
    sink += json.format(record).length;
  });

await bench.run();
console.table(bench.table());
if (sink === 0) console.log('unreachable');
