import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AccessLogConfig } from '../../../core/config/types.js';
import {
  checkFormat, compileFormat, createAccessLogRecord, DEFAULT_FORMAT, responseFlagsToLongString,
  responseFlagsToString, RESPONSE_FLAG_SHORT_NAMES, RF_DC, RF_LH, RF_NR, RF_UF, RF_UH, RF_URX, RF_DF,
  type AccessLogRecord,
} from '../../../core/access-log/format.js';

function text(format: string | null, omitEmptyValues = false): AccessLogConfig {
  return { path: '/dev/null', textFormat: format, jsonFormat: null, typedJson: false, omitEmptyValues };
}

function json(jsonFormat: Record<string, unknown>, typedJson = false, omitEmptyValues = false): AccessLogConfig {
  return { path: '/dev/null', textFormat: null, jsonFormat, typedJson, omitEmptyValues };
}

// The record behind Envoy's documented default-format example line.
function exampleRecord(): AccessLogRecord {
  const r = createAccessLogRecord();
  r.startTimeMs = Date.UTC(2016, 3, 15, 20, 17, 0, 310);
  r.method = 'POST';
  r.path = '/api/v1/locations';
  r.authority = 'locations';
  r.scheme = 'http';
  r.protocol = 'HTTP/2';
  r.responseCode = 204;
  r.bytesReceived = 154;
  r.bytesSent = 0;
  r.durationMs = 226;
  r.upstreamServiceTimeMs = 100;
  r.upstreamHost = '10.0.2.1:80';
  r.upstreamCluster = 'locations';
  r.requestHeaders = ['x-forwarded-for', '10.0.35.28', 'user-agent', 'nsq2http',
    'x-request-id', 'cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2'];
  r.downstreamRemoteAddress = '10.0.35.28:51234';
  r.downstreamLocalAddress = '10.0.0.5:10000';
  return r;
}

function fmt(format: string, r: AccessLogRecord, omit = false): string {
  return compileFormat(text(format, omit)).format(r);
}

test('DEFAULT_FORMAT is Envoy\'s default format string', () => {
  assert.equal(DEFAULT_FORMAT,
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% ' +
    '%RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% ' +
    '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n');
});

test('default format reproduces Envoy\'s documented example line', () => {
  const line = compileFormat(text(null)).format(exampleRecord());
  assert.equal(line, '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 ' +
    '"10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "10.0.2.1:80"\n');
});

test('default format with nothing known renders dashes and zeros', () => {
  const line = compileFormat(text(null)).format(createAccessLogRecord());
  assert.equal(line, '[1970-01-01T00:00:00.000Z] "- - -" 0 - 0 0 - - "-" "-" "-" "-" "-"\n');
});

test('default format: original path wins over :path; flags; no upstream', () => {
  const r = exampleRecord();
  r.originalPath = '/before/rewrite';
  r.path = '/after';
  r.responseCode = 503;
  r.responseFlags = RF_UH;
  r.upstreamHost = '';
  r.upstreamServiceTimeMs = -1;
  const line = compileFormat(text(null)).format(r);
  assert.match(line, /^\[2016-04-15T20:17:00\.310Z\] "POST \/before\/rewrite HTTP\/2" 503 UH 154 0 226 - /);
  assert.ok(line.endsWith('"locations" "-"\n'));
});

test('REQ: alternative header, truncation, pseudo headers, empty value, case-insensitive name', () => {
  const r = exampleRecord();
  r.requestHeaders = ['x-a', 'alpha-value', 'x-empty', '', 'host', 'h.example', 'x-long', 'abcdefghij'];
  assert.equal(fmt('%REQ(X-A)%', r), 'alpha-value');
  assert.equal(fmt('%REQ(x-missing?X-A)%', r), 'alpha-value');
  assert.equal(fmt('%REQ(X-A?x-long)%', r), 'alpha-value');
  assert.equal(fmt('%REQ(x-missing?x-other)%', r), '-');
  assert.equal(fmt('%REQ(X-LONG):4%', r), 'abcd');
  assert.equal(fmt('%REQ(X-LONG):0%', r), '');
  assert.equal(fmt('%REQ(X-LONG):100%', r), 'abcdefghij');
  assert.equal(fmt('%REQ(x-missing?X-LONG):3%', r), 'abc');
  assert.equal(fmt('[%REQ(X-EMPTY)%]', r), '[]');
  assert.equal(fmt('%REQ(:METHOD)% %REQ(:PATH)% %REQ(:AUTHORITY)% %REQ(:SCHEME)%', r),
    'POST /api/v1/locations locations http');
  r.authority = '';
  assert.equal(fmt('%REQ(:AUTHORITY)%', r), 'h.example');
  // x-request-id falls back to the record's request id when the header list lacks it.
  r.requestId = 'rid-1';
  assert.equal(fmt('%REQ(X-REQUEST-ID)%', r), 'rid-1');
  // Header values are not escaped in text formats.
  r.requestHeaders = ['user-agent', 'a "quoted" \\ agent'];
  assert.equal(fmt('"%REQ(USER-AGENT)%"', r), '"a "quoted" \\ agent"');
});

test('RESP and TRAILER read response headers and trailers', () => {
  const r = exampleRecord();
  r.responseHeaders = ['content-type', 'text/plain', 'x-envoy-upstream-service-time', '7'];
  r.responseTrailers = ['grpc-message', 'all good', 'x-t', 'trailer-value'];
  assert.equal(fmt('%RESP(CONTENT-TYPE)% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %RESP(:STATUS)%', r), 'text/plain 7 204');
  assert.equal(fmt('%RESP(x-missing?content-type):4%', r), 'text');
  assert.equal(fmt('%TRAILER(GRPC-MESSAGE)% %TRAILER(x-none?X-T):7% %TRAILER(content-type)%', r),
    'all good trailer -');
  r.responseHeaders = [];
  assert.equal(fmt('%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%', r), '100');
});

test('stream info operators', () => {
  const r = exampleRecord();
  r.upstreamProtocol = 'HTTP/1.1';
  r.responseCodeDetails = 'upstream reset before response';
  r.responseFlags = RF_UF | RF_URX;
  r.requestDurationMs = 3;
  r.requestTxDurationMs = 4;
  r.responseDurationMs = 200;
  r.upstreamLocalAddress = '10.0.0.5:40000';
  r.upstreamTransportFailureReason = 'delayed connect error: 111';
  r.upstreamRequestAttemptCount = 2;
  r.downstreamDirectRemoteAddress = '192.168.1.9:6000';
  r.routeName = 'route-1';
  r.connectionId = 42;
  r.requestedServerName = 'sni.example';
  r.downstreamTlsVersion = 'TLSv1.3';
  r.downstreamTlsCipher = 'TLS_AES_128_GCM_SHA256';
  r.localReplyBody = 'no healthy upstream';
  r.requestId = 'cc21d9b0';
  const cases: Array<[string, string]> = [
    ['%PROTOCOL%', 'HTTP/2'],
    ['%UPSTREAM_PROTOCOL%', 'HTTP/1.1'],
    ['%RESPONSE_CODE%', '204'],
    ['%RESPONSE_CODE_DETAILS%', 'upstream_reset_before_response'],
    ['%RESPONSE_CODE_DETAILS(ALLOW_WHITESPACES)%', 'upstream reset before response'],
    ['%RESPONSE_FLAGS%', 'UF,URX'],
    ['%RESPONSE_FLAGS_LONG%', 'UpstreamConnectionFailure,UpstreamRetryLimitExceeded'],
    ['%BYTES_RECEIVED% %BYTES_SENT%', '154 0'],
    ['%DURATION% %REQUEST_DURATION% %REQUEST_TX_DURATION% %RESPONSE_DURATION% %RESPONSE_TX_DURATION%',
      '226 3 4 200 26'],
    ['%UPSTREAM_HOST%', '10.0.2.1:80'],
    ['%UPSTREAM_HOST_NAME% %UPSTREAM_HOST_NAME_WITHOUT_PORT%', '10.0.2.1:80 10.0.2.1'],
    ['%UPSTREAM_REMOTE_ADDRESS% %UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %UPSTREAM_REMOTE_PORT%',
      '10.0.2.1:80 10.0.2.1 80'],
    ['%UPSTREAM_CLUSTER% %UPSTREAM_CLUSTER_RAW%', 'locations locations'],
    ['%UPSTREAM_LOCAL_ADDRESS% %UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT% %UPSTREAM_LOCAL_PORT%',
      '10.0.0.5:40000 10.0.0.5 40000'],
    ['%UPSTREAM_TRANSPORT_FAILURE_REASON%', 'delayed_connect_error:_111'],
    ['%UPSTREAM_REQUEST_ATTEMPT_COUNT%', '2'],
    ['%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_REMOTE_PORT%',
      '10.0.35.28:51234 10.0.35.28 51234'],
    ['%DOWNSTREAM_DIRECT_REMOTE_ADDRESS% %DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT% ' +
      '%DOWNSTREAM_DIRECT_REMOTE_PORT%', '192.168.1.9:6000 192.168.1.9 6000'],
    ['%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_LOCAL_PORT%',
      '10.0.0.5:10000 10.0.0.5 10000'],
    ['%DOWNSTREAM_DIRECT_LOCAL_ADDRESS%', '10.0.0.5:10000'],
    ['%ROUTE_NAME%', 'route-1'],
    ['%CONNECTION_ID%', '42'],
    ['%REQUESTED_SERVER_NAME% %DOWNSTREAM_TLS_VERSION% %DOWNSTREAM_TLS_CIPHER%',
      'sni.example TLSv1.3 TLS_AES_128_GCM_SHA256'],
    ['%LOCAL_REPLY_BODY%', 'no healthy upstream'],
    ['%STREAM_ID%', 'cc21d9b0'],
    ['%HOSTNAME%', '-'],
    ['%ACCESS_LOG_TYPE%', 'DownstreamEnd'],
    ['%REQUEST_HEADERS_BYTES%', String('x-forwarded-for10.0.35.28user-agentnsq2httpx-request-id'.length + 36)],
    ['%RESPONSE_HEADERS_BYTES% %RESPONSE_TRAILERS_BYTES%', '0 0'],
    ['%VIRTUAL_CLUSTER_NAME% %DYNAMIC_METADATA(com.test:key):10% %FILTER_STATE(k:PLAIN)% %DOWNSTREAM_PEER_SUBJECT%',
      '- - - -'],
    ['100%% %%REQ(X)%%', '100% %REQ(X)%'],
    ['', ''],
  ];
  for (const [f, want] of cases) assert.equal(fmt(f, r), want, f);
});

test('missing stream info values render "-" and omit_empty_values renders them empty', () => {
  const r = createAccessLogRecord();
  const f = '%PROTOCOL%|%UPSTREAM_HOST%|%UPSTREAM_CLUSTER%|%ROUTE_NAME%|%RESPONSE_CODE_DETAILS%|%DURATION%|' +
    '%RESPONSE_DURATION%|%DOWNSTREAM_REMOTE_PORT%|%UPSTREAM_TRANSPORT_FAILURE_REASON%|%RESPONSE_FLAGS%|%RESPONSE_CODE%';
  assert.equal(fmt(f, r), '-|-|-|-|-|-|-|-|-|-|0');
  assert.equal(fmt(f, r, true), '|||||||||-|0');
  assert.equal(fmt('[%REQ(X-NONE)%]', r, true), '[]');
});

test('IPv6 addresses: brackets kept with port, dropped without', () => {
  const r = createAccessLogRecord();
  r.downstreamRemoteAddress = '[2001:db8::1]:8443';
  r.upstreamHost = '[::1]:80';
  assert.equal(fmt('%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_REMOTE_PORT%', r),
    '[2001:db8::1]:8443 2001:db8::1 8443');
  assert.equal(fmt('%UPSTREAM_HOST% %UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', r), '[::1]:80 ::1');
});

test('START_TIME custom formats', () => {
  const r = createAccessLogRecord();
  r.startTimeMs = Date.UTC(2018, 4, 29, 10, 43, 10, 528); // Tuesday
  const cases: Array<[string, string]> = [
    ['%START_TIME%', '2018-05-29T10:43:10.528Z'],
    ['%START_TIME(%s.%3f)%', '1527590590.528'],
    ['%START_TIME(%s.%6f)%', '1527590590.528000'],
    ['%START_TIME(%s.%9f)%', '1527590590.528000000'],
    ['%START_TIME(%s.%f)%', '1527590590.528000000'],
    ['%START_TIME(%1f|%2f|%*f)%', '5|52|528'],
    ['%START_TIME(%Y/%m/%dT%H:%M:%S%z %s)%', '2018/05/29T10:43:10+0000 1527590590'],
    ['%START_TIME(%E3S|%E6S|%E*S|%E2f)%', '10.528|10.528000|10.528|52'],
    ['%START_TIME(%a %A %b %B %e %j %u %w %y %C)%', 'Tue Tuesday May May 29 149 2 2 18 20'],
    ['%START_TIME(%F %T %D %R %I %p %Z %Ez)%', '2018-05-29 10:43:10 05/29/18 10:43 10 AM UTC +00:00'],
    ['%START_TIME(%c)%', 'Tue May 29 10:43:10 2018'],
    ['%START_TIME(%G-W%V-%u %U %W)%', '2018-W22-2 21 22'],
    ['%START_TIME(100%% %Q)%', '100% %Q'],
  ];
  for (const [f, want] of cases) assert.equal(fmt(f, r), want, f);
});

test('START_TIME: per-second cache gives correct results across calls', () => {
  const f = compileFormat(text('%START_TIME% %START_TIME(%s.%3f %*f %E*S)%'));
  const r = createAccessLogRecord();
  const base = Date.UTC(2020, 0, 1, 0, 0, 59);
  const expect = [
    [base + 1, '2020-01-01T00:00:59.001Z 1577836859.001 001 59.001'],
    [base + 500, '2020-01-01T00:00:59.500Z 1577836859.500 5 59.5'],
    [base + 1000, '2020-01-01T00:01:00.000Z 1577836860.000 0 00'],
    [base + 1010, '2020-01-01T00:01:00.010Z 1577836860.010 01 00.01'],
    [base + 1, '2020-01-01T00:00:59.001Z 1577836859.001 001 59.001'],
  ] as const;
  for (const [ms, want] of expect) {
    r.startTimeMs = ms;
    assert.equal(f.format(r), want);
  }
});

test('EMIT_TIME is the start time plus the duration', () => {
  const r = exampleRecord();
  assert.equal(fmt('%EMIT_TIME%', r), '2016-04-15T20:17:00.536Z');
});

test('response flags render in Envoy\'s order', () => {
  assert.equal(responseFlagsToString(0), '-');
  assert.equal(responseFlagsToString(RF_NR), 'NR');
  assert.equal(responseFlagsToString(RF_DC | RF_LH), 'LH,DC');
  assert.equal(responseFlagsToString(RF_UF | RF_UH | RF_DF), 'UH,UF,DF');
  assert.equal(responseFlagsToLongString(RF_UH | RF_NR), 'NoHealthyUpstream,NoRouteFound');
  assert.equal(responseFlagsToLongString(0), '-');
  for (const name of ['UH', 'UF', 'UO', 'NR', 'URX', 'NC', 'DT', 'DC', 'LH', 'UT', 'LR', 'UR', 'UC', 'DI', 'FI',
    'RL', 'UAEX', 'RLSE', 'IH', 'SI', 'DPE', 'UPE', 'UMSDR', 'OM', 'DF']) {
    assert.ok(RESPONSE_FLAG_SHORT_NAMES.includes(name), name);
  }
  const all = (1 << RESPONSE_FLAG_SHORT_NAMES.length) - 1;
  assert.equal(responseFlagsToString(all), RESPONSE_FLAG_SHORT_NAMES.join(','));
});

test('GRPC_STATUS: trailers, then headers, then HTTP status; only for gRPC requests', () => {
  const r = exampleRecord();
  r.requestHeaders = ['content-type', 'application/grpc+proto'];
  r.responseTrailers = ['grpc-status', '3'];
  r.responseHeaders = ['grpc-status', '5'];
  assert.equal(fmt('%GRPC_STATUS% %GRPC_STATUS(SNAKE_STRING)% %GRPC_STATUS(NUMBER)% %GRPC_STATUS_NUMBER%', r),
    'InvalidArgument INVALID_ARGUMENT 3 3');
  r.responseTrailers = [];
  assert.equal(fmt('%GRPC_STATUS%', r), 'NotFound');
  r.responseHeaders = [];
  r.responseCode = 503;
  assert.equal(fmt('%GRPC_STATUS%', r), 'Unavailable');
  r.requestHeaders = ['content-type', 'application/json'];
  assert.equal(fmt('%GRPC_STATUS%', r), '-');
});

test('HOSTNAME and ENVIRONMENT come from the compile options', () => {
  const r = createAccessLogRecord();
  const env: Record<string, string> = { POD: 'pod-123456' };
  const f = compileFormat(text('%HOSTNAME% %ENVIRONMENT(POD)% %ENVIRONMENT(POD):3% %ENVIRONMENT(NOPE)%'),
    { hostname: 'edge-1', getEnv: (k) => env[k] });
  assert.equal(f.format(r), 'edge-1 pod-123456 pod -');
});

test('UNIQUE_ID is a fresh UUID per entry', () => {
  const f = compileFormat(text('%UNIQUE_ID%'));
  const r = createAccessLogRecord();
  const a = f.format(r);
  const b = f.format(r);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(a, b);
});

test('json_format: strings, key order, nesting, missing values as "-"', () => {
  const r = exampleRecord();
  r.requestHeaders = [...r.requestHeaders, 'x-evil', 'quote" backslash\\ nl\n tab\t ctl\u0001 é 😀'];
  const f = compileFormat(json({
    start: '%START_TIME%',
    protocol: '%PROTOCOL%',
    duration: '%DURATION%',
    code: '%RESPONSE_CODE%',
    missing: '%REQ(X-NONE)%',
    route: '%ROUTE_NAME%',
    url: '%REQ(:SCHEME)%://%REQ(:AUTHORITY)%%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
    mixed: '%ROUTE_NAME%/%UPSTREAM_CLUSTER%',
    evil: '%REQ(X-EVIL)%',
    constant: 'literal 100%%',
    level: 1,
    nested: { upstream: { host: '%UPSTREAM_HOST%', cluster: '%UPSTREAM_CLUSTER%' }, flags: '%RESPONSE_FLAGS%' },
    list: ['%RESPONSE_CODE%', '%ROUTE_NAME%'],
  }));
  const line = f.format(r);
  assert.ok(line.endsWith('}\n'));
  assert.equal(line.indexOf('\n'), line.length - 1, 'one line');
  const obj = JSON.parse(line);
  assert.deepEqual(Object.keys(obj),
    ['start', 'protocol', 'duration', 'code', 'missing', 'route', 'url', 'mixed', 'evil', 'constant', 'level',
      'nested', 'list']);
  assert.deepEqual(obj, {
    start: '2016-04-15T20:17:00.310Z',
    protocol: 'HTTP/2',
    duration: '226',
    code: '204',
    missing: '-',
    route: '-',
    url: 'http://locations/api/v1/locations',
    mixed: '-/locations',
    evil: 'quote" backslash\\ nl\n tab\t ctl\u0001 é 😀',
    constant: 'literal 100%',
    level: '1',
    nested: { upstream: { host: '10.0.2.1:80', cluster: 'locations' }, flags: '-' },
    list: ['204', '-'],
  });
});

test('typed json_format: numbers, null for unset, strings otherwise', () => {
  const r = exampleRecord();
  const f = compileFormat(json({
    code: '%RESPONSE_CODE%', bytes: '%BYTES_RECEIVED%', duration: '%DURATION%', rd: '%REQUEST_DURATION%',
    port: '%DOWNSTREAM_REMOTE_PORT%', attempts: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%', start: '%START_TIME(%s)%',
    flags: '%RESPONSE_FLAGS%', route: '%ROUTE_NAME%', svc: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
    concat: '%DURATION%ms', level: 1.5, on: true,
  }, true));
  assert.deepEqual(JSON.parse(f.format(r)), {
    code: 204, bytes: 154, duration: 226, rd: null, port: 51234, attempts: 0, start: '1460751420',
    flags: '-', route: null, svc: '100', concat: '226ms', level: 1.5, on: true,
  });
});

test('json_format with omit_empty_values drops unset keys and list items', () => {
  const r = createAccessLogRecord();
  r.responseCode = 404;
  for (const typed of [false, true]) {
    const f = compileFormat(json({
      code: '%RESPONSE_CODE%', route: '%ROUTE_NAME%', host: '%UPSTREAM_HOST%', concat: '[%ROUTE_NAME%]',
      nested: { a: '%UPSTREAM_CLUSTER%' }, list: ['%ROUTE_NAME%', 'x'],
    }, typed, true));
    assert.deepEqual(JSON.parse(f.format(r)),
      { code: typed ? 404 : '404', concat: '[]', nested: {}, list: ['x'] }, `typed=${typed}`);
  }
});

test('json output is valid JSON and round-trips any header value', () => {
  const f = compileFormat(json({ ua: '%REQ(USER-AGENT)%', both: '<%REQ(USER-AGENT)%>' }));
  const r = createAccessLogRecord();
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
    r.requestHeaders = ['user-agent', s];
    const line = f.format(r);
    assert.equal(line.indexOf('\n'), line.length - 1);
    const o = JSON.parse(line);
    // Lone surrogates are escaped by JSON.stringify and parse back to themselves.
    assert.equal(o.ua, s);
    assert.equal(o.both, `<${s}>`);
  }), { numRuns: 300 });
});

test('checkFormat accepts valid formats', () => {
  assert.equal(checkFormat(text(null)), null);
  assert.equal(checkFormat(text(DEFAULT_FORMAT)), null);
  assert.equal(checkFormat(text('%REQ(:path):10% %START_TIME(%Y)% %RESPONSE_CODE_DETAILS(ALLOW_WHITESPACES)%\n')), null);
  assert.equal(checkFormat(json({ a: '%PROTOCOL%', b: { c: ['%DURATION%', 2] } }, true)), null);
});

test('checkFormat reports Envoy\'s errors', () => {
  const cases: Array<[AccessLogConfig, RegExp | null]> = [
    [text('%NOT_AN_OPERATOR%'), /^Not supported field in StreamInfo: NOT_AN_OPERATOR$/],
    [text('%REQUEST_ID%'), /Not supported field in StreamInfo: REQUEST_ID/],
    [text('%protocol%'), /Couldn't find valid command at position 0/],
    [text('abc %'), /^Incorrect configuration: abc %. Couldn't find valid command at position 4$/],
    [text('%REQ(X-A%'), /Couldn't find valid command/],
    [text('%PROTOCOL(X)%'), /^PROTOCOL does not take any parameters or length$/],
    [text('%PROTOCOL%:3'), null], // ':3' after the closing '%' is literal text
    [text('%DURATION:3%'), /^DURATION does not take any parameters or length$/],
    [text('%START_TIME:3%'), /^START_TIME does not allow length to be specified\.$/],
    [text('%REQ%'), /^REQ requires parameters$/],
    [text('%REQ()%'), /^REQ requires parameters$/],
    [text('%REQ(A?B?C)%'), /^More than 1 alternative header specified in token: A\?B\?C$/],
    [text('%REQ(BAD HEADER)%'), /invalid characters/],
    [text('%START_TIME(%Y%n)%'), /contains newline/],
    [text('%GRPC_STATUS(BOGUS)%'), /only supports CAMEL_STRING, SNAKE_STRING or NUMBER/],
    [text('%FILTER_STATE(:PLAIN)%'), /key cannot be empty/],
    [text('%UPSTREAM_WIRE_BYTES_SENT%'), /not supported by nuncio/],
    [json({ a: null }), /Only string values, nested structs, list values and number values/],
    [json({ a: { b: '%NOPE%' } }), /Not supported field in StreamInfo: NOPE/],
    [{ ...text('x'), jsonFormat: { a: 'b' } }, /only one of/],
  ];
  for (const [cfg, re] of cases) {
    const err = checkFormat(cfg);
    if (re === null) {
      assert.equal(err, null, String(cfg.textFormat));
      continue;
    }
    assert.ok(err !== null, `expected an error for ${cfg.textFormat ?? JSON.stringify(cfg.jsonFormat)}`);
    assert.match(err, re);
  }
  assert.throws(() => compileFormat(text('%NOPE%')), /Not supported field in StreamInfo: NOPE/);
});
