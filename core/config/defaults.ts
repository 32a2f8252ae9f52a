// Envoy's documented defaults for option groups that the builder fills in as a whole.
import type { CircuitBreakerThresholds, Http2Options } from './types.js';

/** config.core.v3.Http2ProtocolOptions defaults (Envoy 1.2x+). */
export const DEFAULT_HTTP2: Http2Options = Object.freeze({
  maxConcurrentStreams: 2147483647,
  initialStreamWindowSize: 268435456,
  initialConnectionWindowSize: 268435456,
  maxOutboundFrames: 10000,
  maxOutboundControlFrames: 1000,
  maxConsecutiveInboundFramesWithEmptyPayload: 1,
  maxInboundPriorityFramesPerStream: 100,
  maxInboundWindowUpdateFramesPerDataFrameSent: 10,
});

/** Circuit breaker thresholds when a priority has none configured. */
export const DEFAULT_THRESHOLDS: CircuitBreakerThresholds = Object.freeze({
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
  retryBudget: null,
});
