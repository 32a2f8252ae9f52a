// An upstream host as a worker sees it: address, weight, health as decided by the admin thread, and
// a slot in the shared per-host stats. Workers hang their connection pool on `pool`.

/** Envoy's health flags as printed in /clusters (`/failed_active_hc/failed_outlier_check`). */
export const HealthFlag = {
  FAILED_ACTIVE_HC: 1,
  FAILED_OUTLIER_CHECK: 2,
  FAILED_EDS_HEALTH: 4,
  DEGRADED_ACTIVE_HC: 8,
  PENDING_DYNAMIC_REMOVAL: 16,
  PENDING_ACTIVE_HC: 32,
  ACTIVE_HC_TIMEOUT: 64,
} as const;

export const HEALTH_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [HealthFlag.FAILED_ACTIVE_HC, 'failed_active_hc'],
  [HealthFlag.FAILED_OUTLIER_CHECK, 'failed_outlier_check'],
  [HealthFlag.FAILED_EDS_HEALTH, 'failed_eds_health'],
  [HealthFlag.DEGRADED_ACTIVE_HC, 'degraded_active_hc'],
  [HealthFlag.PENDING_DYNAMIC_REMOVAL, 'pending_dynamic_removal'],
  [HealthFlag.PENDING_ACTIVE_HC, 'pending_active_hc'],
  [HealthFlag.ACTIVE_HC_TIMEOUT, 'active_hc_timeout'],
];

/** Flags that take a host out of load balancing. */
export const UNHEALTHY_MASK =
  HealthFlag.FAILED_ACTIVE_HC | HealthFlag.FAILED_OUTLIER_CHECK | HealthFlag.FAILED_EDS_HEALTH | HealthFlag.ACTIVE_HC_TIMEOUT;

export function healthFlagsText(flags: number): string {
  if ((flags & ~HealthFlag.PENDING_DYNAMIC_REMOVAL) === 0 && flags === 0) return 'healthy';
  let s = '';
  for (const [bit, name] of HEALTH_FLAG_NAMES) if (flags & bit) s += `/${name}`;
  return s || 'healthy';
}

/** Plain-data description of a host, as the admin thread sends it. */
export interface HostSpec {
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  readonly weight: number;
  /** Index into the shared per-host stats pages. */
  readonly statIndex: number;
  readonly healthFlags: number;
}

export class Host {
  readonly key: string;
  healthFlags: number;
  /** The worker's connection pool for this host (set by the worker). */
  pool: unknown = null;
  /** Requests this worker has in flight on the host (LEAST_REQUEST adds other workers' via stats). */
  active = 0;

  constructor(
    readonly address: string,
    readonly port: number,
    // Mutable: a membership update changes them in place, so the host keeps its pool and identity.
    public hostname: string,
    public weight: number,
    public statIndex: number,
    healthFlags = 0,
  ) {
    this.key = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    this.healthFlags = healthFlags;
  }

  static from(s: HostSpec): Host {
    return new Host(s.address, s.port, s.hostname, s.weight, s.statIndex, s.healthFlags);
  }

  get healthy(): boolean {
    return (this.healthFlags & UNHEALTHY_MASK) === 0;
  }
}
