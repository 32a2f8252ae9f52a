// RANDOM: a uniformly random host, or weight-proportional when weights differ (prefix sums + binary search).
import type { Host } from '../host.js';
import type { LoadBalancer, Random } from './types.js';

export class RandomLb implements LoadBalancer {
  private hosts: readonly Host[] = [];
  private cumulative: Float64Array | null = null;
  private total = 0;

  constructor(private readonly random: Random = Math.random) {}

  setHosts(hosts: readonly Host[]): void {
    this.hosts = hosts;
    const w0 = hosts.length > 0 ? hosts[0].weight : 1;
    if (hosts.every((h) => h.weight === w0)) {
      this.cumulative = null;
      return;
    }
    this.cumulative = new Float64Array(hosts.length);
    let s = 0;
    hosts.forEach((h, i) => {
      s += h.weight;
      this.cumulative![i] = s;
    });
    this.total = s;
  }

  choose(): Host | null {
    const n = this.hosts.length;
    if (n === 0) return null;
    const cum = this.cumulative;
    if (!cum) return this.hosts[Math.floor(this.random() * n)];
    const x = this.random() * this.total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return this.hosts[lo];
  }
}
