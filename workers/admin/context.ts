// What the admin endpoints can see and do: the live config, stats registry, membership, runtime and the
// server's lifecycle actions. The admin thread's server fills this in; handlers only read it and call it.
import type { Snapshot } from '../../core/config/types.js';
import type { StatsRegistry } from '../../core/stats/registry.js';
import type { HostSpec } from '../../core/cluster/host.js';
import type { RuntimeEntry } from '../../core/config/runtime.js';

/** Server state as Envoy's `server.state` gauge and /ready: 0 LIVE, 1 DRAINING, 2 PRE_INITIALIZING, 3 INITIALIZING. */
export type ServerState = 0 | 1 | 2 | 3;

export interface CommandLineOptions {
  readonly configPath: string;
  readonly configYaml: string;
  readonly mode: 'serve' | 'validate' | 'init_only';
  readonly concurrency: number;
  readonly serviceCluster: string;
  readonly serviceNode: string;
  readonly serviceZone: string;
  readonly logLevel: string;
  readonly componentLogLevel: string;
  readonly logPath: string;
  readonly logFormat: string;
  readonly drainTimeS: number;
  readonly parentShutdownTimeS: number;
  readonly drainStrategy: 'gradual' | 'immediate';
  readonly baseId: number;
  readonly restartEpoch: number;
  readonly disableHotRestart: boolean;
  readonly localAddressIpVersion: 'v4' | 'v6';
  readonly fileFlushIntervalMsec: number;
  readonly allowUnknownStaticFields: boolean;
  /** nuncio's own: which engine serves codec HTTP1 listeners (uws = uWebSockets.js fast path). */
  readonly http1Engine: 'uws' | 'node';
}

export interface AdminContext {
  readonly version: string;
  readonly startedAtMs: number;
  readonly options: CommandLineOptions;
  readonly hostname: string;
  snapshot(): Snapshot;
  readonly registry: StatsRegistry;
  /** Worker count (rows - 1 of every stat block). */
  readonly concurrency: number;
  /** Current hosts of a cluster, with health flags. */
  hosts(cluster: string): readonly HostSpec[];
  state(): ServerState;
  /** Merged runtime: layer names and entries. */
  runtime(): { layers: readonly string[]; entries: ReadonlyMap<string, RuntimeEntry> };
  /** Sets admin-layer runtime values; returns an error text or null. */
  runtimeModify(values: Record<string, string>): string | null;
  healthCheckFailed(): boolean;
  setHealthCheckFailed(failed: boolean): void;
  /** Stops listeners (graceful: drain first); skipExit keeps the process running. */
  drainListeners(opts: { graceful: boolean; inboundOnly: boolean; skipExit: boolean }): void;
  quit(): void;
  /** Current log level and the allowed names; setLogLevel returns false for an unknown level. */
  logLevel(): string;
  setLogLevel(level: string): boolean;
  /** Resolves when every worker has confirmed a counter reset (reset_counters). */
  resetCounters(): void;
  /** Extra memory numbers (heap) for /memory and server.memory_*. */
  memory(): { allocated: number; heapSize: number; physicalSize: number; pageheapUnmapped: number; pageheapFree: number; totalThreadCache: number };
  /** Earliest certificate expiry in ms since epoch (Infinity if none). */
  firstCertExpiryMs(): number;
  /** Listener name -> actual local address (ip:port). */
  listenerAddresses(): ReadonlyMap<string, string>;
}
