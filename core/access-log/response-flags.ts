// Envoy response flags (%RESPONSE_FLAGS%): bit constants for the AccessLogRecord mask and the
// short/long names, rendered in the order Envoy prints them.

// Bit values follow Envoy's ResponseFlag enum order, which is also the order in which Envoy joins
// the flag names (ResponseFlagUtils::ALL_RESPONSE_STRINGS_FLAGS).
export const RF_LH = 1 << 0;
export const RF_UH = 1 << 1;
export const RF_UT = 1 << 2;
export const RF_LR = 1 << 3;
export const RF_UR = 1 << 4;
export const RF_UF = 1 << 5;
export const RF_UC = 1 << 6;
export const RF_UO = 1 << 7;
export const RF_NR = 1 << 8;
export const RF_DI = 1 << 9;
export const RF_FI = 1 << 10;
export const RF_RL = 1 << 11;
export const RF_UAEX = 1 << 12;
export const RF_RLSE = 1 << 13;
export const RF_DC = 1 << 14;
export const RF_URX = 1 << 15;
export const RF_SI = 1 << 16;
export const RF_IH = 1 << 17;
export const RF_DPE = 1 << 18;
export const RF_UMSDR = 1 << 19;
export const RF_RFCF = 1 << 20;
export const RF_NFCF = 1 << 21;
export const RF_DT = 1 << 22;
export const RF_UPE = 1 << 23;
export const RF_NC = 1 << 24;
export const RF_OM = 1 << 25;
export const RF_DF = 1 << 26;
export const RF_DO = 1 << 27;

/** Short names indexed by bit position (Envoy's print order). */
export const RESPONSE_FLAG_SHORT_NAMES: readonly string[] = [
  'LH', 'UH', 'UT', 'LR', 'UR', 'UF', 'UC', 'UO', 'NR', 'DI', 'FI', 'RL', 'UAEX', 'RLSE', 'DC', 'URX',
  'SI', 'IH', 'DPE', 'UMSDR', 'RFCF', 'NFCF', 'DT', 'UPE', 'NC', 'OM', 'DF', 'DO',
];

/** Long (PascalCase) names indexed by bit position, as %RESPONSE_FLAGS_LONG% prints them. */
export const RESPONSE_FLAG_LONG_NAMES: readonly string[] = [
  'FailedLocalHealthCheck', 'NoHealthyUpstream', 'UpstreamRequestTimeout', 'LocalReset',
  'UpstreamRemoteReset', 'UpstreamConnectionFailure', 'UpstreamConnectionTermination', 'UpstreamOverflow',
  'NoRouteFound', 'DelayInjected', 'FaultInjected', 'RateLimited', 'UnauthorizedExternalService',
  'RateLimitServiceError', 'DownstreamConnectionTermination', 'UpstreamRetryLimitExceeded',
  'StreamIdleTimeout', 'InvalidEnvoyRequestHeaders', 'DownstreamProtocolError',
  'UpstreamMaxStreamDurationReached', 'ResponseFromCacheFilter', 'NoFilterConfigFound', 'DurationTimeout',
  'UpstreamProtocolError', 'NoClusterFound', 'OverloadManagerTerminated', 'DnsResolutionFailed',
  'DropOverload',
];

const FLAG_COUNT = RESPONSE_FLAG_SHORT_NAMES.length;

// Single flags dominate real traffic; precomputing them keeps the common case allocation-free.
const SINGLE_SHORT = new Map<number, string>();
const SINGLE_LONG = new Map<number, string>();
for (let i = 0; i < FLAG_COUNT; i++) {
  SINGLE_SHORT.set(1 << i, RESPONSE_FLAG_SHORT_NAMES[i]);
  SINGLE_LONG.set(1 << i, RESPONSE_FLAG_LONG_NAMES[i]);
}

function render(mask: number, names: readonly string[], single: Map<number, string>): string {
  if (mask === 0) return '-';
  const one = single.get(mask);
  if (one !== undefined) return one;
  let out = '';
  for (let i = 0; i < FLAG_COUNT; i++) {
    if ((mask & (1 << i)) !== 0) out = out === '' ? names[i] : out + ',' + names[i];
  }
  return out === '' ? '-' : out;
}

/** Renders a flag mask as %RESPONSE_FLAGS% does: comma-separated short names, '-' when none. */
export function responseFlagsToString(mask: number): string {
  return render(mask, RESPONSE_FLAG_SHORT_NAMES, SINGLE_SHORT);
}

/** Renders a flag mask as %RESPONSE_FLAGS_LONG% does. */
export function responseFlagsToLongString(mask: number): string {
  return render(mask, RESPONSE_FLAG_LONG_NAMES, SINGLE_LONG);
}

/** Bit for a short flag name ('UH' -> RF_UH), or 0 if unknown. */
export function responseFlagFromShortName(name: string): number {
  const i = RESPONSE_FLAG_SHORT_NAMES.indexOf(name);
  return i < 0 ? 0 : 1 << i;
}
