// Envoy names unnamed listeners with a random UUID; nuncio derives a UUID-shaped name from the address
// instead, so the same listener keeps its name across reloads.
import type { SocketAddress } from './types.js';

function fnv1a(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function stableListenerName(a: SocketAddress): string {
  const key = `${a.address}:${a.port}`;
  const hex = [0x811c9dc5, 0x1234567, 0x9e3779b9, 0x7f4a7c15]
    .map((seed) => fnv1a(key, seed).toString(16).padStart(8, '0'))
    .join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
