// LEAST_REQUEST as Envoy: with equal weights, power of `choiceCount` random choices (the host with fewer
// active requests wins); with unequal weights, EDF over weight / (active + 1) (active_request_bias 1.0).
import type { Host } from '../host.js';
import type { ActiveRequests, LoadBalancer, Random } from './types.js';
import { EdfScheduler } from './edf.js';

export class LeastRequestLb implements LoadBalancer {
  private hosts: readonly Host[] = [];
  private edf: EdfScheduler | null = null;

  constructor(
    private readonly choiceCount: number,
    private readonly activeOf: ActiveRequests,
    private readonly random: Random = Math.random,
  ) {}

  setHosts(hosts: readonly Host[]): void {
    this.hosts = hosts;
    const w0 = hosts.length > 0 ? hosts[0].weight : 1;
    const equal = hosts.every((h) => h.weight === w0);
    this.edf = equal ? null : new EdfScheduler(hosts, (h) => h.weight / (this.activeOf(h) + 1));
    // As Envoy (EdfScheduler::createWithPicks with the LB's seed): each worker starts at its own point.
    if (this.edf) for (let i = Math.floor(this.random() * hosts.length); i > 0; i--) this.edf.pick();
  }

  choose(): Host | null {
    const n = this.hosts.length;
    if (n === 0) return null;
    if (n === 1) return this.hosts[0];
    if (this.edf) return this.edf.pick();
    let best: Host | null = null;
    let bestActive = Infinity;
    for (let i = 0; i < this.choiceCount; i++) {
      const h = this.hosts[Math.floor(this.random() * n)];
      const a = this.activeOf(h);
      if (a < bestActive) {
        best = h;
        bestActive = a;
      }
    }
    return best;
  }
}
