// Per-connection HTTP/2 protections Envoy's connection manager and codec apply, on top of what node:http2
// (nghttp2) enforces itself: the HCM idle_timeout and max_connection_duration, the premature-reset (rapid reset, CVE-2023-44487)
// accounting, the PRIORITY flood limit, and the counters for floods and refusals node handles natively
// (it reports them only as session errors, or - for streams it refuses before they reach JavaScript -
// not at all, so those are found from the gaps they leave in the client's stream ids).
import http2 from 'node:http2';
import type { TimerHandle, TimerTarget } from '../../core/http/contracts.js';
import type { HcmRuntime } from '../../core/http/hcm.js';
import { CODEC, HCM } from '../../core/stats/defs.js';

const { NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR } = http2.constants;

/** Envoy's overload.premature_reset_total_stream_count default. */
const PREMATURE_RESET_TOTAL_STREAMS = 500;
/** A stream reset by the client before its response and younger than this (Envoy: lifetime <= 1 s, in whole seconds). */
const PREMATURE_RESET_LIFETIME_MS = 2000;

const T_IDLE = 0;
const T_MAX_DURATION = 1;

const kGuard = Symbol('nuncio.h2guard');
type GuardedSession = http2.ServerHttp2Session & { [kGuard]?: H2SessionGuard };

export class H2SessionGuard implements TimerTarget {
  private active = 0;
  private opened = 0;
  private closed = 0;
  private premature = 0;
  private priorityFrames = 0;
  private lastStreamId = -1;
  private idleTimer: TimerHandle | null = null;
  private maxTimer: TimerHandle | null = null;
  private done = false;

  constructor(
    readonly hcm: HcmRuntime,
    readonly session: http2.ServerHttp2Session,
  ) {
    (session as GuardedSession)[kGuard] = this;
    session.on('error', onSessionError);
    session.on('priority', onPriority);
    session.once('close', onSessionClose);
    this.armIdle();
    const max = hcm.cfg.maxConnectionDurationMs;
    if (max > 0) this.maxTimer = hcm.services.timers.schedule(max, this, T_MAX_DURATION);
  }

  static of(session: http2.Http2Session | undefined): H2SessionGuard | undefined {
    return session === undefined ? undefined : (session as GuardedSession)[kGuard];
  }

  /** A stream reached JavaScript. Ids the client used in between were refused by nghttp2 itself. */
  streamOpened(id: number, stream: http2.ServerHttp2Stream): void {
    const gap = (id - this.lastStreamId) / 2 - 1;
    if (id > this.lastStreamId) this.lastStreamId = id;
    // Below max_concurrent_streams nghttp2 refuses a stream only for its header list (size, count, or
    // session memory): Envoy resets those with http2.header_overflow.
    if (gap > 0 && this.active < this.hcm.cfg.http2.maxConcurrentStreams) {
      this.hcm.services.codecStats[CODEC['http2.header_overflow']] += gap;
    }
    this.active++;
    this.opened++;
    stream.on('priority', onPriority);
    if (this.idleTimer !== null) {
      this.idleTimer.cancel();
      this.idleTimer = null;
    }
  }

  /** A stream ended; `prematureReset` when the client reset it young and before any response. */
  streamClosed(prematureReset: boolean): void {
    this.active--;
    this.closed++;
    if (prematureReset) this.premature++;
    if (this.closed >= PREMATURE_RESET_TOTAL_STREAMS && this.premature * 2 >= this.closed && !this.done) {
      this.hcm.stats[HCM.downstream_rq_too_many_premature_resets]++;
      this.abort();
      return;
    }
    if (this.active === 0) this.armIdle();
  }

  /** Is this reset "premature" in Envoy's sense? */
  static premature(startMono: number, now: number, responded: boolean): boolean {
    return !responded && now - startMono < PREMATURE_RESET_LIFETIME_MS;
  }

  onPriorityFrame(): void {
    this.priorityFrames++;
    const limit = this.hcm.cfg.http2.maxInboundPriorityFramesPerStream * (1 + this.opened);
    if (this.priorityFrames > limit && !this.done) {
      this.hcm.services.codecStats[CODEC['http2.inbound_priority_frames_flood']]++;
      this.abort();
    }
  }

  /** node:http2 tore the session down: count why, as Envoy counts the same conditions. */
  onError(err: Error & { code?: string }): void {
    const codec = this.hcm.services.codecStats;
    if (err.code === 'ERR_HTTP2_TOO_MANY_INVALID_FRAMES') {
      // Empty DATA frames without END_STREAM are what node counts as invalid here.
      codec[CODEC['http2.inbound_empty_frames_flood']]++;
    } else if (err.code === 'ERR_HTTP2_ERROR' && /flood/i.test(err.message)) {
      // nghttp2 queued more than 1000 PING/SETTINGS acknowledgements the client does not read.
      codec[CODEC['http2.outbound_control_flood']]++;
    } else if (err.code === 'ERR_HTTP2_ERROR') {
      this.hcm.stats[HCM.downstream_cx_protocol_error]++;
    }
    // ERR_HTTP2_SESSION_ERROR is the client's own GOAWAY error code, or our abort(): not counted again.
  }

  onTimer(kind: number): void {
    if (kind === T_MAX_DURATION) {
      this.maxTimer = null;
      if (this.done) return;
      // HCM max_connection_duration: drain as Envoy does (GOAWAY, in-flight streams finish, then close).
      this.goawayClose(HCM.downstream_cx_max_duration_reached);
      return;
    }
    if (kind !== T_IDLE) return;
    this.idleTimer = null;
    if (this.done || this.active > 0) return;
    // HCM idle_timeout: no stream for that long; GOAWAY and close.
    this.goawayClose(HCM.downstream_cx_idle_timeout);
  }

  private armIdle(): void {
    const ms = this.hcm.cfg.idleTimeoutMs;
    if (ms > 0 && this.idleTimer === null && !this.done) this.idleTimer = this.hcm.services.timers.schedule(ms, this, T_IDLE);
  }

  /** The server is draining (Envoy's drain close): GOAWAY, the streams in flight finish, then the session closes. */
  drainClose(): void {
    if (!this.done) this.goawayClose(HCM.downstream_cx_drain_close);
  }

  /** Counts why, sends GOAWAY (NO_ERROR, the last stream nghttp2 processed) and closes once the streams end. */
  private goawayClose(stat: number): void {
    this.done = true;
    this.hcm.stats[stat]++;
    const s = this.session;
    if (!s.destroyed) {
      s.goaway(NGHTTP2_NO_ERROR);
      s.close();
    }
  }

  /** Ends the connection for abuse: GOAWAY ENHANCE_YOUR_CALM, then close. */
  private abort(): void {
    this.done = true;
    const s = this.session;
    // destroy(code) sends GOAWAY with that code (and emits an ERR_HTTP2_SESSION_ERROR, not counted).
    if (!s.destroyed) (s.destroy as unknown as (code: number) => void)(NGHTTP2_ENHANCE_YOUR_CALM);
  }

  sessionClosed(): void {
    this.done = true;
    if (this.idleTimer !== null) {
      this.idleTimer.cancel();
      this.idleTimer = null;
    }
    if (this.maxTimer !== null) {
      this.maxTimer.cancel();
      this.maxTimer = null;
    }
  }
}

function onSessionError(this: GuardedSession, err: Error): void {
  this[kGuard]?.onError(err);
}

function onSessionClose(this: GuardedSession): void {
  this[kGuard]?.sessionClosed();
}

function onPriority(this: http2.Http2Session | http2.ServerHttp2Stream): void {
  const session = 'session' in this ? (this as http2.ServerHttp2Stream).session : (this as http2.Http2Session);
  H2SessionGuard.of(session)?.onPriorityFrame();
}
