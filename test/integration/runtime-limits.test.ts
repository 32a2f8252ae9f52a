// Layered runtime: the listener connection_limit and overload.global_downstream_max_connections keys
// refuse connection N+1 and count it; a listener with ignore_global_conn_limit is exempt from the global
// limit (its connections still count towards it); /runtime shows the merged layers, unknown keys included.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startNuncio, type Nuncio } from '../helpers/nuncio.js';
import { freePort, get, sleep, until } from '../helpers/net.js';
import { stat as statOf } from '../helpers/admin.js';
import { hcmListener } from '../helpers/config.js';

let nuncio: Nuncio;
const ports = { limited: 0, other: 0, exempt: 0, admin: 0 };

const listener = (name: string, port: number) => `
${hcmListener(name, port)}
          codec_type: HTTP1
          stat_prefix: ${name}
          route_config:
            virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: ok } } }] }]
          http_filters: [{ name: envoy.filters.http.router }]`;

before(async () => {
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  const cfg = `
static_resources:
  listeners:${listener('limited', ports.limited)}${listener('other', ports.other)}${listener('exempt', ports.exempt).replace('    filter_chains:', '    ignore_global_conn_limit: true\n    filter_chains:')}
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${ports.admin} } }
layered_runtime:
  layers:
  - name: static_layer_0
    static_layer:
      envoy:
        resource_limits:
          listener:
            limited:
              connection_limit: 2
            example_listener_name:
              connection_limit: 10000
      overload:
        global_downstream_max_connections: 4
      some.unknown.key: kept
  - name: admin
    admin_layer: {}
`;
  nuncio = await startNuncio(['--config-yaml', cfg, '--concurrency', '2'], ports.admin);
});

after(async () => {
  await nuncio?.stop();
});

function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** True if the server closed the connection without answering a request. */
async function refused(s: net.Socket): Promise<boolean> {
  return new Promise((resolve) => {
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('close', () => resolve(data === ''));
    s.on('error', () => {});
    s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    setTimeout(() => resolve(false), 2000);
  });
}

const stat = (name: string): Promise<number> => statOf(ports.admin, name);

test('connection N+1 on a listener with connection_limit is refused and counted', async () => {
  const a = await open(ports.limited);
  const b = await open(ports.limited);
  await until(async () => (await stat(`listener.127.0.0.1_${ports.limited}.downstream_cx_active`)) === 2);
  const c = await open(ports.limited);
  assert.equal(await refused(c), true, 'third connection closed without a response');
  assert.equal(await stat(`listener.127.0.0.1_${ports.limited}.downstream_cx_overflow`), 1);
  a.destroy();
  await until(async () => (await stat(`listener.127.0.0.1_${ports.limited}.downstream_cx_active`)) === 1);
  const d = await open(ports.limited);
  assert.equal(await refused(d), false, 'a slot freed up: served');
  b.destroy();
  d.destroy();
});

test('overload.global_downstream_max_connections caps all listeners together', async () => {
  await until(async () => (await stat(`listener.127.0.0.1_${ports.limited}.downstream_cx_active`)) === 0);
  const held = [await open(ports.other), await open(ports.other), await open(ports.other), await open(ports.limited)];
  await until(async () => (await stat(`listener.127.0.0.1_${ports.other}.downstream_cx_active`)) === 3);
  const extra = await open(ports.other);
  assert.equal(await refused(extra), true);
  assert.equal(await stat(`listener.127.0.0.1_${ports.other}.downstream_global_cx_overflow`), 1);
  for (const s of held) s.destroy();
  await sleep(50);
});

test('ignore_global_conn_limit: the listener is served over the global limit, and its connections count towards it', async () => {
  await until(async () => (await stat(`listener.127.0.0.1_${ports.other}.downstream_cx_active`)) === 0);
  const held = [await open(ports.other), await open(ports.other), await open(ports.other), await open(ports.limited)];
  await until(async () => (await stat(`listener.127.0.0.1_${ports.other}.downstream_cx_active`)) === 3);
  const exempt = await open(ports.exempt);
  assert.equal(await refused(exempt), false, 'a fifth connection, on the exempt listener, is served');
  assert.equal(await stat(`listener.127.0.0.1_${ports.exempt}.downstream_global_cx_overflow`), 0);
  held.pop()!.destroy();
  await until(async () => (await stat(`listener.127.0.0.1_${ports.limited}.downstream_cx_active`)) === 0);
  // Four connections again, one of them on the exempt listener: the global limit is reached.
  const extra = await open(ports.other);
  assert.equal(await refused(extra), true, 'the exempt listener\'s connection counts towards the global limit');
  assert.equal(await stat(`listener.127.0.0.1_${ports.other}.downstream_global_cx_overflow`), 2);
  for (const s of held) s.destroy();
  exempt.destroy();
  await sleep(50);
});

test('/runtime shows the merged layers with unknown keys, and runtime_modify sets the admin layer', async () => {
  const r = JSON.parse((await get(`http://127.0.0.1:${ports.admin}/runtime`)).body);
  assert.deepEqual(r.layers, ['static_layer_0', 'admin']);
  assert.equal(r.entries['envoy.resource_limits.listener.limited.connection_limit'].final_value, '2');
  assert.equal(r.entries['envoy.resource_limits.listener.example_listener_name.connection_limit'].final_value, '10000');
  assert.equal(r.entries['some.unknown.key'].final_value, 'kept');
  const m = await get(`http://127.0.0.1:${ports.admin}/runtime_modify?foo.bar=1`, { method: 'POST' });
  assert.equal(m.status, 200);
  const r2 = JSON.parse((await get(`http://127.0.0.1:${ports.admin}/runtime`)).body);
  assert.equal(r2.entries['foo.bar'].final_value, '1');
  assert.deepEqual(r2.entries['foo.bar'].layer_values, ['', '1']);
});
