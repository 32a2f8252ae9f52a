// The worker clock: monotonic ms, wall ms, and the HTTP date string, recomputed at most once a second.
import type { Clock } from '../../core/http/contracts.js';

export class SystemClock implements Clock {
  private dateSecond = -1;
  private date = '';
  private cached = -1;
  private readonly forget = (): void => {
    this.cached = -1;
  };

  /**
   * Monotonic time, read once per event-loop callback (Envoy's dispatcher caches time per loop
   * iteration the same way): every request handled in one socket read shares one clock read, and
   * the cache is dropped in the microtask queue right after the callback.
   */
  now(): number {
    if (this.cached < 0) {
      this.cached = performance.now();
      queueMicrotask(this.forget);
    }
    return this.cached;
  }

  wallNow(): number {
    return Date.now();
  }

  wallOf(mono: number): number {
    // performance.now() counts from timeOrigin, so this needs no second clock read per request.
    return performance.timeOrigin + mono;
  }

  httpDate(): string {
    const ms = Date.now();
    const s = Math.floor(ms / 1000);
    if (s !== this.dateSecond) {
      this.dateSecond = s;
      this.date = new Date(s * 1000).toUTCString();
    }
    return this.date;
  }
}
