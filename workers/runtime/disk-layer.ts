// A runtime disk layer: every file under the directory is a key (path segments joined with '.'),
// its trimmed content the value, as Envoy's DiskLayer reads it.
import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeValue } from '../../core/config/runtime.js';

export function readDiskLayer(dir: string): Record<string, RuntimeValue> {
  const out: Record<string, RuntimeValue> = {};
  const walk = (d: string, prefix: string, depth: number): void => {
    if (depth > 16) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      const key = prefix ? `${prefix}.${e.name}` : e.name;
      let st: fs.Stats;
      try {
        st = fs.statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, key, depth + 1);
      else if (st.isFile() && st.size < 64 * 1024) out[key] = fs.readFileSync(p, 'utf8').trim();
    }
  };
  walk(dir, '', 0);
  return out;
}
