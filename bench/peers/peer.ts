// What every proxy under test offers the scenarios: a name, a reason it cannot run here (or null),
// and start(), which brings it up on a port in front of the bench's upstream and returns the
// running process (its pid tree is what the bench meters).
import type { Proc } from '../lib/spawn.js';
import type { Proto } from '../lib/types.js';

export interface UpstreamAddress {
  readonly host: string;
  /** HTTP/1.1 port. */
  readonly h1Port: number;
  /** HTTP/2 cleartext (prior knowledge) port. */
  readonly h2Port: number;
}

export interface PeerStartOptions {
  /** Where the peer listens (127.0.0.1). */
  readonly port: number;
  /** Protocol the peer must accept from clients. */
  readonly downstream: Proto;
  /** Protocol the peer must speak to the upstream. */
  readonly upstream: Proto;
  readonly upstreamAddress: UpstreamAddress;
  /** Worker threads / processes. */
  readonly workers: number;
  readonly cpus?: string;
  /** Directory for the peer's config and logs. */
  readonly dir: string;
}

export interface RunningPeer {
  readonly proc: Proc;
  readonly port: number;
  /** nuncio only: the admin port. */
  readonly adminPort?: number;
  stop(): Promise<void>;
}

export interface Peer {
  readonly name: string;
  /** Why this peer cannot run on this machine, or null. */
  missing(): string | null;
  /** Which downstream/upstream protocol pairs it supports. */
  supports(downstream: Proto, upstream: Proto): boolean;
  start(o: PeerStartOptions): Promise<RunningPeer>;
}
