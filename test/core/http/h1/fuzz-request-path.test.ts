// Property-based test of the HTTP/1.1 request path of a running nuncio (node engine): generated,
// mutated and random request bytes go over raw TCP; whatever comes back must be a well-formed sequence
// of HTTP/1.1 responses with a status Envoy would give, or a clean close. Once the proxy goes quiet the
// client sends FIN, and the connection must then close promptly - never a hang. Afterwards no request
// or connection is left active and a normal request is still served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { startNuncio, type Nuncio } from '../../../helpers/nuncio.js';
import { freePort, get, until } from '../../../helpers/net.js';
import { cluster, listener, stat } from '../../../helpers/hostile.js';

let nuncio: Nuncio;
let upstream: http.Server;
const ports = { fz: 0, up: 0, admin: 0 };

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upstream = http.createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(`got ${n}`));
  });
  await new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r()));
  const cfg = `
static_resources:
  listeners:${listener('fz', ports.fz, 'AUTO', 'normalize_path: true\nmerge_slashes: true\npath_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT')}
  clusters:${cluster('up', ports.up)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '1'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
});

/** Statuses Envoy's connection manager, codec and router give for this configuration (local replies). */
const ALLOWED = new Set([100, 200, 307, 400, 403, 404, 408, 413, 426, 431, 501, 502, 503, 504]);

/**
 * Checks that `data` is zero or more complete HTTP/1.1 responses back to back. A response with a
 * Content-Length may have no body only when it answers HEAD (detected by the next status line).
 */
function checkResponses(data: string): string | null {
  let p = 0;
  while (p < data.length) {
    const line = /^HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n/.exec(data.slice(p, p + 200));
    if (!line) return `no status line at ${p}: ${JSON.stringify(data.slice(p, p + 60))}`;
    const status = Number(line[1]);
    const end = data.indexOf('\r\n\r\n', p);
    if (end < 0) return 'truncated head';
    const headers = new Map<string, string>();
    for (const h of data.slice(p + line[0].length, end).split('\r\n')) {
      if (h === '') continue;
      const c = h.indexOf(':');
      if (c <= 0) return `bad response header ${JSON.stringify(h)}`;
      headers.set(h.slice(0, c).toLowerCase(), h.slice(c + 1).trim());
    }
    // The upstream's own answers (e.g. 417 to an unknown Expect) pass through: only local replies are checked.
    if (!ALLOWED.has(status) && !headers.has('x-envoy-upstream-service-time')) return `unexpected local reply status ${status}`;
    p = end + 4;
    if (status === 100 || status === 204 || status === 304) continue;
    const cl = headers.get('content-length');
    if (headers.get('transfer-encoding') === 'chunked') {
      for (;;) {
        const e = data.indexOf('\r\n', p);
        if (e < 0) return 'truncated chunk size';
        const size = parseInt(data.slice(p, e), 16);
        if (Number.isNaN(size)) return 'bad chunk size';
        p = e + 2 + size + 2;
        if (p > data.length) return 'truncated chunk';
        if (size === 0) break;
      }
    } else if (cl !== undefined) {
      if (p === data.length || data.startsWith('HTTP/1.1 ', p)) continue; // answer to HEAD
      p += Number(cl);
      if (p > data.length) return 'truncated body';
    } else if (headers.get('connection') !== 'close') {
      // Only an answer to HEAD may omit framing on a kept-alive connection.
      if (p !== data.length && !data.startsWith('HTTP/1.1 ', p)) return 'no framing on a kept-alive response';
    } else {
      p = data.length;
    }
  }
  return null;
}

// ---- generators ----------------------------------------------------------------------------------
// Weighted towards requests that get past the codec, so routing, path normalisation and proxying run too.
const methods = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE') }, fc.constantFrom('OPTIONS', 'PATCH', 'CONNECT', 'FOO', 'G@T', 'get', ''));
const targets = fc.oneof(
  fc.constantFrom('/', '/direct', '/a?b=c', '/a/../b', '/%2F%2f/x', '/a%00b', '//x//y', '/#frag', 'http://test/abs', '*', 'test:80', '/a b', '/\u00e9', ''),
  fc.string({ maxLength: 20 }).map((s) => '/' + s),
);
const versions = fc.oneof({ weight: 6, arbitrary: fc.constant('HTTP/1.1') }, fc.constantFrom('HTTP/1.0', 'HTTP/1.2', 'HTTP/2.0', 'http/1.1', 'HTTP/1.1 ', ''));
const headerNames = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('x-a', 'accept', 'content-length', 'transfer-encoding', 'user-agent') },
  fc.constantFrom('host', 'x-a', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'foo_bar', 'te', 'x-forwarded-for', 'cookie', ''),
  fc.string({ maxLength: 8 }),
);
const headerValues = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('v', '3', 'chunked', 'text/plain') },
  fc.constantFrom('test', '0', '5', '-1', '3x', '1, 1', 'chunked', 'gzip, chunked', 'close', 'keep-alive', '100-continue', 'websocket', 'a\x01b', 'a\x7fb', ' padded ', ''),
  fc.string({ maxLength: 12 }),
);
const bodies = fc.oneof(fc.constant(''), fc.constantFrom('abc', '3\r\nabc\r\n0\r\n\r\n', 'zz\r\n', '0\r\n\r\n', '5\r\nab'), fc.string({ maxLength: 30 }));
const eols = fc.oneof({ weight: 8, arbitrary: fc.constant('\r\n') }, fc.constantFrom('\n', '\r'));

const structured = fc
  .record({
    method: methods,
    target: targets,
    version: versions,
    host: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
    headers: fc.array(fc.tuple(headerNames, headerValues), { maxLength: 6 }),
    body: bodies,
    eol: eols,
    pipeline: fc.boolean(),
  })
  .map(({ method, target, version, host, headers, body, eol, pipeline }) => {
    let s = `${method} ${target} ${version}${eol}`;
    if (host) s += `host: test${eol}`;
    for (const [n, v] of headers) s += `${n}: ${v}${eol}`;
    s += eol + body;
    if (pipeline) s += 'GET /direct HTTP/1.1\r\nhost: test\r\n\r\n';
    return Buffer.from(s, 'latin1');
  });

const SEEDS = [
  'GET /direct HTTP/1.1\r\nhost: test\r\n\r\n',
  'POST /up HTTP/1.1\r\nhost: test\r\ncontent-length: 5\r\n\r\nhello',
  'POST /up HTTP/1.1\r\nhost: test\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'GET /a//b/../c?x=1 HTTP/1.1\r\nhost: test\r\naccept: */*\r\ncookie: a=b\r\n\r\n',
];
const SPECIAL = [0, 9, 10, 13, 32, 34, 35, 37, 44, 47, 58, 59, 63, 92, 95, 127, 128, 255];

const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('flip', 'insert', 'delete', 'dup', 'truncate'), fc.constantFrom(...SPECIAL), fc.nat({ max: 16 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([seed, ops]) => {
    let b = Buffer.from(seed, 'latin1');
    for (const [pos, op, byte, len] of ops) {
      const i = b.length === 0 ? 0 : pos % b.length;
      if (op === 'flip') b[i] = byte;
      else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      else if (op === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + len + 1)]);
      else if (op === 'dup') b = Buffer.concat([b.subarray(0, i + len), b.subarray(i)]);
      else b = b.subarray(0, i);
    }
    return b;
  });

/**
 * Sends `bytes` and collects the reply until the proxy has been quiet for `quietMs`; then half-closes
 * (as Envoy, nuncio does not serve half-closed HTTP/1.1 connections) and waits up to `closeMs` for the
 * connection to close. `closed` is false only if the proxy ignored the FIN.
 */
function exchange(bytes: Buffer, quietMs = 150, closeMs = 3000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(ports.fz, '127.0.0.1');
    let data = '';
    let finished = false;
    let quiet: NodeJS.Timeout | null = null;
    let deadline: NodeJS.Timeout | null = null;
    const done = (closed: boolean) => {
      if (finished) return;
      finished = true;
      if (quiet) clearTimeout(quiet);
      if (deadline) clearTimeout(deadline);
      s.destroy();
      resolve({ data, closed });
    };
    const goQuiet = () => {
      if (quiet) clearTimeout(quiet);
      quiet = setTimeout(() => {
        s.end();
        deadline = setTimeout(() => done(false), closeMs);
      }, quietMs);
    };
    s.on('connect', () => {
      s.write(bytes);
      goQuiet();
    });
    s.on('data', (d) => {
      data += d.toString('latin1');
      if (deadline === null) goQuiet();
    });
    s.on('close', () => done(true));
    s.on('error', () => {});
  });
}

const randomBytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

test('property: any request bytes get valid HTTP responses with Envoy statuses or a clean close, never a hang', { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: structured }, { weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: randomBytes }), async (bytes) => {
      const r = await exchange(bytes);
      assert.ok(r.closed, `still open 3 s after FIN (hang); got ${JSON.stringify(r.data.slice(0, 120))}`);
      const problem = checkResponses(r.data);
      assert.equal(problem, null, `${problem}\nrequest: ${JSON.stringify(bytes.toString('latin1'))}\nreply: ${JSON.stringify(r.data.slice(0, 400))}`);
    }),
    { numRuns: 300 },
  );
  // Nothing leaked: every request and connection the runs opened is gone, and the proxy still serves.
  await until(async () => (await stat(ports.admin, 'http.fz.downstream_rq_active')) === 0 && (await stat(ports.admin, 'http.fz.downstream_cx_active')) === 0, 10_000);
  assert.ok((await stat(ports.admin, 'http.fz.downstream_rq_total')) > 0);
  assert.ok((await stat(ports.admin, 'http.fz.downstream_cx_protocol_error')) > 0);
  const ok = await get(`http://127.0.0.1:${ports.fz}/direct`);
  assert.equal(ok.status, 200);
  assert.equal(ok.body, 'direct');
  assert.equal(nuncio.proc.exitCode, null);
});
