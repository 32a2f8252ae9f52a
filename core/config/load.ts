// Config text in, frozen Snapshot or a list of errors out. Pure: file contents and environment come
// through ConfigEnv. `--config-yaml` is merged over the file as protobuf MergeFrom does (messages merge,
// repeated fields append, map entries and scalars replace).
import YAML from 'yaml';
import { walk, type Ty, type WalkIssue } from './schema-dsl.js';
import { bootstrap } from './schema.js';
import { buildSnapshot, type ConfigEnv } from './build.js';
import type { Snapshot } from './types.js';
import { checkRouteConfig } from '../router/check.js';
import { checkFormat } from '../access-log/format.js';

export type LoadResult =
  | { readonly ok: true; readonly snapshot: Snapshot; readonly unknownFields: readonly string[] }
  | { readonly ok: false; readonly errors: string[] };

export interface LoadOptions {
  /** Envoy's --allow-unknown-static-fields: unknown fields are dropped and reported, not fatal. */
  readonly allowUnknownFields?: boolean;
}

export interface ConfigSource {
  /** Name used in messages (the file path, or '--config-yaml'). */
  readonly name: string;
  readonly text: string;
}

/** Parses YAML or JSON text into a plain tree; JSON is tried first for `.json` names. */
export function parseConfigText(src: ConfigSource): { tree: unknown } | { error: string } {
  if (src.text.trim() === '') return { error: `${src.name}: configuration is empty` };
  if (/\.json$/i.test(src.name)) {
    try {
      return { tree: JSON.parse(src.text) };
    } catch (e) {
      return { error: `${src.name}: invalid JSON: ${(e as Error).message}` };
    }
  }
  if (/\.(pb|pb_text)$/i.test(src.name)) {
    return { error: `${src.name}: binary and text protobuf configs are not supported by nuncio; use YAML or JSON` };
  }
  try {
    const docs = YAML.parseAllDocuments(src.text, { uniqueKeys: true, merge: true, prettyErrors: true });
    if (!Array.isArray(docs)) return { error: `${src.name}: cannot parse YAML` };
    if (docs.length === 0) return { error: `${src.name}: configuration is empty` };
    if (docs.length !== 1) return { error: `${src.name}: expected exactly one YAML document, found ${docs.length}` };
    const doc = docs[0];
    if (doc.errors.length > 0) {
      return { error: `${src.name}: invalid YAML: ${doc.errors.map((e) => e.message.split('\n')[0]).join('; ')}` };
    }
    const tree: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (tree === null || tree === undefined) return { error: `${src.name}: configuration is empty` };
    return { tree };
  } catch (e) {
    return { error: `${src.name}: invalid YAML: ${(e as Error).message}` };
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * protobuf MergeFrom on normalised trees: repeated fields append, messages merge field by field, map
 * and Struct entries replace the whole entry, an Any of the same type merges, scalars replace. `ty`
 * (the schema of `base`) tells maps from messages; without it objects merge recursively.
 */
export function mergeTrees(base: unknown, over: unknown, ty?: Ty): unknown {
  if (over === undefined) return base;
  if (base === undefined) return over;
  const t = ty?.k === 'lazy' ? ty.get() : ty;
  if (Array.isArray(base) && Array.isArray(over)) return [...base, ...over];
  if (!isObj(base) || !isObj(over)) return over;
  if (t?.k === 'map' || t?.k === 'struct') return { ...base, ...over };
  let fields: Readonly<Record<string, Ty>> | undefined;
  if (t?.k === 'msg') fields = t.fields;
  else if (t?.k === 'any') {
    const type = base['@type'];
    if (typeof type !== 'string' || type !== over['@type']) return over;
    const m = t.types[type];
    fields = m === undefined ? undefined : (typeof m === 'function' ? m() : m).fields;
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeTrees(out[k], v, fields?.[k]) : v;
  return out;
}

function formatIssues(issues: readonly WalkIssue[]): string[] {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
}

/** Loads the bootstrap from a file's text and/or `--config-yaml` text. */
export function loadConfig(sources: readonly ConfigSource[], env: ConfigEnv, opts: LoadOptions = {}): LoadResult {
  if (sources.length === 0) return { ok: false, errors: ['no configuration given: use -c <path> and/or --config-yaml <yaml>'] };
  const issues: WalkIssue[] = [];
  let merged: unknown = undefined;
  for (const src of sources) {
    const parsed = parseConfigText(src);
    if ('error' in parsed) return { ok: false, errors: [parsed.error] };
    if (!isObj(parsed.tree)) return { ok: false, errors: [`${src.name}: the bootstrap must be a mapping at the top level`] };
    const before = issues.length;
    const norm = walk(bootstrap, parsed.tree, '', issues);
    if (sources.length > 1) {
      for (let i = before; i < issues.length; i++) issues[i] = { path: `${src.name}: ${issues[i].path}`, message: issues[i].message };
    }
    merged = merged === undefined ? norm : mergeTrees(merged, norm, bootstrap);
  }
  const unknownFields: string[] = [];
  if (opts.allowUnknownFields) {
    for (let i = issues.length - 1; i >= 0; i--) {
      if (issues[i].message === 'unknown field') unknownFields.unshift(issues.splice(i, 1)[0].path);
    }
  }
  if (issues.length > 0) return { ok: false, errors: formatIssues(issues) };
  const snapshot = buildSnapshot(merged, env, issues);
  snapshot.listeners.forEach((l, i) =>
    l.filterChains.forEach((fc, j) => {
      const base = `static_resources.listeners[${i}].filter_chains[${j}].filters[0].typed_config`;
      for (const e of checkRouteConfig(fc.hcm.routeConfig, `${base}.route_config`)) issues.push({ path: '', message: e });
      fc.hcm.accessLogs.forEach((al, k) => {
        const e = checkFormat(al);
        if (e) issues.push({ path: `${base}.access_log[${k}]`, message: e });
      });
    }),
  );
  snapshot.admin?.accessLogs.forEach((al, k) => {
    const e = checkFormat(al);
    if (e) issues.push({ path: `admin.access_log[${k}]`, message: e });
  });
  if (issues.length > 0) return { ok: false, errors: formatIssues(issues) };
  return { ok: true, snapshot, unknownFields };
}
