// ROUND_ROBIN as Envoy: plain rotation when weights are equal, earliest-deadline-first when they differ
// (a host with weight w is picked w times as often, spread evenly). The start is randomised per worker
// so workers do not march in lockstep over the same host.
import type { Host } from '../host.js';
import type { LoadBalancer, Random } from './types.js';
import { EdfScheduler } from './edf.js';

export class RoundRobinLb implements LoadBalancer {
  private hosts: readonly Host[] = [];
  private next = 0;
  private edf: EdfScheduler | null = null;

  constructor(private readonly random: Random = Math.random) {}

  setHosts(hosts: readonly Host[]): void {
    this.hosts = hosts;
    const w0 = hosts.length > 0 ? hosts[0].weight : 1;
    const equal = hosts.every((h) => h.weight === w0);
    this.edf = equal ? null : new EdfScheduler(hosts, (h) => h.weight);
    this.next = hosts.length > 0 ? Math.floor(this.random() * hosts.length) : 0;
    if (this.edf) {
      // Advance a random number of picks so workers start at different points of the schedule.
      for (let i = Math.floor(this.random() * hosts.length); i > 0; i--) this.edf.pick();
    }
  }

  choose(): Host | null {
    const n = this.hosts.length;
    if (n === 0) return null;
    if (this.edf) return this.edf.pick();
    const h = this.hosts[this.next];
    this.next = this.next + 1 === n ? 0 : this.next + 1;
    return h;
  }
}
