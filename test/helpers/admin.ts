// Reading a running nuncio's admin stats in tests.
import { get } from './net.js';

/** Every numeric `name: value` line of /stats (optionally filtered by a regex). */
export async function statsMap(adminPort: number, filter?: string): Promise<Map<string, number>> {
  const q = filter ? `?filter=${encodeURIComponent(filter)}` : '';
  const r = await get(`http://127.0.0.1:${adminPort}/stats${q}`);
  const m = new Map<string, number>();
  for (const line of r.body.split('\n')) {
    const i = line.lastIndexOf(': ');
    if (i > 0 && /^-?\d+(\.\d+)?$/.test(line.slice(i + 2))) m.set(line.slice(0, i), Number(line.slice(i + 2)));
  }
  return m;
}

/** One stat by exact name; 0 when it does not exist (yet): Envoy creates some stats lazily. */
export async function stat(adminPort: number, name: string): Promise<number> {
  const m = await statsMap(adminPort, `^${name.replace(/[.[\]]/g, '\\$&')}$`);
  return m.get(name) ?? 0;
}
