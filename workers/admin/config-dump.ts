// /config_dump for a static bootstrap, in Envoy's shape: a ConfigDump whose `configs` are the
// Bootstrap, Clusters, Listeners, ScopedRoutes, Routes and Secrets dumps (static_clusters,
// static_listeners, static_route_configs with last_updated), sensitive fields redacted, plus the
// `resource=` and `mask=` parameters. The bootstrap tree the loader kept is normalised (snake_case
// keys, durations in ms, Any as {'@type': name}); the schema turns it back into protobuf JSON.
import { bootstrap as bootstrapSchema } from '../../core/config/schema.js';
import type { Ty } from '../../core/config/schema-dsl.js';
import { durationJson, prettyJson, timestampJson } from './proto-json.js';

const TYPE_PREFIX = 'type.googleapis.com/';
const ADMIN = `${TYPE_PREFIX}envoy.admin.v3.`;
const UINT32_MAX = 4294967295;
const REDACTED = '[redacted]';
const SENSITIVE = new Set(['private_key', 'password', 'session_ticket_keys']);

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function redactAll(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => redactAll(x, key));
  if (isObj(v)) {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === '@type' ? x : redactAll(x, k);
    return out;
  }
  if (typeof v === 'string') return key === 'inline_bytes' ? Buffer.from(REDACTED).toString('base64') : REDACTED;
  return v;
}

/** Normalised tree -> protobuf JSON, following the schema (fields in schema order, unknown keys kept). */
export function toProtoJson(ty: Ty | undefined, v: unknown, key = ''): unknown {
  if (v === undefined || v === null) return v;
  if (SENSITIVE.has(key)) return redactAll(v);
  if (ty === undefined) return v;
  switch (ty.k) {
    case 'lazy':
      return toProtoJson(ty.get(), v, key);
    case 'duration':
      return typeof v === 'number' ? durationJson(v) : v;
    case 'uint':
      return typeof v === 'number' && ty.max !== undefined && ty.max > UINT32_MAX ? String(v) : v;
    case 'list':
      return Array.isArray(v) ? v.map((x) => toProtoJson(ty.of, x)) : v;
    case 'map': {
      if (!isObj(v)) return v;
      const out: Json = {};
      for (const [k, x] of Object.entries(v)) out[k] = toProtoJson(ty.of, x);
      return out;
    }
    case 'any': {
      if (!isObj(v) || typeof v['@type'] !== 'string') return v;
      const full = v['@type'];
      let mt = ty.types[full];
      if (typeof mt === 'function') mt = mt();
      const rest: Json = {};
      for (const [k, x] of Object.entries(v)) if (k !== '@type') rest[k] = x;
      const body = toProtoJson(mt, rest) as Json;
      return { '@type': full.includes('/') ? full : TYPE_PREFIX + full, ...body };
    }
    case 'msg': {
      if (!isObj(v)) return v;
      const out: Json = {};
      for (const f of Object.keys(ty.fields)) if (f in v) out[f] = toProtoJson(ty.fields[f], v[f], f);
      for (const [k, x] of Object.entries(v)) if (!(k in out)) out[k] = x;
      return out;
    }
    default:
      return v;
  }
}

function arr(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** Inline route configurations of every HTTP connection manager, in listener order. */
function routeConfigs(listeners: Json[]): Json[] {
  const out: Json[] = [];
  for (const l of listeners) {
    for (const fc of arr(l.filter_chains)) {
      for (const f of arr(fc.filters)) {
        const tc = f.typed_config;
        if (isObj(tc) && isObj(tc.route_config)) out.push(tc.route_config);
      }
    }
    if (isObj(l.default_filter_chain)) {
      for (const f of arr(l.default_filter_chain.filters)) {
        const tc = f.typed_config;
        if (isObj(tc) && isObj(tc.route_config)) out.push(tc.route_config);
      }
    }
  }
  return out;
}

/** The ConfigDump messages for a static bootstrap, each with its `@type`. */
export function configDumpMessages(bootstrapTree: unknown, lastUpdatedMs: number): Json[] {
  const boot = (toProtoJson(bootstrapSchema, bootstrapTree) ?? {}) as Json;
  const at = timestampJson(lastUpdatedMs);
  const sr = isObj(boot.static_resources) ? boot.static_resources : {};
  const clusters = arr(sr.clusters).map((c) => ({
    cluster: { '@type': `${TYPE_PREFIX}envoy.config.cluster.v3.Cluster`, ...c },
    last_updated: at,
  }));
  const listeners = arr(sr.listeners);
  const staticListeners = listeners.map((l) => ({
    listener: { '@type': `${TYPE_PREFIX}envoy.config.listener.v3.Listener`, ...l },
    last_updated: at,
  }));
  const routes = routeConfigs(listeners).map((r) => ({
    route_config: { '@type': `${TYPE_PREFIX}envoy.config.route.v3.RouteConfiguration`, ...r },
    last_updated: at,
  }));
  const withList = (o: Json, k: string, list: unknown[]): Json => (list.length > 0 ? { ...o, [k]: list } : o);
  return [
    { '@type': `${ADMIN}BootstrapConfigDump`, bootstrap: boot, last_updated: at },
    withList({ '@type': `${ADMIN}ClustersConfigDump` }, 'static_clusters', clusters),
    withList({ '@type': `${ADMIN}ListenersConfigDump` }, 'static_listeners', staticListeners),
    { '@type': `${ADMIN}ScopedRoutesConfigDump` },
    withList({ '@type': `${ADMIN}RoutesConfigDump` }, 'static_route_configs', routes),
    { '@type': `${ADMIN}SecretsConfigDump` },
  ];
}

/** Fields of each dump message (repeated ones map to the element type used when packing them alone). */
const DUMP_FIELDS: Readonly<Record<string, Readonly<Record<string, string | null>>>> = {
  BootstrapConfigDump: { bootstrap: null, last_updated: null },
  ClustersConfigDump: {
    version_info: null,
    static_clusters: 'ClustersConfigDump.StaticCluster',
    dynamic_active_clusters: 'ClustersConfigDump.DynamicCluster',
    dynamic_warming_clusters: 'ClustersConfigDump.DynamicCluster',
  },
  ListenersConfigDump: {
    version_info: null,
    static_listeners: 'ListenersConfigDump.StaticListener',
    dynamic_listeners: 'ListenersConfigDump.DynamicListener',
  },
  ScopedRoutesConfigDump: {
    inline_scoped_route_configs: 'ScopedRoutesConfigDump.InlineScopedRouteConfigs',
    dynamic_scoped_route_configs: 'ScopedRoutesConfigDump.DynamicScopedRouteConfigs',
  },
  RoutesConfigDump: {
    static_route_configs: 'RoutesConfigDump.StaticRouteConfig',
    dynamic_route_configs: 'RoutesConfigDump.DynamicRouteConfig',
  },
  SecretsConfigDump: {
    static_secrets: 'SecretsConfigDump.StaticSecret',
    dynamic_active_secrets: 'SecretsConfigDump.DynamicSecret',
    dynamic_warming_secrets: 'SecretsConfigDump.DynamicSecret',
  },
};

// Envoy walks its config trackers in key order: bootstrap, clusters, listeners, routes, scoped_routes, secrets.
const TRACKER_ORDER = ['BootstrapConfigDump', 'ClustersConfigDump', 'ListenersConfigDump', 'RoutesConfigDump', 'ScopedRoutesConfigDump', 'SecretsConfigDump'];

interface MaskTree {
  [field: string]: MaskTree;
}

/** FieldMask text (`a.b,c`) as a tree of field names. */
function parseMask(mask: string): MaskTree {
  const root: MaskTree = {};
  for (const path of mask.split(',')) {
    const p = path.trim();
    if (p === '') continue;
    let node = root;
    for (const part of p.split('.')) node = node[part] ??= {};
  }
  return root;
}

/** FieldMaskUtil::TrimMessage, looking through Any (its `@type` stays) and into repeated elements. */
function trim(v: unknown, mask: MaskTree): unknown {
  if (Array.isArray(v)) return v.map((x) => trim(x, mask));
  if (!isObj(v)) return v;
  const out: Json = {};
  if (typeof v['@type'] === 'string') out['@type'] = v['@type'];
  for (const [k, sub] of Object.entries(mask)) {
    if (!(k in v)) continue;
    out[k] = Object.keys(sub).length === 0 ? v[k] : trim(v[k], sub);
  }
  return out;
}

function typeName(m: Json): string {
  return String(m['@type']).slice(ADMIN.length);
}

export interface DumpResult {
  readonly status: number;
  readonly body: string;
  readonly json: boolean;
}

/** The /config_dump response for the given query. */
export function renderConfigDump(bootstrapTree: unknown, lastUpdatedMs: number, query: ReadonlyMap<string, string>): DumpResult {
  const messages = configDumpMessages(bootstrapTree, lastUpdatedMs);
  const resource = query.get('resource') || undefined;
  const maskText = query.get('mask') || undefined;
  const mask = maskText === undefined ? null : parseMask(maskText);
  if (resource === undefined) {
    const configs = messages.map((m) => (mask === null ? m : trim(m, mask)));
    return { status: 200, body: prettyJson({ configs }), json: true };
  }
  const ordered = [...messages].sort((a, b) => TRACKER_ORDER.indexOf(typeName(a)) - TRACKER_ORDER.indexOf(typeName(b)));
  for (const m of ordered) {
    const fields = DUMP_FIELDS[typeName(m)];
    if (fields === undefined || !(resource in fields)) continue;
    const element = fields[resource];
    if (element === null) {
      return { status: 400, body: `${resource} is not a repeated field. Use ?mask=${resource} to get only this field`, json: false };
    }
    const items = Array.isArray(m[resource]) ? (m[resource] as unknown[]) : [];
    const configs = items.map((it) => ({ '@type': `${ADMIN}${element}`, ...((mask === null ? it : trim(it, mask)) as Json) }));
    return { status: 200, body: prettyJson(configs.length > 0 ? { configs } : {}), json: true };
  }
  return { status: 404, body: `${resource} not found in config dump`, json: false };
}
