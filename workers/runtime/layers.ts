// The merged runtime of a snapshot: its static layers, its disk layers read now, and the admin layer's
// overrides (empty at start-up and in --mode validate).
import type { Snapshot } from '../../core/config/types.js';
import { mergeRuntime, type RuntimeEntry, type RuntimeValue } from '../../core/config/runtime.js';
import { readDiskLayer } from './disk-layer.js';

export function runtimeEntriesFor(s: Snapshot, adminLayer: Record<string, RuntimeValue>): Map<string, RuntimeEntry> {
  const dyn = new Map<string, Record<string, RuntimeValue>>();
  for (const l of s.runtime.layers) {
    if (l.kind === 'disk' && l.directory) dyn.set(l.name, readDiskLayer(l.directory));
    if (l.kind === 'admin') dyn.set(l.name, adminLayer);
  }
  return mergeRuntime(s.runtime, dyn);
}
