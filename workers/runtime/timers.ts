// The worker's timer service: one native timer per thread instead of one per request. Timers of the same
// duration expire in the order they were set, so each duration gets a FIFO queue and only queue heads
// are ever inspected; cancelled entries are skipped lazily and compacted in bulk.
import type { TimerHandle, TimerTarget, Timers } from '../../core/http/contracts.js';

class Entry implements TimerHandle {
  cancelled = false;
  constructor(
    readonly deadline: number,
    readonly seq: number,
    readonly target: TimerTarget,
    readonly kind: number,
    readonly queue: Queue,
  ) {}

  cancel(): void {
    if (!this.cancelled) {
      this.cancelled = true;
      this.queue.dead++;
    }
  }
}

class Queue {
  items: Entry[] = [];
  head = 0;
  dead = 0;
  constructor(readonly ms: number) {}

  get live(): number {
    return this.items.length - this.head - this.dead;
  }

  /** The first entry still due to fire (cancelled heads are dropped), or null. */
  peek(): Entry | null {
    while (this.head < this.items.length) {
      const e = this.items[this.head];
      if (!e.cancelled) return e;
      this.head++;
      this.dead--;
    }
    return null;
  }

  compact(): void {
    const keep: Entry[] = [];
    for (let i = this.head; i < this.items.length; i++) if (!this.items[i].cancelled) keep.push(this.items[i]);
    this.items = keep;
    this.head = 0;
    this.dead = 0;
  }
}

/** A callback's exception must not stop the other timers; it is rethrown on its own. */
function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

export class TimerWheel implements Timers {
  private readonly queues = new Map<number, Queue>();
  private armedAt = Infinity;
  private handle: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;
  private readonly onTickBound = () => this.onTick();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly onError: (err: unknown) => void = rethrowLater,
  ) {}

  schedule(ms: number, target: TimerTarget, kind: number): TimerHandle {
    const d = Math.max(0, Math.round(ms));
    let q = this.queues.get(d);
    if (!q) {
      q = new Queue(d);
      this.queues.set(d, q);
    }
    const e = new Entry(this.now() + d, this.seq++, target, kind, q);
    q.items.push(e);
    if (q.dead > 1024 && q.dead > q.live) q.compact();
    if (e.deadline < this.armedAt) this.arm(e.deadline);
    return e;
  }

  /** Number of live timers (tests). */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.live;
    return n;
  }

  private arm(deadline: number): void {
    if (this.handle !== null) clearTimeout(this.handle);
    this.armedAt = deadline;
    const delay = Math.max(0, deadline - this.now());
    this.handle = setTimeout(this.onTickBound, Math.ceil(delay));
    // A pending timer must not keep a draining worker alive.
    (this.handle as { unref?: () => void }).unref?.();
  }

  private onTick(): void {
    this.handle = null;
    this.armedAt = Infinity;
    const now = this.now() + 0.5;
    // Timers set by the callbacks below wait for the next tick (a 0 ms timer re-armed from its own
    // callback must not spin here forever).
    const limit = this.seq;
    // Fire due timers in deadline order across durations (matters when the loop was late).
    for (;;) {
      let best: Entry | null = null;
      for (const q of this.queues.values()) {
        const e = q.peek();
        if (e === null || e.deadline > now || e.seq >= limit) continue;
        if (best === null || e.deadline < best.deadline || (e.deadline === best.deadline && e.seq < best.seq)) best = e;
      }
      if (best === null) break;
      best.queue.head++;
      best.cancelled = true; // fired: a later cancel() is a no-op
      try {
        best.target.onTimer(best.kind);
      } catch (err) {
        this.onError(err);
      }
    }
    let next = Infinity;
    for (const [ms, q] of this.queues) {
      const h = q.peek();
      if (h === null) {
        this.queues.delete(ms);
        continue;
      }
      if (q.head > 1024) {
        q.items = q.items.slice(q.head);
        q.head = 0;
      }
      if (h.deadline < next) next = h.deadline;
    }
    if (next < Infinity && next < this.armedAt) this.arm(next);
  }
}
