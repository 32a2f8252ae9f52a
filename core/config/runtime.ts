// Layered runtime: static layers flatten to `a.b.c` keys; later layers override earlier ones.
import type { RuntimeConfig } from './types.js';

export type RuntimeValue = string | number | boolean;

/**
 * Flattens a static_layer Struct into dotted keys, as Envoy's ProtoLayer does: nested maps become
 * `a.b.c`; an empty map or a FractionalPercent-like map (numerator/denominator) is one entry, kept
 * as JSON text; a list or null is "Invalid runtime entry value for <key>", appended to `errors`.
 */
export function flattenRuntime(
  o: unknown,
  prefix = '',
  out: Record<string, RuntimeValue> = {},
  errors: string[] = [],
): Record<string, RuntimeValue> {
  if (o === null || o === undefined || Array.isArray(o)) {
    errors.push(`Invalid runtime entry value for ${prefix}`);
    return out;
  }
  if (typeof o !== 'object') {
    out[prefix] = o as RuntimeValue;
    return out;
  }
  const fields = o as Record<string, unknown>;
  const keys = Object.keys(fields);
  if (prefix !== '' && (keys.length === 0 || 'numerator' in fields || 'denominator' in fields)) {
    out[prefix] = JSON.stringify(fields);
    return out;
  }
  for (const k of keys) flattenRuntime(fields[k], prefix ? `${prefix}.${k}` : k, out, errors);
  return out;
}

export interface RuntimeEntry {
  readonly finalValue: string;
  /** One value per layer, '' where the layer does not set the key (Envoy's /runtime shape). */
  readonly layerValues: readonly string[];
}

/** Merges the layers (plus values read from disk layers / set through the admin layer) into entries. */
export function mergeRuntime(
  cfg: RuntimeConfig,
  dynamic: ReadonlyMap<string, Readonly<Record<string, RuntimeValue>>> = new Map(),
): Map<string, RuntimeEntry> {
  const keys = new Set<string>();
  const perLayer = cfg.layers.map((l) => {
    const vals = l.kind === 'static' ? l.values : (dynamic.get(l.name) ?? {});
    for (const k of Object.keys(vals)) keys.add(k);
    return vals;
  });
  const out = new Map<string, RuntimeEntry>();
  for (const k of [...keys].sort()) {
    let finalValue = '';
    const layerValues = perLayer.map((vals) => {
      if (!(k in vals)) return '';
      finalValue = String(vals[k]);
      return finalValue;
    });
    out.set(k, { finalValue, layerValues });
  }
  return out;
}

/** Reads an integer runtime key, with Envoy's rule that non-numeric values fall back to the default. */
export function runtimeInt(entries: ReadonlyMap<string, RuntimeEntry>, key: string, dflt: number): number {
  const e = entries.get(key);
  if (!e) return dflt;
  const n = Number(e.finalValue);
  return Number.isFinite(n) && e.finalValue.trim() !== '' ? Math.floor(n) : dflt;
}

/** Runtime envoy.resource_limits.listener.<name>.connection_limit (0 = none). */
export function listenerConnectionLimit(entries: ReadonlyMap<string, RuntimeEntry>, listener: string): number {
  return runtimeInt(entries, `envoy.resource_limits.listener.${listener}.connection_limit`, 0);
}

/** Runtime overload.global_downstream_max_connections (0 = none). */
export function globalConnectionLimit(entries: ReadonlyMap<string, RuntimeEntry>): number {
  return runtimeInt(entries, 'overload.global_downstream_max_connections', 0);
}
