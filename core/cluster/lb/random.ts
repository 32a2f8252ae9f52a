// RANDOM as Envoy: a uniformly random host. Envoy's random LB ignores endpoint weights
// (random_lb.cc indexes hosts by `random % size`), so nuncio does too.
import type { Host } from '../host.js';
import type { LoadBalancer, Random } from './types.js';

export class RandomLb implements LoadBalancer {
  private hosts: readonly Host[] = [];

  constructor(private readonly random: Random = Math.random) {}

  setHosts(hosts: readonly Host[]): void {
    this.hosts = hosts;
  }

  choose(): Host | null {
    const n = this.hosts.length;
    if (n === 0) return null;
    return this.hosts[Math.floor(this.random() * n)];
  }
}
