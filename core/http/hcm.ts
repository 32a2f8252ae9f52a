// One HTTP connection manager (a filter chain's HCM) on one worker, for one config version: the route
// table, compiled header mutations, this worker's stat rows, access loggers and the worker services the
// request path needs. Every Exchange pins the HcmRuntime it started with, so a reload never changes a
// request in flight.
import type { HcmConfig, HeaderMutations, HeaderValueOption, ListenerConfig, Route, VirtualHost } from '../config/types.js';
import { RouteTable } from '../router/table.js';
import type { ClusterRuntime } from '../cluster/runtime.js';
import type { Host } from '../cluster/host.js';
import type { HostStats } from '../cluster/runtime.js';
import type { HistogramWriter } from '../stats/histograms.js';
import type { Clock, Timers } from './contracts.js';
import { ENVOY_CONTROL_HEADERS, NO_MUTATIONS, type CompiledHeaderOption, type CompiledMutations } from './headers.js';
import type { AccessLogRecord } from '../access-log/record.js';
import { CidrSet } from './cidr.js';
import { HeaderMatcher } from '../router/string-match.js';

/** What a worker provides to every HCM it runs. */
export interface WorkerServices {
  readonly workerIndex: number;
  readonly timers: Timers;
  readonly clock: Clock;
  readonly random: () => number;
  readonly codecStats: Float64Array;
  readonly hostStats: HostStats;
  /** Current cluster by name (the worker swaps the map on reload). */
  cluster(name: string): ClusterRuntime | undefined;
  /** Set while the server is draining or /healthcheck/fail is in effect. */
  readonly state: { draining: boolean; healthCheckFailed: boolean };
  /**
   * The server's own address (Envoy's local_info address: the first non-loopback IPv4 of the machine, or
   * a loopback one): what x-forwarded-for gets for a loopback peer under use_remote_address.
   */
  readonly localIp: string;
  /** Builds the request id (UUIDv4). */
  uuid(): string;
  /** Reports an unexpected error caught at a request boundary (logged and counted). */
  onError?(e: unknown): void;
  /** A host crossed an outlier detection threshold (bit 1: consecutive 5xx, bit 2: gateway failures). */
  outlierHit(cluster: string, host: Host, which: number): void;
}

/** An access log target: a compiled formatter plus a sink, both supplied by the worker. */
export interface AccessLogger {
  log(rec: AccessLogRecord): void;
}

export class HcmRuntime {
  readonly routes: RouteTable;
  readonly serverName: string;
  readonly internal: CidrSet;
  /** Headers an external request may not carry: Envoy's control headers plus internal_only_headers. */
  readonly externalStrip: ReadonlySet<string>;
  /** envoy.filters.http.health_check: its header matchers (all must match), or null. */
  readonly healthCheck: { readonly matchers: readonly HeaderMatcher[]; readonly passThrough: boolean } | null;
  private readonly mutationCache = new Map<object, CompiledMutations>();
  private readonly responseMutationCache = new Map<object, CompiledMutations>();

  constructor(
    readonly cfg: HcmConfig,
    readonly listener: ListenerConfig,
    readonly isTls: boolean,
    readonly stats: Float64Array,
    readonly hist: HistogramWriter,
    readonly services: WorkerServices,
    readonly accessLoggers: readonly AccessLogger[],
    /** Router filter options. */
    readonly suppressEnvoyHeaders = false,
  ) {
    this.routes = new RouteTable(cfg.routeConfig);
    this.serverName = cfg.serverName;
    this.internal = new CidrSet(cfg.internalCidrs);
    this.externalStrip = new Set([...ENVOY_CONTROL_HEADERS, ...cfg.routeConfig.internalOnlyHeaders]);
    this.healthCheck = cfg.healthCheck ? { matchers: cfg.healthCheck.headers.map((h) => new HeaderMatcher(h)), passThrough: cfg.healthCheck.passThroughMode } : null;
    // Compile every header mutation list once.
    const rc = cfg.routeConfig;
    this.compile(rc);
    for (const vh of rc.virtualHosts) {
      this.compile(vh);
      for (const r of vh.routes) {
        this.compile(r);
        if (r.action.type === 'route' && r.action.weightedClusters) for (const w of r.action.weightedClusters) this.compile(w);
      }
    }
  }

  private compile(m: HeaderMutations): void {
    const req = compileMutations(m.requestHeadersToAdd, m.requestHeadersToRemove);
    const res = compileMutations(m.responseHeadersToAdd, m.responseHeadersToRemove);
    this.mutationCache.set(m, req);
    this.responseMutationCache.set(m, res);
  }

  requestMutations(m: HeaderMutations): CompiledMutations {
    return this.mutationCache.get(m) ?? NO_MUTATIONS;
  }

  responseMutations(m: HeaderMutations): CompiledMutations {
    return this.responseMutationCache.get(m) ?? NO_MUTATIONS;
  }
}

function compileMutations(add: readonly HeaderValueOption[], remove: readonly string[]): CompiledMutations {
  if (add.length === 0 && remove.length === 0) return NO_MUTATIONS;
  const opts: CompiledHeaderOption[] = add.map((o) => ({
    key: o.key,
    // %% is a literal percent; other %COMMAND% values are refused at config load (see check).
    literal: o.value.replace(/%%/g, '%'),
    fn: null,
    appendAction: o.appendAction,
    keepEmptyValue: o.keepEmptyValue,
  }));
  return { add: opts, remove };
}
