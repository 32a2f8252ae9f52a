// A cluster's hosts on one worker, and the choice Envoy makes before load balancing: healthy hosts only,
// unless fewer than the panic threshold are healthy, in which case all hosts (panic mode).
import type { ClusterConfig } from '../config/types.js';
import { Host, type HostSpec } from './host.js';
import type { ActiveRequests, LoadBalancer, Random } from './lb/types.js';
import { RoundRobinLb } from './lb/round-robin.js';
import { LeastRequestLb } from './lb/least-request.js';
import { RandomLb } from './lb/random.js';

export function createLb(cfg: ClusterConfig, activeOf: ActiveRequests, random: Random = Math.random): LoadBalancer {
  switch (cfg.lbPolicy) {
    case 'LEAST_REQUEST':
      return new LeastRequestLb(cfg.leastRequestChoiceCount, activeOf, random);
    case 'RANDOM':
      return new RandomLb(random);
    default:
      return new RoundRobinLb(random);
  }
}

/** Envoy's default overprovisioning factor (1.4, as a percentage). */
const OVERPROVISIONING_PERCENT = 140;

/**
 * Envoy's panic decision for a single priority (LoadBalancerBase::recalculatePerPriorityPanic):
 * never when the overprovisioned availability (healthy share x 1.4, capped at 100 %) is full, else
 * when the healthy share is below the threshold. An empty set is in panic unless the threshold is 0.
 */
export function inPanic(healthy: number, total: number, thresholdPercent: number): boolean {
  const threshold = Math.min(thresholdPercent, 100);
  if (threshold <= 0) return false;
  if (total === 0) return true;
  if (Math.min(100, Math.floor((OVERPROVISIONING_PERCENT * healthy) / total)) === 100) return false;
  return (100 * healthy) / total < threshold;
}

export class HostSet {
  hosts: Host[] = [];
  /** True while fewer than the panic threshold of hosts are healthy (LB runs over all hosts). */
  panic = false;
  private readonly byKey = new Map<string, Host>();

  constructor(
    readonly lb: LoadBalancer,
    private readonly panicThresholdPercent: number,
  ) {}

  /**
   * Applies a new membership: hosts with the same address and port are kept (with their pools and
   * state); others are created. Returns the hosts that left, so their pools can drain.
   */
  update(specs: readonly HostSpec[]): Host[] {
    const next: Host[] = [];
    const keep = new Set<string>();
    for (const s of specs) {
      const key = s.address.includes(':') ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
      let h = this.byKey.get(key);
      if (!h) {
        h = Host.from(s);
      } else {
        // Same endpoint: Envoy updates weight (and metadata) on the existing host, keeping its connections.
        h.weight = s.weight;
        h.statIndex = s.statIndex;
        h.hostname = s.hostname;
      }
      h.healthFlags = s.healthFlags;
      next.push(h);
      keep.add(key);
    }
    const removed: Host[] = [];
    for (const [k, h] of this.byKey) if (!keep.has(k)) removed.push(h);
    this.byKey.clear();
    for (const h of next) this.byKey.set(h.key, h);
    this.hosts = next;
    this.rebuild();
    return removed;
  }

  /** Re-evaluates health and panic; called after membership or health flag changes. */
  rebuild(): void {
    const healthy = this.hosts.filter((h) => h.healthy);
    this.panic = inPanic(healthy.length, this.hosts.length, this.panicThresholdPercent);
    this.lb.setHosts(this.panic ? this.hosts : healthy);
  }

  get(key: string): Host | undefined {
    return this.byKey.get(key);
  }
}
