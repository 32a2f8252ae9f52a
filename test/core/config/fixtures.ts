// Config builders for loader tests: a small valid bootstrap as a plain object that tests change and
// feed to loadConfig as JSON or YAML, plus the seed configs from test/core/config/fixtures/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { loadConfig, type LoadOptions, type LoadResult } from '../../../core/config/load.js';
import type { ConfigEnv } from '../../../core/config/build.js';
import type { Snapshot } from '../../../core/config/types.js';

// dist/test/core/config -> repository root
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export function seed(name: 'front-envoy.yaml' | 'service-envoy.yaml'): string {
  return fs.readFileSync(path.join(ROOT, 'test/core/config/fixtures', name), 'utf8');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
export const HTTP_OPTIONS_TYPE = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export const L0 = 'static_resources.listeners[0]';
export const HCM = `${L0}.filter_chains[0].filters[0].typed_config`;
export const RC = `${HCM}.route_config`;
export const VH = `${RC}.virtual_hosts[0]`;
export const R0 = `${VH}.routes[0]`;
export const C0 = 'static_resources.clusters[0]';

export function socket(address: string, port: number): Obj {
  return { socket_address: { address, port_value: port } };
}

export function hcm(over: Obj = {}): Obj {
  return {
    '@type': HCM_TYPE,
    stat_prefix: 'ingress_http',
    route_config: {
      name: 'local_route',
      virtual_hosts: [{ name: 'backend', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c0' } }] }],
    },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
    ...over,
  };
}

export function listener(name: string, port: number, hcmOver: Obj = {}): Obj {
  return {
    name,
    address: socket('127.0.0.1', port),
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm(hcmOver) }] }],
  };
}

export function cluster(name: string, over: Obj = {}): Obj {
  return {
    name,
    connect_timeout: '1s',
    type: 'STATIC',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socket('127.0.0.1', 8080) } }] }],
    },
    ...over,
  };
}

/** A minimal valid bootstrap: one listener routing everything to cluster c0, and an admin address. */
export function base(): Obj {
  return {
    static_resources: { listeners: [listener('l0', 10000)], clusters: [cluster('c0')] },
    admin: { address: socket('127.0.0.1', 9901) },
  };
}

/** The HCM typed_config of listener 0. */
export function hcmOf(b: Obj): Obj {
  return b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
}

/** Route 0 of virtual host 0 of listener 0. */
export function route0(b: Obj): Obj {
  return hcmOf(b).route_config.virtual_hosts[0].routes[0];
}

export function env(files: Record<string, string> = {}, vars: Record<string, string> = {}): ConfigEnv {
  return {
    readFile: (p) => (p in files ? files[p] : null),
    getEnv: (n) => vars[n],
  };
}

export function loadJson(o: unknown, opts: LoadOptions = {}, e: ConfigEnv = env()): LoadResult {
  return loadConfig([{ name: 'test.json', text: JSON.stringify(o) }], e, opts);
}

export function loadYaml(text: string, opts: LoadOptions = {}, e: ConfigEnv = env()): LoadResult {
  return loadConfig([{ name: 'test.yaml', text }], e, opts);
}

/** Loads `o` as YAML text (the usual way configs arrive). */
export function loadObj(o: unknown, opts: LoadOptions = {}, e: ConfigEnv = env()): LoadResult {
  return loadYaml(YAML.stringify(o), opts, e);
}

export function ok(r: LoadResult): Snapshot {
  if (!r.ok) throw new Error(`expected the config to load, got:\n${r.errors.join('\n')}`);
  return r.snapshot;
}

export function errors(r: LoadResult): string[] {
  if (r.ok) throw new Error('expected the config to be rejected, but it loaded');
  return r.errors;
}

/** Applies `change` to a fresh base config and returns the loader's errors. */
export function rejectWith(change: (b: Obj) => void, opts: LoadOptions = {}, e: ConfigEnv = env()): string[] {
  const b = base();
  change(b);
  return errors(loadObj(b, opts, e));
}

/** Applies `change` to a fresh base config and returns the snapshot. */
export function acceptWith(change: (b: Obj) => void, opts: LoadOptions = {}, e: ConfigEnv = env()): Snapshot {
  const b = base();
  change(b);
  return ok(loadObj(b, opts, e));
}
