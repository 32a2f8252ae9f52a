// A stat block: one scope's slots (a cluster, an HTTP connection manager, a listener, ...) in a
// SharedArrayBuffer with one row per writer. Worker i writes only row i; the admin thread writes only
// the last row (gauges it owns, such as membership). Readers sum the column. Float64 keeps counters
// exact to 2^53; an aligned 8-byte store is a single instruction on the platforms we run on, so a reader
// sees either the old or the new value.

export type BlockType = 'cluster' | 'hcm' | 'listener' | 'server' | 'codec' | 'hosts';

/** What a worker needs to map a block: structured-cloneable. */
export interface BlockDescriptor {
  readonly key: string;
  readonly type: BlockType;
  readonly size: number;
  readonly rows: number;
  readonly sab: SharedArrayBuffer;
  /** Host pages only: Int32 counters updated with Atomics by every worker (outlier detection). */
  readonly aux?: SharedArrayBuffer;
}

export class StatBlock implements BlockDescriptor {
  readonly sab: SharedArrayBuffer;
  private readonly all: Float64Array;

  constructor(
    readonly key: string,
    readonly type: BlockType,
    readonly size: number,
    readonly rows: number,
    sab?: SharedArrayBuffer,
    readonly aux?: SharedArrayBuffer,
  ) {
    this.sab = sab ?? new SharedArrayBuffer(size * rows * 8);
    this.all = new Float64Array(this.sab);
  }

  static from(d: BlockDescriptor): StatBlock {
    return new StatBlock(d.key, d.type, d.size, d.rows, d.sab, d.aux);
  }

  descriptor(): BlockDescriptor {
    return { key: this.key, type: this.type, size: this.size, rows: this.rows, sab: this.sab, ...(this.aux ? { aux: this.aux } : {}) };
  }

  /** The writable view of one row (a worker's own slots, or the admin row = rows - 1). */
  row(i: number): Float64Array {
    return new Float64Array(this.sab, i * this.size * 8, this.size);
  }

  /** Sum of one slot over all rows. */
  sum(slot: number): number {
    let s = 0;
    for (let r = 0, o = slot; r < this.rows; r++, o += this.size) s += this.all[o];
    return s;
  }

  /** One slot of one row (per-worker views such as listener.X.worker_N.*). */
  at(row: number, slot: number): number {
    return this.all[row * this.size + slot];
  }

  /** Zeroes slots [from, to) in every row; with `kinds`, only counters ('c'). */
  reset(from = 0, to = this.size, isCounter?: (slot: number) => boolean): void {
    for (let r = 0; r < this.rows; r++) {
      const base = r * this.size;
      for (let s = from; s < to; s++) if (!isCounter || isCounter(s)) this.all[base + s] = 0;
    }
  }

  /** Zeroes one row (a replaced worker's gauges must not outlive its connections). */
  resetRow(row: number, slots: Iterable<number>): void {
    const base = row * this.size;
    for (const s of slots) this.all[base + s] = 0;
  }
}
