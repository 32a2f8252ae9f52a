// Earliest-deadline-first scheduling over weighted hosts (Envoy's EdfScheduler): each pick takes the
// host with the smallest deadline and pushes it back by 1/weight. A binary heap keeps picks O(log n);
// ties break by insertion order so the schedule is deterministic.
import type { Host } from '../host.js';

export class EdfScheduler {
  private readonly heap: { host: Host; deadline: number; order: number }[] = [];
  private now = 0;
  private seq = 0;

  constructor(hosts: readonly Host[], private readonly weightOf: (h: Host) => number) {
    for (const h of hosts) this.push(h, 1 / Math.max(weightOf(h), 1e-9));
  }

  pick(): Host | null {
    const top = this.heap[0];
    if (!top) return null;
    this.now = top.deadline;
    // Re-insert with the new deadline (weight may have changed, e.g. for LEAST_REQUEST).
    top.deadline = this.now + 1 / Math.max(this.weightOf(top.host), 1e-9);
    top.order = this.seq++;
    this.siftDown(0);
    return top.host;
  }

  private push(host: Host, deadline: number): void {
    this.heap.push({ host, deadline, order: this.seq++ });
    this.siftUp(this.heap.length - 1);
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    return x.deadline < y.deadline || (x.deadline === y.deadline && x.order < y.order);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [this.heap[i], this.heap[p]] = [this.heap[p], this.heap[i]];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      [this.heap[i], this.heap[m]] = [this.heap[m], this.heap[i]];
      i = m;
    }
  }
}
