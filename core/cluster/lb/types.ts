// The load balancer contract: rebuilt when the host set changes (off the hot path), asked for one
// host per request (on it). Each worker owns its own instances, as Envoy's thread-local LBs.
import type { Host } from '../host.js';

export interface LoadBalancer {
  /** Replaces the hosts to choose from (already filtered for health / panic by the caller). */
  setHosts(hosts: readonly Host[]): void;
  /** A host, or null when there is none. Synchronous and allocation-free. */
  choose(): Host | null;
}

/** Source of randomness in [0, 1); injectable so tests are deterministic. */
export type Random = () => number;

/** Active requests on a host across all workers (LEAST_REQUEST reads the shared per-host gauge). */
export type ActiveRequests = (h: Host) => number;
