// The admin thread's registry of stat blocks: which blocks a config needs (one per cluster, HTTP
// connection manager stat prefix, listener, plus server-wide ones), reused by key across reloads so
// counters survive; histogram blocks alongside; and pages of per-host slots handed out as DNS and
// membership change. Workers receive descriptors and map their own rows.
import type { Snapshot } from '../config/types.js';
import { StatBlock, type BlockDescriptor, type BlockType } from './block.js';
import {
  CLUSTER_FULL_SIZE,
  CLUSTER_HISTOGRAMS,
  CODEC_LIST,
  HCM_HISTOGRAMS,
  HCM_LIST,
  HOST_BLOCK_SIZE,
  LISTENER_FULL_SIZE,
  LISTENER_HISTOGRAMS,
  SERVER_LIST,
} from './defs.js';
import { newHistogramBlock, type HistogramBlockDescriptor } from './histograms.js';
import { HOSTS_PER_PAGE, OUTLIER_SLOTS } from '../cluster/runtime.js';

export interface ScopeKeys {
  cluster(name: string): string;
  hcm(prefix: string): string;
  listener(prefix: string): string;
}

export const KEYS: ScopeKeys = {
  cluster: (n) => `cluster.${n}`,
  hcm: (p) => `http.${p}`,
  listener: (p) => `listener.${p}`,
};

/** Everything a worker needs to map the stats of one config. */
export interface StatsLayout {
  readonly rows: number;
  readonly blocks: readonly BlockDescriptor[];
  readonly histograms: readonly HistogramBlockDescriptor[];
  readonly hostPages: readonly BlockDescriptor[];
}

export class StatsRegistry {
  readonly blocks = new Map<string, StatBlock>();
  readonly histograms = new Map<string, HistogramBlockDescriptor>();
  readonly hostPages: StatBlock[] = [];
  /** Scopes the current config uses (others are kept for their counters but not rendered). */
  live = new Set<string>();
  private readonly freeHosts: number[] = [];
  private nextHost = 0;
  /** Per-host identity -> index, so a host that stays keeps its stats. */
  private readonly hostIndex = new Map<string, number>();

  /** `rows` = worker count + 1 (the admin thread's row is last). */
  constructor(readonly rows: number) {
    this.block('server', 'server', SERVER_LIST.length);
    this.block('codec', 'codec', CODEC_LIST.length);
    this.block(KEYS.hcm('admin'), 'hcm', HCM_LIST.length);
    this.block(KEYS.listener('admin'), 'listener', LISTENER_FULL_SIZE);
    this.hist(KEYS.hcm('admin'), HCM_HISTOGRAMS);
  }

  get adminRow(): number {
    return this.rows - 1;
  }

  private block(key: string, type: BlockType, size: number): StatBlock {
    let b = this.blocks.get(key);
    if (!b) {
      b = new StatBlock(key, type, size, this.rows);
      this.blocks.set(key, b);
    }
    return b;
  }

  private hist(key: string, names: readonly string[]): HistogramBlockDescriptor {
    let h = this.histograms.get(key);
    if (!h) {
      h = newHistogramBlock(key, names, this.rows);
      this.histograms.set(key, h);
    }
    return h;
  }

  get(key: string): StatBlock | undefined {
    return this.blocks.get(key);
  }

  /** Creates (or reuses) the blocks a snapshot needs and returns the layout for workers. */
  prepare(s: Snapshot): StatsLayout {
    const live = new Set<string>(['server', 'codec', KEYS.hcm('admin'), KEYS.listener('admin')]);
    for (const c of s.clusters) {
      const key = KEYS.cluster(c.altStatName || c.name);
      this.block(key, 'cluster', CLUSTER_FULL_SIZE);
      this.hist(key, CLUSTER_HISTOGRAMS);
      live.add(key);
    }
    for (const l of s.listeners) {
      const lk = KEYS.listener(l.statPrefix);
      this.block(lk, 'listener', LISTENER_FULL_SIZE);
      this.hist(lk, LISTENER_HISTOGRAMS);
      live.add(lk);
      for (const fc of l.filterChains) {
        const hk = KEYS.hcm(fc.hcm.statPrefix);
        this.block(hk, 'hcm', HCM_LIST.length);
        this.hist(hk, HCM_HISTOGRAMS);
        live.add(hk);
      }
    }
    this.live = live;
    return this.layout();
  }

  layout(): StatsLayout {
    return {
      rows: this.rows,
      blocks: [...this.blocks.values()].map((b) => b.descriptor()),
      histograms: [...this.histograms.values()],
      hostPages: this.hostPages.map((b) => b.descriptor()),
    };
  }

  /**
   * Index of the per-host slots for `id` (cluster + address), allocating a fresh one if needed.
   * Returns the page descriptor too when a new page had to be created (workers must map it).
   */
  hostSlot(id: string): { index: number; newPage: BlockDescriptor | null } {
    const have = this.hostIndex.get(id);
    if (have !== undefined) return { index: have, newPage: null };
    let index: number;
    let newPage: BlockDescriptor | null = null;
    if (this.freeHosts.length > 0) index = this.freeHosts.shift()!;
    else {
      index = this.nextHost++;
      if (index >= this.hostPages.length * HOSTS_PER_PAGE) {
        const page = new StatBlock(
          `hosts.${this.hostPages.length}`,
          'hosts',
          HOSTS_PER_PAGE * HOST_BLOCK_SIZE,
          this.rows,
          undefined,
          new SharedArrayBuffer(HOSTS_PER_PAGE * OUTLIER_SLOTS * 4),
        );
        this.hostPages.push(page);
        newPage = page.descriptor();
      }
    }
    this.hostIndex.set(id, index);
    return { index, newPage };
  }

  /** Frees a host's slots (zeroed) for reuse; reuse is FIFO so late writes from draining requests land harmlessly. */
  releaseHost(id: string): void {
    const index = this.hostIndex.get(id);
    if (index === undefined) return;
    this.hostIndex.delete(id);
    const page = this.hostPages[(index / HOSTS_PER_PAGE) | 0];
    const base = (index % HOSTS_PER_PAGE) * HOST_BLOCK_SIZE;
    page.reset(base, base + HOST_BLOCK_SIZE);
    if (page.aux) new Int32Array(page.aux).fill(0, (index % HOSTS_PER_PAGE) * OUTLIER_SLOTS, ((index % HOSTS_PER_PAGE) + 1) * OUTLIER_SLOTS);
    this.freeHosts.push(index);
  }

  /** The shared outlier counters of a host (consecutive 5xx, gateway failures, local-origin failures). */
  outlierCounters(index: number): { array: Int32Array; offset: number } | null {
    const page = this.hostPages[(index / HOSTS_PER_PAGE) | 0];
    if (!page?.aux) return null;
    return { array: new Int32Array(page.aux), offset: (index % HOSTS_PER_PAGE) * OUTLIER_SLOTS };
  }

  /** Sum of a host's slot over all rows. */
  hostValue(index: number, slot: number): number {
    const page = this.hostPages[(index / HOSTS_PER_PAGE) | 0];
    return page ? page.sum((index % HOSTS_PER_PAGE) * HOST_BLOCK_SIZE + slot) : 0;
  }
}
