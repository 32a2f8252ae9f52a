// Envoy's retry policy evaluation (RetryStateImpl): which responses and resets are retried, how many
// times, and the jittered exponential back-off between attempts.
import type { RetryPolicy } from '../config/types.js';
import { ResetReason, type FlatHeaders } from './contracts.js';
import { hGet, hHas } from './headers.js';

const ON_5XX = 1;
const ON_GATEWAY_ERROR = 2;
const ON_RESET = 4;
const ON_CONNECT_FAILURE = 8;
const ON_RETRIABLE_4XX = 16;
const ON_REFUSED_STREAM = 32;
const ON_RETRIABLE_STATUS_CODES = 64;
const ON_RESET_BEFORE_REQUEST = 128;
const ON_ENVOY_RATELIMITED = 256;

const NAMES: Record<string, number> = {
  '5xx': ON_5XX,
  'gateway-error': ON_GATEWAY_ERROR,
  reset: ON_RESET,
  'reset-before-request': ON_RESET_BEFORE_REQUEST,
  'connect-failure': ON_CONNECT_FAILURE,
  'retriable-4xx': ON_RETRIABLE_4XX,
  'refused-stream': ON_REFUSED_STREAM,
  'retriable-status-codes': ON_RETRIABLE_STATUS_CODES,
  'envoy-ratelimited': ON_ENVOY_RATELIMITED,
};

/** retry_on names nuncio understands (others are refused at config load). */
export const RETRY_ON_NAMES: readonly string[] = [...Object.keys(NAMES), 'retriable-headers', 'http3-post-connect-failure'];

export function parseRetryOn(list: readonly string[]): number {
  let bits = 0;
  for (const n of list) bits |= NAMES[n] ?? 0;
  return bits;
}

export class RetryState {
  remaining: number;
  exhausted = false;
  /** True while this request holds a slot of the cluster's retry circuit breaker (max_retries or budget). */
  active = false;
  private attempt = 0;

  private constructor(
    private readonly on: number,
    numRetries: number,
    readonly perTryTimeoutMs: number,
    private readonly codes: readonly number[],
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {
    this.remaining = numRetries;
  }

  /** Null when the request has no retry policy (route, vhost or x-envoy-retry-on from an internal caller). */
  static create(policy: RetryPolicy | null, h: FlatHeaders, internal: boolean, perTryMs: number): RetryState | null {
    let on = policy ? parseRetryOn(policy.retryOn) : 0;
    let num = policy ? policy.numRetries : 1;
    let codes: readonly number[] = policy ? policy.retriableStatusCodes : [];
    if (internal) {
      const hdr = hGet(h, 'x-envoy-retry-on');
      if (hdr !== undefined) on |= parseRetryOn(hdr.split(',').map((s) => s.trim()));
      const max = hGet(h, 'x-envoy-max-retries');
      if (max !== undefined && /^\d+$/.test(max)) num = Number(max);
      const rc = hGet(h, 'x-envoy-retriable-status-codes');
      if (rc !== undefined) codes = [...codes, ...rc.split(',').map((s) => Number(s.trim())).filter((n) => n >= 100 && n < 600)];
    }
    if (on === 0) return null;
    const base = policy?.backOffBaseMs ?? 25;
    const max = policy?.backOffMaxMs ?? base * 10;
    return new RetryState(on, num, perTryMs, codes, base, max);
  }

  shouldRetryStatus(status: number, headers: FlatHeaders): boolean {
    // A response rate-limited by an upstream Envoy is retried only under envoy-ratelimited (and then
    // whatever its status).
    if (hHas(headers, 'x-envoy-ratelimited')) return (this.on & ON_ENVOY_RATELIMITED) !== 0;
    if (this.on & ON_5XX && status >= 500 && status < 600) return true;
    if (this.on & ON_GATEWAY_ERROR && (status === 502 || status === 503 || status === 504)) return true;
    if (this.on & ON_RETRIABLE_4XX && status === 409) return true;
    if (this.on & ON_RETRIABLE_STATUS_CODES && this.codes.includes(status)) return true;
    return false;
  }

  shouldRetryReset(reason: ResetReason): boolean {
    // Envoy never retries a circuit-breaker overflow.
    if (reason === ResetReason.Overflow) return false;
    if (this.on & (ON_5XX | ON_GATEWAY_ERROR | ON_RESET)) return true;
    if (this.on & ON_CONNECT_FAILURE && (reason === ResetReason.ConnectionFailure || reason === ResetReason.ConnectionTimeout)) return true;
    if (this.on & ON_REFUSED_STREAM && reason === ResetReason.RemoteRefusedStream) return true;
    if (this.on & ON_RESET_BEFORE_REQUEST && (reason === ResetReason.ConnectionFailure || reason === ResetReason.ConnectionTimeout)) return true;
    return false;
  }

  shouldRetryTimeout(): boolean {
    return (this.on & (ON_5XX | ON_GATEWAY_ERROR | ON_RESET)) !== 0;
  }

  /** Jittered exponential back-off: uniform in [0, min((2^n - 1) * base, max)]. */
  nextBackOff(r: number): number {
    this.attempt++;
    const ceiling = Math.min((2 ** this.attempt - 1) * this.baseMs, this.maxMs);
    return Math.floor(r * ceiling);
  }
}
