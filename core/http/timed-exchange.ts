// The per-stream timeouts of Envoy's connection manager, for engines to build their Exchange on:
// stream_idle_timeout (408 "stream timeout", or 504 once the whole request is in) and request_timeout
// (408 "request timeout"). Engines report activity; the idle timer is re-armed lazily from a timestamp,
// so bytes flowing cost a clock read, not a timer.
import { Exchange } from './exchange.js';
import type { TimerHandle } from './contracts.js';
import { HCM } from '../stats/defs.js';
import { RF_SI } from '../access-log/response-flags.js';

// Timer kinds above the Exchange's own (0-2).
const T_STREAM_IDLE = 16;
const T_REQUEST = 17;

export abstract class TimedExchange extends Exchange {
  private idleTimer: TimerHandle | null = null;
  private requestTimer: TimerHandle | null = null;
  private lastActivity = 0;

  /** True while the stream can still get a reply (not finished, not reset, connection open). */
  protected abstract streamOpen(): boolean;

  /**
   * Starts stream_idle_timeout and request_timeout for a stream whose head has just been read;
   * `elapsedMs` is how long the stream already existed (its head arrived in pieces).
   */
  armStreamTimers(elapsedMs: number): void {
    const cfg = this.hcm.cfg;
    const timers = this.hcm.services.timers;
    if (cfg.streamIdleTimeoutMs > 0) {
      this.lastActivity = this.hcm.services.clock.now();
      this.idleTimer = timers.schedule(cfg.streamIdleTimeoutMs, this, T_STREAM_IDLE);
    }
    if (cfg.requestTimeoutMs > 0 && !this.requestComplete) {
      this.requestTimer = timers.schedule(Math.max(1, cfg.requestTimeoutMs - elapsedMs), this, T_REQUEST);
    }
  }

  /** Request or response bytes moved: the stream is not idle. */
  touchStream(): void {
    if (this.idleTimer !== null) this.lastActivity = this.hcm.services.clock.now();
  }

  /** The request is complete or the response has begun: request_timeout no longer applies. */
  disarmRequestTimeout(): void {
    if (this.requestTimer !== null) {
      this.requestTimer.cancel();
      this.requestTimer = null;
    }
  }

  /** The stream is over (response done, reset, or connection gone). */
  stopStreamTimers(): void {
    this.disarmRequestTimeout();
    if (this.idleTimer !== null) {
      this.idleTimer.cancel();
      this.idleTimer = null;
    }
  }

  override onTimer(kind: number): void {
    if (kind === T_STREAM_IDLE) {
      this.idleTimer = null;
      if (!this.streamOpen()) return;
      const hcm = this.hcm;
      const limit = hcm.cfg.streamIdleTimeoutMs;
      const quiet = hcm.services.clock.now() - this.lastActivity;
      if (quiet < limit) {
        this.idleTimer = hcm.services.timers.schedule(limit - quiet, this, T_STREAM_IDLE);
        return;
      }
      hcm.stats[HCM.downstream_rq_idle_timeout]++;
      this.disarmRequestTimeout();
      this.timeoutReply('stream timeout', RF_SI, 'stream_idle_timeout');
      return;
    }
    if (kind === T_REQUEST) {
      this.requestTimer = null;
      if (!this.streamOpen()) return;
      this.hcm.stats[HCM.downstream_rq_timeout]++;
      this.stopStreamTimers();
      this.timeoutReply('request timeout', 0, 'request_overall_timeout');
      return;
    }
    super.onTimer(kind);
  }

  /**
   * 408, or 504 once the whole request is in (Envoy's maybeRequestTimeoutCode). A request cut short
   * leaves an HTTP/1.1 connection unusable, so it closes after the reply.
   */
  private timeoutReply(body: string, flags: number, details: string): void {
    if (!this.requestComplete) this.ds.closeAfterResponse();
    this.localReply(this.requestComplete ? 504 : 408, body, flags, details);
  }
}
