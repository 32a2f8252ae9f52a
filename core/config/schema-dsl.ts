// A small declarative schema for the protobuf-JSON subset of Envoy's v3 API that nuncio reads, and the
// walker that checks a parsed YAML/JSON tree against it. The walker normalises as protobuf's JSON
// mapping does (lowerCamelCase names, wrapper types, durations, enum names in any case) and reports
// every problem with the field path, so one run shows the operator all the errors.

export type Ty =
  | { readonly k: 'string'; readonly minLen?: number }
  | { readonly k: 'bytes' }
  | { readonly k: 'bool' }
  | { readonly k: 'uint'; readonly min?: number; readonly max?: number }
  | { readonly k: 'int'; readonly min?: number; readonly max?: number }
  | { readonly k: 'double'; readonly min?: number; readonly max?: number }
  | { readonly k: 'duration'; readonly minMs?: number }
  | { readonly k: 'enum'; readonly values: readonly string[] }
  | MsgTy
  | { readonly k: 'list'; readonly of: Ty; readonly minItems?: number }
  | { readonly k: 'map'; readonly of: Ty }
  | { readonly k: 'struct' }
  | AnyTy
  | { readonly k: 'lazy'; readonly get: () => Ty };

export interface MsgTy {
  readonly k: 'msg';
  readonly name: string;
  readonly fields: Readonly<Record<string, Ty>>;
  /** Real Envoy fields nuncio does not implement: refused by name, never ignored. */
  readonly unsupported?: readonly string[];
  /** Groups of fields of which at most one may be set; `required` groups need exactly one. */
  readonly oneofs?: readonly { readonly fields: readonly string[]; readonly required?: boolean }[];
  readonly required?: readonly string[];
  /** Deprecated Envoy fields that are accepted and given their documented meaning. */
  readonly deprecated?: readonly string[];
}

export interface AnyTy {
  readonly k: 'any';
  /** Full type name (after `type.googleapis.com/`) -> message. */
  readonly types: Readonly<Record<string, MsgTy | (() => MsgTy)>>;
  /** Real Envoy types nuncio does not implement, to word the refusal. */
  readonly unsupportedTypes?: readonly string[];
}

export const str = (minLen?: number): Ty => ({ k: 'string', minLen });
export const bool: Ty = { k: 'bool' };
export const bytes: Ty = { k: 'bytes' };
export const uint = (min?: number, max?: number): Ty => ({ k: 'uint', min, max });
export const int = (min?: number, max?: number): Ty => ({ k: 'int', min, max });
export const double = (min?: number, max?: number): Ty => ({ k: 'double', min, max });
export const duration = (minMs?: number): Ty => ({ k: 'duration', minMs });
export const enm = (...values: string[]): Ty => ({ k: 'enum', values });
export const list = (of: Ty, minItems?: number): Ty => ({ k: 'list', of, minItems });
export const map = (of: Ty): Ty => ({ k: 'map', of });
export const struct: Ty = { k: 'struct' };
export const lazy = (get: () => Ty): Ty => ({ k: 'lazy', get });
export const msg = (
  name: string,
  fields: Record<string, Ty>,
  opts: Omit<MsgTy, 'k' | 'name' | 'fields'> = {},
): MsgTy => ({ k: 'msg', name, fields, ...opts });
export const any = (types: AnyTy['types'], unsupportedTypes?: readonly string[]): AnyTy => ({
  k: 'any',
  types,
  unsupportedTypes,
});

/** protobuf's default json_name: lowerCamelCase of the field name. */
export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function fieldIndex(t: MsgTy): Map<string, string> {
  let idx = indexCache.get(t);
  if (!idx) {
    idx = new Map();
    const all = [...Object.keys(t.fields), ...(t.unsupported ?? [])];
    for (const f of all) {
      idx.set(f, f);
      idx.set(camel(f), f);
    }
    indexCache.set(t, idx);
  }
  return idx;
}
const indexCache = new WeakMap<MsgTy, Map<string, string>>();

export interface WalkIssue {
  readonly path: string;
  readonly message: string;
}

const TYPE_PREFIX = 'type.googleapis.com/';

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Parses a protobuf-JSON duration ("0.25s", "5s", "1.5s") or {seconds, nanos}; returns ms or null. */
export function parseDurationMs(v: unknown): number | null {
  if (typeof v === 'string') {
    const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(v.trim());
    if (!m) return null;
    const secs = Number(m[2]);
    const frac = m[3] ? Number(`0.${m[3]}`) : 0;
    const ms = (secs + frac) * 1000;
    return m[1] === '-' ? -ms : ms;
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.some((k) => k !== 'seconds' && k !== 'nanos')) return null;
    const s = Number(o.seconds ?? 0);
    const n = Number(o.nanos ?? 0);
    if (!Number.isFinite(s) || !Number.isFinite(n)) return null;
    return s * 1000 + n / 1e6;
  }
  return null;
}

/**
 * Checks `value` against `ty` and returns the normalised value: message keys in proto field (snake_case)
 * form, enums as their canonical upper-case name, durations as milliseconds, numbers as numbers,
 * `Any` as `{ '@type': fullName, ...fields }`. Issues are appended to `issues`.
 */
export function walk(ty: Ty, value: unknown, path: string, issues: WalkIssue[]): unknown {
  switch (ty.k) {
    case 'lazy':
      return walk(ty.get(), value, path, issues);
    case 'string':
      if (typeof value === 'number' || typeof value === 'boolean') value = String(value);
      if (typeof value !== 'string') {
        issues.push({ path, message: `expected a string, got ${describe(value)}` });
        return undefined;
      }
      if (ty.minLen && value.length < ty.minLen) {
        issues.push({ path, message: `must be a non-empty string` });
      }
      return value;
    case 'bytes':
      if (typeof value !== 'string') {
        issues.push({ path, message: `expected base64 bytes, got ${describe(value)}` });
        return undefined;
      }
      if (!/^[A-Za-z0-9+/\-_\s]*=*\s*$/.test(value)) {
        issues.push({ path, message: `invalid base64 data` });
      }
      return value;
    case 'bool':
      if (value === 'true' || value === 'false') return value === 'true';
      if (typeof value !== 'boolean') {
        issues.push({ path, message: `expected true or false, got ${describe(value)}` });
        return undefined;
      }
      return value;
    case 'uint':
    case 'int':
    case 'double': {
      let n: number;
      if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'value' in value) {
        value = (value as { value: unknown }).value; // wrapper type written as a message
      }
      if (typeof value === 'number') n = value;
      else if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) n = Number(value);
      else {
        issues.push({ path, message: `expected a number, got ${describe(value)}` });
        return undefined;
      }
      if (ty.k !== 'double' && !Number.isInteger(n)) {
        issues.push({ path, message: `expected an integer, got ${n}` });
        return undefined;
      }
      if (ty.k === 'uint' && n < 0) {
        issues.push({ path, message: `must not be negative, got ${n}` });
        return undefined;
      }
      if (ty.min !== undefined && n < ty.min) issues.push({ path, message: `must be at least ${ty.min}, got ${n}` });
      if (ty.max !== undefined && n > ty.max) issues.push({ path, message: `must be at most ${ty.max}, got ${n}` });
      return n;
    }
    case 'duration': {
      const ms = parseDurationMs(value);
      if (ms === null) {
        issues.push({ path, message: `invalid duration ${describe(value)} (expected e.g. "0.25s")` });
        return undefined;
      }
      if (ms < 0) issues.push({ path, message: `duration must not be negative` });
      else if (ty.minMs !== undefined && ms < ty.minMs) {
        issues.push({ path, message: `duration must be at least ${ty.minMs / 1000}s` });
      }
      return ms;
    }
    case 'enum': {
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < ty.values.length) {
        return ty.values[value];
      }
      if (typeof value === 'string') {
        const up = value.toUpperCase();
        if (ty.values.includes(up)) return up;
      }
      issues.push({ path, message: `invalid value ${describe(value)}; expected one of ${ty.values.join(', ')}` });
      return undefined;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        issues.push({ path, message: `expected a list, got ${describe(value)}` });
        return undefined;
      }
      if (ty.minItems && value.length < ty.minItems) {
        issues.push({ path, message: `must have at least ${ty.minItems} item(s)` });
      }
      return value.map((v, i) => walk(ty.of, v, `${path}[${i}]`, issues));
    }
    case 'map': {
      if (!isObject(value)) {
        issues.push({ path, message: `expected a map, got ${describe(value)}` });
        return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) out[key] = walk(ty.of, v, `${path}.${key}`, issues);
      return out;
    }
    case 'struct':
      if (!isObject(value)) {
        issues.push({ path, message: `expected an object, got ${describe(value)}` });
        return undefined;
      }
      return value;
    case 'any':
      return walkAny(ty, value, path, issues);
    case 'msg':
      return walkMsg(ty, value, path, issues);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function walkAny(ty: AnyTy, value: unknown, path: string, issues: WalkIssue[]): unknown {
  if (!isObject(value)) {
    issues.push({ path, message: `expected a typed config object, got ${describe(value)}` });
    return undefined;
  }
  // An empty Any (`typed_config: {}`) is unset in protobuf JSON: the filter is found by name.
  if (Object.keys(value).length === 0) return undefined;
  const url = value['@type'];
  if (typeof url !== 'string') {
    issues.push({ path: `${path}.@type`, message: `missing "@type"` });
    return undefined;
  }
  const slash = url.lastIndexOf('/');
  const full = slash >= 0 ? url.slice(slash + 1) : url;
  if (slash >= 0 && url.slice(0, slash + 1) !== TYPE_PREFIX && !url.includes('/')) {
    issues.push({ path: `${path}.@type`, message: `invalid type URL "${url}"` });
  }
  let mt = ty.types[full];
  if (!mt) {
    const known = ty.unsupportedTypes?.includes(full);
    issues.push({
      path: `${path}.@type`,
      message: known
        ? `"${full}" is not supported by nuncio`
        : `unsupported type "${full}" here; expected one of ${Object.keys(ty.types).join(', ')}`,
    });
    return undefined;
  }
  if (typeof mt === 'function') mt = mt();
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== '@type') rest[k] = v;
  const out = walkMsg(mt, rest, path, issues) as Record<string, unknown> | undefined;
  return out ? { '@type': full, ...out } : undefined;
}

function walkMsg(ty: MsgTy, value: unknown, path: string, issues: WalkIssue[]): unknown {
  if (value === null || value === undefined) value = {};
  if (!isObject(value)) {
    issues.push({ path, message: `expected an object (${ty.name}), got ${describe(value)}` });
    return undefined;
  }
  const idx = fieldIndex(ty);
  const out: Record<string, unknown> = {};
  const unsupported = ty.unsupported ?? [];
  const seen = new Set<string>();
  for (const [key, v] of Object.entries(value)) {
    const field = idx.get(key);
    if (field !== undefined) seen.add(field);
    const fpath = path ? `${path}.${key}` : key;
    if (field === undefined) {
      issues.push({ path: fpath, message: 'unknown field' });
      continue;
    }
    if (unsupported.includes(field)) {
      issues.push({ path: fpath, message: `${ty.name}.${field} is not supported by nuncio` });
      continue;
    }
    if (field in out) {
      issues.push({ path: fpath, message: `field "${field}" given twice` });
      continue;
    }
    if (v === null) continue; // protobuf JSON: null means unset
    out[field] = walk(ty.fields[field], v, fpath, issues);
  }
  for (const group of ty.oneofs ?? []) {
    const set = group.fields.filter((f) => seen.has(f));
    if (set.length > 1) {
      issues.push({ path, message: `only one of ${group.fields.join(', ')} may be set (got ${set.join(', ')})` });
    } else if (group.required && set.length === 0) {
      issues.push({ path, message: `one of ${group.fields.join(', ')} is required` });
    }
  }
  for (const f of ty.required ?? []) {
    if (!seen.has(f)) issues.push({ path: path ? `${path}.${f}` : f, message: 'is required' });
  }
  return out;
}
