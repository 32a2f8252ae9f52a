// A small declarative schema for the protobuf-JSON subset of Envoy's v3 API that nuncio reads, and the
// walker that checks a parsed YAML/JSON tree against it. The walker accepts what protobuf's JSON parser
// in legacy mode (Envoy's) accepts: lowerCamelCase names, wrappers and durations also as objects, enum
// names in any case, a lone item for a list, `{}` as an unset Any; it reports every problem with its
// field path, so one run shows the operator all the errors.

export type Ty =
  | { readonly k: 'string'; readonly minLen?: number; readonly header?: 'name' | 'value' }
  | { readonly k: 'bytes' }
  | { readonly k: 'bool' }
  | { readonly k: 'uint'; readonly min?: number; readonly max?: number }
  | { readonly k: 'int'; readonly min?: number; readonly max?: number }
  | { readonly k: 'double'; readonly min?: number; readonly max?: number }
  | DurationTy
  | { readonly k: 'enum'; readonly values: readonly string[] }
  | MsgTy
  | { readonly k: 'list'; readonly of: Ty; readonly minItems?: number }
  | { readonly k: 'map'; readonly of: Ty }
  | { readonly k: 'struct' }
  | AnyTy
  | { readonly k: 'lazy'; readonly get: () => Ty };

/** PGV duration rules, in milliseconds. */
export interface DurationRule {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
}

export interface DurationTy extends DurationRule {
  readonly k: 'duration';
}

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

const UINT32_MAX = 4294967295;

export const str = (minLen?: number): Ty => ({ k: 'string', minLen });
/** A string with PGV's HTTP_HEADER_NAME / HTTP_HEADER_VALUE rule (strict: false: no NUL, CR, LF). */
export const headerStr = (header: 'name' | 'value', minLen?: number): Ty => ({ k: 'string', minLen, header });
export const bool: Ty = { k: 'bool' };
export const bytes: Ty = { k: 'bytes' };
/** uint32 unless a larger max is given. */
export const uint = (min?: number, max: number = UINT32_MAX): Ty => ({ k: 'uint', min, max });
export const int = (min?: number, max?: number): Ty => ({ k: 'int', min, max });
export const double = (min?: number, max?: number): Ty => ({ k: 'double', min, max });
export const duration = (rule: DurationRule = {}): Ty => ({ k: 'duration', ...rule });
/** Enum names in number order; '' marks a reserved number. */
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

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}

// protobuf's Duration limit (10000 years), and its JSON grammar: optional '-', digits, up to nine
// fractional digits, a single 's'. No spaces, no exponent, no other unit.
const DURATION_MAX_SECONDS = 315576000000;
const DURATION_RE = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/;

/**
 * Parses a protobuf-JSON duration ("0.25s", "5s", "-1.5s") or, as protobuf's legacy JSON parser (the
 * one Envoy uses) also allows, a {seconds, nanos} object of integers. Returns ms, or null if invalid.
 */
export function parseDurationMs(v: unknown): number | null {
  if (typeof v === 'string') {
    const m = DURATION_RE.exec(v);
    if (!m) return null;
    const secs = Number(m[2]);
    if (secs > DURATION_MAX_SECONDS) return null;
    const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
    const ms = secs * 1000 + nanos / 1e6;
    return m[1] === '-' ? -ms : ms;
  }
  if (isObject(v)) {
    if (Object.keys(v).some((k) => k !== 'seconds' && k !== 'nanos')) return null;
    const s = intValue(v.seconds ?? 0);
    const n = intValue(v.nanos ?? 0);
    if (s === null || n === null) return null;
    if (Math.abs(s) > DURATION_MAX_SECONDS || Math.abs(n) > 999999999) return null;
    if ((s > 0 && n < 0) || (s < 0 && n > 0)) return null; // protobuf: seconds and nanos share a sign
    return s * 1000 + n / 1e6;
  }
  return null;
}

/** A JSON integer or a string of one (protobuf accepts int64s quoted); null if neither. */
function intValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  if (typeof v === 'string' && /^[-+]?\d+$/.test(v)) return Number(v);
  return null;
}

/** protobuf's TimeUtil::ToString for a whole number of milliseconds: "0s", "0.001s", "300s". */
function secondsText(ms: number): string {
  return `${ms / 1000}s`;
}

// absl::SimpleAtob, which protobuf's legacy JSON parser uses for quoted booleans.
const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0']);

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
      // Envoy turns unquoted YAML numbers and booleans into JSON numbers and booleans, which a string
      // field does not take: `value: 1` is an error there too.
      if (typeof value !== 'string') {
        const hint = typeof value === 'number' || typeof value === 'boolean' ? ' (quote it)' : '';
        issues.push({ path, message: `expected a string, got ${describe(value)}${hint}` });
        return undefined;
      }
      if (ty.minLen && value.length < ty.minLen) {
        issues.push({ path, message: `must be a non-empty string` });
      } else if (ty.header && /[\0\r\n]/.test(value)) {
        issues.push({ path, message: `value does not match regex pattern for HTTP header ${ty.header} (no NUL, CR or LF)` });
      }
      return value;
    case 'bytes':
      if (typeof value !== 'string') {
        issues.push({ path, message: `expected base64 bytes, got ${describe(value)}` });
        return undefined;
      }
      if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(value) || value.replace(/=+$/, '').length % 4 === 1) {
        issues.push({ path, message: `invalid base64 data` });
      }
      return value;
    case 'bool':
      if (isObject(value) && Object.keys(value).length === 1 && 'value' in value) value = value.value; // BoolValue
      if (typeof value === 'string') {
        const w = value.toLowerCase();
        if (TRUE_WORDS.has(w)) return true;
        if (FALSE_WORDS.has(w)) return false;
      }
      if (typeof value !== 'boolean') {
        issues.push({ path, message: `expected true or false, got ${describe(value)}` });
        return undefined;
      }
      return value;
    case 'uint':
    case 'int':
    case 'double': {
      if (isObject(value) && Object.keys(value).length === 1 && 'value' in value) {
        value = value.value; // a wrapper type written as a message, which the legacy parser allows
      }
      let n: number | null;
      if (ty.k === 'double') {
        n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() === value && value !== '' && Number.isFinite(Number(value)) ? Number(value) : null;
      } else {
        n = intValue(value);
        if (n === null && typeof value === 'number' && Number.isFinite(value)) {
          issues.push({ path, message: `expected an integer, got ${value}` });
          return undefined;
        }
      }
      if (n === null) {
        issues.push({ path, message: `expected a number, got ${describe(value)}` });
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
      else if (ty.gt !== undefined && !(ms > ty.gt)) issues.push({ path, message: `value must be greater than ${secondsText(ty.gt)}` });
      else if (ty.gte !== undefined && ms < ty.gte) {
        issues.push({ path, message: `value must be greater than or equal to ${secondsText(ty.gte)}` });
      } else if (ty.lt !== undefined && !(ms < ty.lt)) issues.push({ path, message: `value must be less than ${secondsText(ty.lt)}` });
      return ms;
    }
    case 'enum': {
      const num = intValue(value);
      if (num !== null && num >= 0 && num < ty.values.length && ty.values[num] !== '') return ty.values[num];
      if (typeof value === 'string' && value !== '') {
        const up = value.toUpperCase();
        if (ty.values.includes(up)) return up;
      }
      const names = ty.values.filter((v) => v !== '').join(', ');
      issues.push({ path, message: `invalid value ${describe(value)}; expected one of ${names}` });
      return undefined;
    }
    case 'list': {
      // protobuf's legacy JSON parser (Envoy's) takes a single element in place of a list.
      const items = Array.isArray(value) ? value : [value];
      if (ty.minItems && items.length < ty.minItems) {
        issues.push({ path, message: `must have at least ${ty.minItems} item(s)` });
      }
      const of = ty.of.k === 'lazy' ? ty.of.get() : ty.of;
      return items.map((v, i) => {
        const p = `${path}[${i}]`;
        if (v === null && of.k !== 'msg') {
          issues.push({ path: p, message: 'a list item must not be null' });
          return undefined;
        }
        return walk(of, v, p, issues);
      });
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

/** An `Any` written as `{}`: protobuf's legacy parser takes it as an unset value. */
function isEmptyAny(ty: Ty, v: unknown): boolean {
  const t = ty.k === 'lazy' ? ty.get() : ty;
  return t.k === 'any' && isObject(v) && Object.keys(v).length === 0;
}

/** "Cluster.RefreshRate" from "config.cluster.v3.Cluster.RefreshRate": the message part of a name. */
function shortName(name: string): string {
  const parts = name.split('.');
  const i = parts.findIndex((p) => /^[A-Z]/.test(p));
  return i < 0 ? name : parts.slice(i).join('.');
}

function walkAny(ty: AnyTy, value: unknown, path: string, issues: WalkIssue[]): unknown {
  if (!isObject(value)) {
    issues.push({ path, message: `expected a typed config object, got ${describe(value)}` });
    return undefined;
  }
  const url = value['@type'];
  if (url === undefined) {
    const empty = Object.keys(value).length === 0;
    issues.push({ path, message: empty ? 'missing "@type"' : 'missing "@type" (only an empty {} may leave it out)' });
    return undefined;
  }
  if (typeof url !== 'string') {
    issues.push({ path: `${path}.@type`, message: `expected a type URL string, got ${describe(url)}` });
    return undefined;
  }
  // Any.type_url: everything up to the last '/' is the (ignored) host part, the rest the type name.
  const slash = url.lastIndexOf('/');
  const full = url.slice(slash + 1);
  if (slash < 0 || full === '') {
    issues.push({ path: `${path}.@type`, message: `invalid type URL "${url}" (expected type.googleapis.com/<message name>)` });
    return undefined;
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
    issues.push({ path, message: `expected an object (${shortName(ty.name)}), got ${describe(value)}` });
    return undefined;
  }
  const idx = fieldIndex(ty);
  const out: Record<string, unknown> = {};
  const unsupported = ty.unsupported ?? [];
  const seen = new Set<string>();
  for (const [key, v] of Object.entries(value)) {
    const field = idx.get(key);
    // Keys that are not plain names (empty, spaces, punctuation) are quoted so the path stays readable.
    const shown = /^[\w@-]+$/.test(key) ? key : JSON.stringify(key);
    const fpath = path ? `${path}.${shown}` : shown;
    if (field === undefined) {
      issues.push({ path: fpath, message: 'unknown field' });
      continue;
    }
    if (seen.has(field)) {
      issues.push({ path: fpath, message: `field "${field}" given twice` });
      continue;
    }
    // protobuf JSON: null (and an Any written as {}) leave the field unset.
    if (v === null) continue;
    if (unsupported.includes(field)) {
      // Counted as set, so a oneof or required rule does not add a second error for the same field.
      seen.add(field);
      issues.push({ path: fpath, message: `${shortName(ty.name)}.${field} is not supported by nuncio` });
      continue;
    }
    if (isEmptyAny(ty.fields[field], v)) continue;
    seen.add(field);
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
