// Histograms with hdr-histogram-js, shared without messages: each worker records into its own hdr
// histogram whose counts array is that worker's row of a SharedArrayBuffer; the admin thread merges the
// rows into one hdr histogram when it renders. One extra slot per histogram keeps the exact sum (for
// Prometheus `_sum`). Values are milliseconds, clamped to the tracked range.
import * as hdr from 'hdr-histogram-js';

/** Two significant digits and ~4.6 hours of range keep a histogram near 20 KB per row. */
const SIGNIFICANT_DIGITS = 2;
export const HIST_MAX_VALUE = 2 ** 24;

type CountsHistogram = hdr.Histogram & { _counts: Float64Array; countsArrayLength: number; countsArrayIndex(v: number): number };

function newHistogram(): CountsHistogram {
  const h = new hdr.Float64Histogram(1, HIST_MAX_VALUE, SIGNIFICANT_DIGITS) as unknown as CountsHistogram;
  h.autoResize = false;
  return h;
}

/** Slots one histogram needs in a row: its counts plus the sum. */
export const HIST_SLOTS = newHistogram().countsArrayLength + 1;

/**
 * hdr-histogram-js's bucket index for small whole values, precomputed: recording is then one table
 * read and one increment (the worker never needs hdr's running min/max/total; the admin thread
 * recomputes them from the counts when it merges).
 */
const FAST_LIMIT = 4096;
const FAST_INDEX = (() => {
  const h = newHistogram();
  const t = new Int32Array(FAST_LIMIT);
  for (let v = 0; v < FAST_LIMIT; v++) t[v] = h.countsArrayIndex(v);
  return t;
})();
const slowIndexer = newHistogram();

/** One scope's histograms (e.g. a cluster's five) for every writer row, in one SharedArrayBuffer. */
export interface HistogramBlockDescriptor {
  readonly key: string;
  readonly names: readonly string[];
  readonly rows: number;
  readonly sab: SharedArrayBuffer;
}

export function newHistogramBlock(key: string, names: readonly string[], rows: number): HistogramBlockDescriptor {
  return { key, names, rows, sab: new SharedArrayBuffer(names.length * HIST_SLOTS * rows * 8) };
}

/** A worker's writer for one histogram block (its own row only). */
export class HistogramWriter {
  private readonly hists: CountsHistogram[] = [];
  private readonly sums: Float64Array;
  private readonly n: number;

  constructor(d: HistogramBlockDescriptor, row: number) {
    this.n = d.names.length;
    const rowBase = row * this.n * HIST_SLOTS * 8;
    this.sums = new Float64Array(d.sab, rowBase, this.n * HIST_SLOTS);
    for (let i = 0; i < this.n; i++) {
      const h = newHistogram();
      h._counts = new Float64Array(d.sab, rowBase + i * HIST_SLOTS * 8, HIST_SLOTS - 1);
      this.hists.push(h);
    }
  }

  /** Records one value (ms) into histogram `i`. */
  record(i: number, value: number): void {
    const v = value < 0 ? 0 : value > HIST_MAX_VALUE ? HIST_MAX_VALUE : Math.round(value);
    const idx = v < FAST_LIMIT ? FAST_INDEX[v] : slowIndexer.countsArrayIndex(v);
    this.hists[i]._counts[idx]++;
    this.sums[i * HIST_SLOTS + HIST_SLOTS - 1] += value;
  }
}

export const SUPPORTED_QUANTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100] as const;
/** Envoy's default histogram bucket bounds (ms). */
export const BUCKET_BOUNDS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
] as const;

/** A merged view: quantiles, cumulative bucket counts at BUCKET_BOUNDS, count and sum. */
export interface HistogramStats {
  readonly count: number;
  readonly sum: number;
  /** Per SUPPORTED_QUANTILES; NaN when empty. */
  readonly quantiles: readonly number[];
  /** Cumulative counts for each bound of BUCKET_BOUNDS. */
  readonly buckets: readonly number[];
}

export const EMPTY_HISTOGRAM: HistogramStats = Object.freeze({
  count: 0,
  sum: 0,
  quantiles: SUPPORTED_QUANTILES.map(() => NaN),
  buckets: BUCKET_BOUNDS.map(() => 0),
});

/** Merges all rows of histogram `i` of a block into `counts` (length HIST_SLOTS; last = sum). */
export function mergeRows(d: HistogramBlockDescriptor, i: number, counts: Float64Array): void {
  counts.fill(0);
  const all = new Float64Array(d.sab);
  const n = d.names.length;
  for (let r = 0; r < d.rows; r++) {
    const base = (r * n + i) * HIST_SLOTS;
    for (let s = 0; s < HIST_SLOTS; s++) counts[s] += all[base + s];
  }
}

const scratch = newHistogram();

/** Summarises merged counts (as from mergeRows, possibly minus an earlier snapshot). */
export function summarize(counts: Float64Array): HistogramStats {
  scratch._counts.set(counts.subarray(0, HIST_SLOTS - 1));
  (scratch as unknown as { establishInternalTackingValues(): void }).establishInternalTackingValues();
  const count = scratch.totalCount;
  if (count === 0) return EMPTY_HISTOGRAM;
  const quantiles = SUPPORTED_QUANTILES.map((q) => scratch.getValueAtPercentile(q));
  const buckets: number[] = [];
  const len = HIST_SLOTS - 1;
  let idx = 0;
  let cum = 0;
  for (const bound of BUCKET_BOUNDS) {
    // Values are whole ms: a value v lies in (bound-1, bound] iff v <= bound.
    while (idx < len) {
      const lowest = valueAtIndex(idx);
      if (lowest > bound) break;
      cum += counts[idx];
      idx++;
    }
    buckets.push(cum);
  }
  return { count, sum: counts[HIST_SLOTS - 1], quantiles, buckets };
}

function valueAtIndex(i: number): number {
  return (scratch as unknown as { valueFromIndex(i: number): number }).valueFromIndex(i);
}
