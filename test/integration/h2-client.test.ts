// NUNCIO_H2_CLIENT picks the HTTP/2 upstream client: `own` (our codec, h2c-pool; the default) or
// `node` (node:http2, h2-pool). With `own`, requests from both listener engines (HTTP/1.1 and HTTP/2
// clients) reach HTTP/2 upstreams — node:http2, and nginx h2c when installed — bodies both ways,
// a slow client with a large response, and the cluster stats. Which client ran is told by its
// SETTINGS: ours announce MAX_HEADER_LIST_SIZE 65536, node:http2's client announces none.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http2 from 'node:http2';
import net from 'node:net';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, h2get } from '../helpers/net.js';
import { nginxBinary, startNginx, type Nginx } from '../workers/upstream/h2-peers.js';
import { hcmListener } from '../helpers/config.js';

const NGINX = nginxBinary();
let upstream: http2.Http2Server;
let nginx: Nginx | null = null;
const ports = { uws: 0, auto: 0, admin: 0, up: 0, nginx: 0 };
/** MAX_HEADER_LIST_SIZE of each upstream session, in arrival order. */
const sessionLimits: number[] = [];

function config(): string {
  const listener = (name: string, port: number, codec: string) => `
${hcmListener(name, port)}
          codec_type: ${codec}
          stat_prefix: ${name}
          route_config:
            virtual_hosts:
            - name: vh
              domains: ["*"]
              routes:
              - match: { prefix: "/nginx/" }
                route: { cluster: up_nginx, prefix_rewrite: "/" }
              - match: { prefix: "/" }
                route: { cluster: up_node }
          http_filters: [{ name: envoy.filters.http.router }]`;
  const cluster = (name: string, port: number) => `
  - name: ${name}
    connect_timeout: 1s
    type: STATIC
    http2_protocol_options: { initial_stream_window_size: 65536, initial_connection_window_size: 1048576 }
    load_assignment:
      cluster_name: ${name}
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]`;
  return `
static_resources:
  listeners:${listener('uws', ports.uws, 'HTTP1')}${listener('auto', ports.auto, 'AUTO')}
  clusters:${cluster('up_node', ports.up)}${cluster('up_nginx', ports.nginx)}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
`;
}

async function statsOf(prefix: string): Promise<Map<string, number>> {
  const r = await get(`http://127.0.0.1:${ports.admin}/stats?filter=${encodeURIComponent(prefix)}`);
  const m = new Map<string, number>();
  for (const line of r.body.split('\n')) {
    const i = line.lastIndexOf(': ');
    if (i > 0 && /^\d+$/.test(line.slice(i + 2))) m.set(line.slice(0, i), Number(line.slice(i + 2)));
  }
  return m;
}

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  upstream = http2.createServer();
  upstream.on('session', (s) => s.once('remoteSettings', (st) => sessionLimits.push(st.maxHeaderListSize ?? -1)));
  upstream.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const p = String(headers[':path']);
    if (p.startsWith('/echo')) {
      const h = crypto.createHash('sha256');
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        h.update(c);
      });
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(`received ${n} ${h.digest('hex')}`);
      });
      return;
    }
    if (p.startsWith('/big')) {
      const total = 32 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      stream.respond({ ':status': 200, 'content-length': String(total) });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!stream.write(chunk)) return void stream.once('drain', pump);
        }
        stream.end();
      };
      pump();
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'text/plain', 'x-upstream': 'node' });
    stream.end(`hello ${p}`);
  });
  await new Promise<void>((r) => upstream.listen(ports.up, '127.0.0.1', () => r()));
  if (NGINX !== null) {
    nginx = await startNginx(NGINX, () => `  server { listen 127.0.0.1:${ports.nginx} http2; location / { return 200 "nginx says $uri"; } }`, [ports.nginx]);
  }
});

after(async () => {
  await nginx?.stop();
  await new Promise((r) => upstream.close(r));
});

describe('NUNCIO_H2_CLIENT=own', () => {
  let nuncio: Nuncio;
  before(async () => {
    sessionLimits.length = 0;
    nuncio = await startNuncio(['--config-yaml', config(), '--concurrency', '2'], ports.admin, { env: { NUNCIO_H2_CLIENT: 'own' } });
  });
  after(async () => {
    const code = await nuncio.stop();
    assert.equal(code, 0, nuncio.output());
  });

  test('HTTP/1.1 and HTTP/2 clients on both engines reach the HTTP/2 upstream through our codec', async () => {
    for (let i = 0; i < 5; i++) {
      const a = await get(`http://127.0.0.1:${ports.uws}/a${i}`);
      const b = await get(`http://127.0.0.1:${ports.auto}/b${i}`);
      const c = await h2get(`http://127.0.0.1:${ports.auto}`, `/c${i}`);
      for (const [r, path] of [
        [a, `/a${i}`],
        [b, `/b${i}`],
        [c, `/c${i}`],
      ] as const) {
        assert.equal(r.status, 200);
        assert.equal(r.body, `hello ${path}`);
        assert.equal(r.headers['x-upstream'], 'node');
        assert.equal(r.headers['content-type'], 'text/plain');
      }
    }
    assert.ok(sessionLimits.length >= 1);
    assert.ok(sessionLimits.every((n) => n === 65536), `upstream sessions announced ${sessionLimits.join(', ')}`);
  });

  test('request bodies up and a 32 MiB response to a slow client, with 64 KiB stream windows', async () => {
    const body = crypto.randomBytes(3 * 1024 * 1024 + 1);
    const r = await get(`http://127.0.0.1:${ports.uws}/echo`, { method: 'POST', body });
    assert.equal(r.body, `received ${body.length} ${crypto.createHash('sha256').update(body).digest('hex')}`);
    const sock = net.connect(ports.auto, '127.0.0.1');
    await new Promise<void>((res) => sock.once('connect', () => res()));
    sock.write('GET /big HTTP/1.1\r\nhost: x\r\n\r\n');
    sock.pause();
    await new Promise((res) => setTimeout(res, 500));
    let got = 0;
    sock.on('data', (d: Buffer) => (got += d.length));
    sock.resume();
    await new Promise<void>((resolve, reject) => {
      let n = 0;
      const t = setInterval(() => {
        if (got >= 32 * 1024 * 1024) {
          clearInterval(t);
          resolve();
        } else if (++n > 600) {
          clearInterval(t);
          reject(new Error(`only ${got} bytes`));
        }
      }, 50);
    });
    sock.destroy();
  });

  test('nginx h2c upstream', { skip: NGINX === null ? 'nginx binary not found' : false }, async () => {
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => get(`http://127.0.0.1:${ports.uws}/nginx/p${i}`)));
    rs.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.body, `nginx says /p${i}`);
    });
  });

  test('cluster stats count HTTP/2 connections and requests', async () => {
    const s = await statsOf('cluster.up_node.');
    assert.ok((s.get('cluster.up_node.upstream_cx_http2_total') ?? 0) >= 1);
    assert.ok((s.get('cluster.up_node.upstream_rq_total') ?? 0) >= 17);
    // The slow client may hang up before the last bytes of /big: 16 complete 200s at least.
    assert.ok((s.get('cluster.up_node.upstream_rq_200') ?? 0) >= 16);
    assert.ok((s.get('cluster.up_node.upstream_cx_rx_bytes_total') ?? 0) > 32 * 1024 * 1024);
    assert.equal(s.get('cluster.up_node.upstream_cx_protocol_error'), 0);
    assert.equal(s.get('cluster.up_node.upstream_rq_active'), 0);
  });
});

describe('the other settings of NUNCIO_H2_CLIENT', () => {
  for (const [value, ours] of [
    ['node', false],
    ['', true],
  ] as const) {
    test(`${value === '' ? 'unset: our codec (the default)' : 'node: node:http2'}`, async () => {
      sessionLimits.length = 0;
      const nuncio = await startNuncio(['--config-yaml', config(), '--concurrency', '1'], ports.admin, { env: { NUNCIO_H2_CLIENT: value } });
      try {
        const r = await get(`http://127.0.0.1:${ports.uws}/x`);
        assert.equal(r.body, 'hello /x');
        assert.ok(sessionLimits.length >= 1, 'an upstream session was made');
        assert.ok(
          sessionLimits.every((n) => (n === 65536) === ours),
          `upstream sessions announced ${sessionLimits.join(', ')}`,
        );
      } finally {
        assert.equal(await nuncio.stop(), 0, nuncio.output());
      }
    });
  }
});
