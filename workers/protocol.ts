// Messages between the admin (main) thread and the workers. Everything is structured-cloneable;
// SharedArrayBuffers inside stats descriptors are shared, not copied.
import type { MessagePort } from 'node:worker_threads';
import type { Snapshot } from '../core/config/types.js';
import type { HostSpec } from '../core/cluster/host.js';
import type { StatsLayout } from '../core/stats/registry.js';
import type { BlockDescriptor } from '../core/stats/block.js';
import type { BunListenerMode } from './engines/bun-support.js';

/** TLS material of one filter chain, resolved by the admin thread. */
export interface ChainTls {
  readonly certChainPem: string;
  readonly privateKeyPem: string;
  readonly passphrase: string;
  readonly caPem: string;
  /** Private files holding the same PEM, for uWebSockets.js (which reads keys only from files). */
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
  /** Further certificates of the chain (several tls_certificates). */
  readonly extra: readonly { readonly certChainPem: string; readonly privateKeyPem: string; readonly passphrase: string }[];
}

/** A cluster's UpstreamTlsContext material, resolved on the admin thread (empty strings: not configured). */
export interface ClusterTls {
  readonly caPem: string;
  /** The client certificate (common_tls_context.tls_certificates[0]) and its key. */
  readonly certChainPem: string;
  readonly privateKeyPem: string;
  readonly passphrase: string;
}

export interface ListenerPlan {
  readonly name: string;
  readonly engine: 'uws' | 'node' | 'bun';
  /** Shared bound socket (node engine); -1 for uWS and Bun (each worker binds with SO_REUSEPORT). */
  readonly fd: number;
  /** How Bun.serve runs this listener (engine 'bun' only). */
  readonly bun: BunListenerMode | null;
  /** One entry per filter chain, in config order; null for plaintext chains. */
  readonly tls: readonly (ChainTls | null)[];
  /** Connection limit from the runtime (0 = none). */
  readonly connectionLimit: number;
  /** Open connections of this listener (Int32Array, Atomics): [0] over all workers, [1 + w] worker w's. */
  readonly counter: SharedArrayBuffer;
}

export interface ConfigPush {
  readonly version: number;
  readonly snapshot: Snapshot;
  readonly stats: StatsLayout;
  readonly listeners: readonly ListenerPlan[];
  /** Resolved UpstreamTlsContext material by cluster name (TLS clusters only). */
  readonly clusterTls: Readonly<Record<string, ClusterTls>>;
  readonly membership: Readonly<Record<string, readonly HostSpec[]>>;
  /** Global downstream connection limit (overload.global_downstream_max_connections; 0 = none). */
  readonly globalConnectionLimit: number;
  /** Open downstream connections (Int32Array over this): [0] across workers, [1 + w] worker w's. */
  readonly globalConnections: SharedArrayBuffer;
  /**
   * Server-wide flags the admin thread writes and workers read on the request path (Int32Array over
   * this): [0] = /healthcheck/fail is in force. Shared so that the admin endpoint's answer means every
   * worker already sees it.
   */
  readonly serverFlags: SharedArrayBuffer;
}

export type ToWorker =
  | { readonly type: 'config'; readonly push: ConfigPush }
  | { readonly type: 'membership'; readonly cluster: string; readonly hosts: readonly HostSpec[]; readonly pages: readonly BlockDescriptor[] }
  | { readonly type: 'health'; readonly failed: boolean }
  | { readonly type: 'drain'; readonly graceful: boolean }
  | { readonly type: 'stop'; readonly deadlineMs: number }
  /** Test hook (NUNCIO_TEST_HOOKS=1): the worker exits as if it had crashed. */
  | { readonly type: 'crash' };

export type FromWorker =
  | { readonly type: 'applied'; readonly worker: number; readonly version: number; readonly errors: readonly string[] }
  | { readonly type: 'log'; readonly worker: number; readonly level: string; readonly text: string }
  | { readonly type: 'stopped'; readonly worker: number }
  | { readonly type: 'outlier'; readonly cluster: string; readonly address: string; readonly port: number; readonly which: number };

export interface WorkerTask {
  readonly worker: number;
  readonly rows: number;
  readonly port: MessagePort;
  readonly logLevel: string;
  readonly hostname: string;
}
