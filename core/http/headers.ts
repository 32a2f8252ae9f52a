// Flat header list helpers ([name, value, ...], names lower-case) and Envoy's header mutations.
// Lists are small (tens of entries), so linear scans beat maps and allocate nothing.
import type { HeaderValueOption } from '../config/types.js';
import type { FlatHeaders } from './contracts.js';

export function hGet(h: FlatHeaders, name: string): string | undefined {
  for (let i = 0; i < h.length; i += 2) if (h[i] === name) return h[i + 1];
  return undefined;
}

export function hHas(h: FlatHeaders, name: string): boolean {
  for (let i = 0; i < h.length; i += 2) if (h[i] === name) return true;
  return false;
}

/** All values of a header joined with ',' (how Envoy matches repeated headers), or undefined. */
export function hGetJoined(h: FlatHeaders, name: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === name) out = out === undefined ? h[i + 1] : `${out},${h[i + 1]}`;
  }
  return out;
}

/** Removes every entry named `name`; returns true if any was removed. */
export function hRemove(h: FlatHeaders, name: string): boolean {
  let w = 0;
  let removed = false;
  for (let r = 0; r < h.length; r += 2) {
    if (h[r] === name) {
      removed = true;
      continue;
    }
    if (w !== r) {
      h[w] = h[r];
      h[w + 1] = h[r + 1];
    }
    w += 2;
  }
  if (w !== h.length) h.length = w;
  return removed;
}

/** Removes every entry whose name is in `names`, in one pass. */
export function hRemoveAny(h: FlatHeaders, names: ReadonlySet<string>): void {
  let w = 0;
  for (let r = 0; r < h.length; r += 2) {
    if (names.has(h[r])) continue;
    if (w !== r) {
      h[w] = h[r];
      h[w + 1] = h[r + 1];
    }
    w += 2;
  }
  if (w !== h.length) h.length = w;
}

/** Sets `name` to `value`, replacing all existing entries (position of the first is kept). */
export function hSet(h: FlatHeaders, name: string, value: string): void {
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === name) {
      h[i + 1] = value;
      // Drop later duplicates.
      let w = i + 2;
      for (let r = i + 2; r < h.length; r += 2) {
        if (h[r] === name) continue;
        if (w !== r) {
          h[w] = h[r];
          h[w + 1] = h[r + 1];
        }
        w += 2;
      }
      if (w !== h.length) h.length = w;
      return;
    }
  }
  h.push(name, value);
}

/** A compiled header value: literal, or a formatter for values with %COMMAND% operators. */
export type HeaderValueFn = (ctx: unknown) => string;

export interface CompiledHeaderOption {
  readonly key: string;
  readonly literal: string | null;
  readonly fn: HeaderValueFn | null;
  readonly appendAction: HeaderValueOption['appendAction'];
  readonly keepEmptyValue: boolean;
}

export interface CompiledMutations {
  readonly add: readonly CompiledHeaderOption[];
  readonly remove: readonly string[];
}

export const NO_MUTATIONS: CompiledMutations = Object.freeze({ add: [], remove: [] });

/** Values of `add` for one applyMutations call (null = skipped); reused, so the hot path allocates nothing. */
const pendingValues: (string | null)[] = [];

/**
 * Applies removals, then additions, as Envoy's HeaderParser::evaluateHeaders: every option is decided
 * against the headers as they are after the removals (ADD_IF_ABSENT and OVERWRITE_IF_EXISTS do not see
 * each other's additions); then all overwrites are applied (the header moves to the end, as Envoy's
 * setReferenceKey), then all appends, each group in config order. `ctx` feeds %VAR% values.
 */
export function applyMutations(h: FlatHeaders, m: CompiledMutations, ctx: unknown): void {
  for (let i = 0; i < m.remove.length; i++) hRemove(h, m.remove[i]);
  const add = m.add;
  const n = add.length;
  if (n === 0) return;
  for (let i = 0; i < n; i++) {
    const o = add[i];
    const value = o.literal !== null ? o.literal : o.fn!(ctx);
    let use = value !== '' || o.keepEmptyValue;
    if (use && o.appendAction === 'ADD_IF_ABSENT') use = !hHas(h, o.key);
    else if (use && o.appendAction === 'OVERWRITE_IF_EXISTS') use = hHas(h, o.key);
    pendingValues[i] = use ? value : null;
  }
  for (let i = 0; i < n; i++) {
    const v = pendingValues[i];
    const a = add[i].appendAction;
    if (v === null || (a !== 'OVERWRITE_IF_EXISTS_OR_ADD' && a !== 'OVERWRITE_IF_EXISTS')) continue;
    hRemove(h, add[i].key);
    h.push(add[i].key, v);
  }
  for (let i = 0; i < n; i++) {
    const v = pendingValues[i];
    const a = add[i].appendAction;
    if (v !== null && (a === 'APPEND_IF_EXISTS_OR_ADD' || a === 'ADD_IF_ABSENT')) h.push(add[i].key, v);
    pendingValues[i] = null;
  }
}

/** Hop-by-hop and connection-specific headers that never cross the proxy (Envoy's list). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);

/** True when a `te` value lists the `trailers` token (`te: trailers, deflate` included). */
function teHasTrailers(v: string): boolean {
  if (v === 'trailers') return true; // the usual value (gRPC clients): no scan
  let start = 0;
  for (;;) {
    const comma = v.indexOf(',', start);
    const tok = (comma < 0 ? v.slice(start) : v.slice(start, comma)).trim().toLowerCase();
    if (tok === 'trailers') return true;
    if (comma < 0) return false;
    start = comma + 1;
  }
}

/**
 * Removes hop-by-hop request headers. `te` survives only when it lists `trailers`, and is then sent as
 * exactly `te: trailers` (Envoy's ConnectionManagerUtility::sanitizeTEHeader).
 */
export function stripRequestHopByHop(h: FlatHeaders): void {
  let w = 0;
  for (let r = 0; r < h.length; r += 2) {
    const n = h[r];
    if (HOP_BY_HOP.has(n) || n === 'content-length') continue;
    if (n === 'te') {
      if (!teHasTrailers(h[r + 1])) continue;
      h[r + 1] = 'trailers';
    }
    // The proxy answers 100-continue itself (Envoy's default, proxy_100_continue off).
    if (n === 'expect' && h[r + 1].toLowerCase() === '100-continue') continue;
    if (w !== r) {
      h[w] = h[r];
      h[w + 1] = h[r + 1];
    }
    w += 2;
  }
  if (w !== h.length) h.length = w;
}

/** Removes hop-by-hop response headers and framing (engines add their own). */
export function stripResponseHopByHop(h: FlatHeaders): void {
  let w = 0;
  for (let r = 0; r < h.length; r += 2) {
    const n = h[r];
    if (HOP_BY_HOP.has(n) || n === 'content-length') continue;
    if (w !== r) {
      h[w] = h[r];
      h[w + 1] = h[r + 1];
    }
    w += 2;
  }
  if (w !== h.length) h.length = w;
}

/** Envoy's control headers that external requests may not set (stripped at the edge). */
export const ENVOY_CONTROL_HEADERS: readonly string[] = [
  'x-envoy-retry-on',
  'x-envoy-retry-grpc-on',
  'x-envoy-max-retries',
  'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-force-trace',
  'x-envoy-upstream-alt-stat-name',
  'x-envoy-upstream-rq-timeout-alt-response',
  'x-envoy-hedge-on-per-try-timeout',
  'x-envoy-retriable-status-codes',
  'x-envoy-retriable-header-names',
  'x-envoy-ip-tags',
  'x-envoy-original-url',
  'x-envoy-internal',
];
