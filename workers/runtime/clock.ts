// The worker clock: monotonic ms, wall ms, and the HTTP date string, recomputed at most once a second.
import type { Clock } from '../../core/http/contracts.js';

export class SystemClock implements Clock {
  private dateSecond = -1;
  private date = '';

  now(): number {
    return performance.now();
  }

  wallNow(): number {
    return Date.now();
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
