// What this Bun can serve of a config: the per-listener verdicts of engines/bun-support.ts with the
// capabilities probed here. Used when serving starts, on reload, and by --mode validate on Bun.
import type { Snapshot } from '../../core/config/types.js';
import { globalConnectionLimit, listenerConnectionLimit, type RuntimeEntry } from '../../core/config/runtime.js';
import { bunListenerMode, type BunCapabilities, type BunListenerMode } from '../engines/bun-support.js';
import { bunApi, bunServeHasHttp2 } from './bun.js';

export interface BunCheck {
  readonly version: string;
  readonly modes: Map<string, BunListenerMode>;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

export async function checkBunConfig(s: Snapshot, runtime: ReadonlyMap<string, RuntimeEntry>): Promise<BunCheck> {
  const caps: BunCapabilities = { version: bunApi().version, http2: await bunServeHasHttp2() };
  const modes = new Map<string, BunListenerMode>();
  const errors: string[] = [];
  const warnings: string[] = [];
  const global = globalConnectionLimit(runtime);
  for (const l of s.listeners) {
    const limit = listenerConnectionLimit(runtime, l.name);
    const v = bunListenerMode(l, caps, limit, global);
    errors.push(...v.errors);
    warnings.push(...v.warnings);
    if (v.mode !== null) modes.set(l.name, v.mode);
  }
  return { version: caps.version, modes, errors, warnings };
}

/** The StartError text for a config this Bun cannot serve. */
export function bunRefusal(c: BunCheck): string {
  return `nuncio on Bun ${c.version} cannot serve this config:\n${c.errors.join('\n')}`;
}
